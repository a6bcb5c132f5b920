"""SQLite's engine: the FTS5 index ``articles_fts`` (external content: the ``articles`` table)
and the stemmed index ``article_stems_fts`` beside it, ranked by bm25."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    bindparam,
    column,
    func,
    inspect,
    literal_column,
    select,
    table,
    union,
    union_all,
)

from kompas_crawler.storage.database import STEM_FTS_TABLE
from kompas_crawler.storage.filters import filter_clauses
from kompas_crawler.storage.models import ArticleRow
from kompas_crawler.storage.search.expressions import (
    COLUMNS,
    Stemmed,
    fts_expression,
    stemmed,
)
from kompas_crawler.storage.search.request import SNIPPET_TOKENS, Request, order
from kompas_crawler.storage.search.results import SearchResult, result
from kompas_crawler.storage.search.snippets import stemmed_snippets

FTS_TABLE = "articles_fts"
# bm25 weights for title, body, tag_list: a word in a title or tag says more than one in the body.
BM25_WEIGHTS = (10.0, 1.0, 5.0)
# A stemmed search adds the exact index's bm25, times this, to the stemmed one's: an article
# with the word as typed ranks above one with only another form of it.
EXACT_WEIGHT = 1.0

_A = ArticleRow.__table__
_FTS = table(FTS_TABLE, column("rowid"))
_STEMS = table(STEM_FTS_TABLE, column("rowid"))


def available(engine: Engine) -> bool:
    """True when the archive has its FTS5 index."""
    return engine.dialect.name == "sqlite" and inspect(engine).has_table(FTS_TABLE)


def _stems_available(connection: Connection | Engine) -> bool:
    return inspect(connection).has_table(STEM_FTS_TABLE)


def _match(index: str, expression: str, name: str = "fts_query") -> ColumnElement[bool]:
    return literal_column(index).op("MATCH")(bindparam(name, expression))


def _stemmed_for(connection: Connection | Engine, query: str, exact: bool) -> Stemmed | None:
    return None if exact or not _stems_available(connection) else stemmed(query)


def _exact_ids(expression: str, name: str = "fts_query") -> Select[Any]:
    return select(_FTS.c.rowid.label("id")).where(_match(FTS_TABLE, expression, name))


def _stem_ids(plan: Stemmed, score: bool = False) -> Select[Any]:
    """Rows matching the stemmed query (and the phrases as written, if any)."""
    columns: list[ColumnElement[Any]] = [_STEMS.c.rowid.label("id")]
    if score:
        bm25 = func.bm25(literal_column(STEM_FTS_TABLE), *BM25_WEIGHTS)
        columns += [bm25.label("score"), literal_column("1").label("stemmed")]
    where = [_match(STEM_FTS_TABLE, fts_expression(plan.query), "stem_query")]
    if plan.phrases:
        where.append(_STEMS.c.rowid.in_(_exact_ids(fts_expression(plan.phrases), "phrases")))
    return select(*columns).where(*where)


def matching(engine: Engine, query: str, exact: bool = False) -> ColumnElement[bool]:
    """WHERE condition on ``articles``: the row matches ``query``."""
    expression = fts_expression(query)
    plan = _stemmed_for(engine, query, exact)
    if plan is None:
        return _A.c.id.in_(_exact_ids(expression))
    if plan.excludes:
        return _A.c.id.in_(_stem_ids(plan))
    return _A.c.id.in_(union(_exact_ids(expression), _stem_ids(plan)))


def search(connection: Connection, request: Request) -> SearchResult:
    """The best (or newest) matches of ``request``, with snippets."""
    expression = fts_expression(request.query)
    plan = _stemmed_for(connection, request.query, request.exact)
    exact_score = func.bm25(literal_column(FTS_TABLE), *BM25_WEIGHTS)
    if plan is None:
        source: Any = _FTS
        ids_column, score = _FTS.c.rowid, exact_score.label("score")
        match = [_match(FTS_TABLE, expression)]
    else:
        # Rows matching either index (only the stemmed one when the query excludes: see
        # Stemmed.excludes); the exact index's bm25 adds to the stemmed one's.
        exact_rows = select(
            _FTS.c.rowid.label("id"),
            (exact_score * EXACT_WEIGHT).label("score"),
            literal_column("0").label("stemmed"),
        ).where(_match(FTS_TABLE, expression))
        scored = union_all(exact_rows, _stem_ids(plan, score=True)).subquery("scored")
        grouped = select(scored.c.id, func.sum(scored.c.score).label("score")).group_by(scored.c.id)
        if plan.excludes:
            grouped = grouped.having(func.max(scored.c.stemmed) == 1)
        source = grouped.subquery("matches")
        ids_column, score, match = source.c.id, source.c.score, []
    conditions = filter_clauses(request.filters)
    # Without filters, ranking and counting need only the index: joining every match to its
    # article row would cost more than the ranking itself.
    joined = bool(conditions) or request.sort != "relevance"
    selected = source.join(_A, _A.c.id == ids_column) if joined else source
    ordering = order(request.sort, score) if joined else [score, ids_column.desc()]
    where = [*match, *conditions]
    ranked = (
        select(ids_column.label("id"), score.label("score"))
        .select_from(selected)
        .where(*where)
        .order_by(*ordering)
        .limit(request.limit)
    )
    ranking = connection.execute(ranked).all()
    ids = [row.id for row in ranking]
    snippets = _snippets(connection, expression, ids, request.mark)
    if plan is not None:
        snippets = stemmed_snippets(connection, plan, ids, snippets, request.mark)
    total = len(ids)
    if request.count and len(ids) == request.limit:
        counted = select(func.count()).select_from(selected)
        total = connection.execute(counted.where(*where)).scalar_one()
    scores = {row.id: -row.score for row in ranking}
    return result(connection, request, ids, scores, snippets, total, stemmed=plan is not None)


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
        select(_FTS.c.rowid, body, best).where(_match(FTS_TABLE, expression), _FTS.c.rowid.in_(ids))
    )
    return {row_id: in_body if mark[0] in in_body else other for row_id, in_body, other in rows}
