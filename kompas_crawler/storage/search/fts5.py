"""SQLite's engine: the FTS5 index ``articles_fts`` (external content: the ``articles`` table),
ranked by bm25."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    bindparam,
    column,
    func,
    inspect,
    literal_column,
    select,
    table,
)

from kompas_crawler.storage.filters import filter_clauses
from kompas_crawler.storage.models import ArticleRow
from kompas_crawler.storage.search.expressions import COLUMNS, fts_expression
from kompas_crawler.storage.search.request import SNIPPET_TOKENS, Request, order
from kompas_crawler.storage.search.results import SearchResult, result

FTS_TABLE = "articles_fts"
# bm25 weights for title, body, tag_list: a word in a title or tag says more than one in the body.
BM25_WEIGHTS = (10.0, 1.0, 5.0)

_A = ArticleRow.__table__
_FTS = table(FTS_TABLE, column("rowid"))


def available(engine: Engine) -> bool:
    """True when the archive has its FTS5 index."""
    return engine.dialect.name == "sqlite" and inspect(engine).has_table(FTS_TABLE)


def _match(expression: str) -> ColumnElement[bool]:
    return literal_column(FTS_TABLE).op("MATCH")(bindparam("fts_query", expression))


def matching(query: str, dialect: str) -> ColumnElement[bool]:
    """WHERE condition on ``articles``: the row matches ``query``."""
    return _A.c.id.in_(select(_FTS.c.rowid).where(_match(fts_expression(query))))


def search(connection: Connection, request: Request) -> SearchResult:
    """The best (or newest) matches of ``request``, with snippets."""
    expression = fts_expression(request.query)
    score = func.bm25(literal_column(FTS_TABLE), *BM25_WEIGHTS).label("score")
    conditions = filter_clauses(request.filters)
    # Without filters, ranking and counting need only the index: joining every match to its
    # article row would cost more than the ranking itself.
    joined = bool(conditions) or request.sort != "relevance"
    source = _FTS.join(_A, _A.c.id == _FTS.c.rowid) if joined else _FTS
    ordering = order(request.sort, score) if joined else [score, _FTS.c.rowid.desc()]
    where = [_match(expression), *conditions]
    ranked = (
        select(_FTS.c.rowid.label("id"), score)
        .select_from(source)
        .where(*where)
        .order_by(*ordering)
        .limit(request.limit)
    )
    ranking = connection.execute(ranked).all()
    ids = [row.id for row in ranking]
    snippets = _snippets(connection, expression, ids, request.mark)
    total = len(ids)
    if request.count and len(ids) == request.limit:
        counted = select(func.count()).select_from(_FTS if not conditions else source)
        total = connection.execute(counted.where(*where)).scalar_one()
    scores = {row.id: -row.score for row in ranking}
    return result(connection, request, ids, scores, snippets, total)


def _snippets(
    connection: Connection, expression: str, ids: list[int], mark: tuple[str, str]
) -> dict[int, str]:
    """Snippets of the rows shown only: one for every match would dominate a search's cost.

    From the body where it matches (context reads better than a title or the tag list), else from
    whichever column matches best.
    """
    if not ids:
        return {}
    fts: ColumnElement[Any] = literal_column(FTS_TABLE)
    body, best = (
        func.snippet(fts, index, mark[0], mark[1], "…", SNIPPET_TOKENS)
        for index in (COLUMNS.index("body"), -1)
    )
    rows = connection.execute(
        select(_FTS.c.rowid, body, best).where(_match(expression), _FTS.c.rowid.in_(ids))
    )
    return {row_id: in_body if mark[0] in in_body else other for row_id, in_body, other in rows}
