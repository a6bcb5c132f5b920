"""PostgreSQL's engine: the tsvector column ``articles.search_vector`` and the stemmed one,
``article_stems.stem_vector``, each under a GIN index, ranked by ``ts_rank_cd``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    bindparam,
    func,
    inspect,
    literal_column,
    select,
    union,
)

from kompas_crawler.storage.database import PG_STEM_VECTOR, PG_VECTOR
from kompas_crawler.storage.filters import filter_clauses
from kompas_crawler.storage.models import ArticleRow, ArticleStem
from kompas_crawler.storage.search.expressions import Stemmed, stemmed, websearch_text
from kompas_crawler.storage.search.request import SNIPPET_TOKENS, Request, order
from kompas_crawler.storage.search.results import SearchResult, result
from kompas_crawler.storage.search.snippets import stemmed_snippets

# ts_rank_cd weights of the tsvector's D, C (body), B (tags) and A (title) words, in the
# proportions of the bm25 weights on SQLite.
PG_RANK_WEIGHTS = "{0.1, 0.1, 0.5, 1.0}"
# As on SQLite: a stemmed search adds the exact rank, times this, to the stemmed one.
EXACT_WEIGHT = 1.0

_A = ArticleRow.__table__
_S = ArticleStem.__table__
_VECTOR: ColumnElement[Any] = literal_column(f"articles.{PG_VECTOR}")
_STEM_VECTOR: ColumnElement[Any] = literal_column(f"article_stems.{PG_STEM_VECTOR}")
_SIMPLE: ColumnElement[Any] = literal_column("'simple'::regconfig")


def available(engine: Engine) -> bool:
    """True when the archive has its tsvector column (one not opened for writing since
    kompas-crawler made it has none)."""
    return engine.dialect.name == "postgresql" and any(
        c["name"] == PG_VECTOR for c in inspect(engine).get_columns("articles")
    )


def _stems_available(connection: Connection | Engine) -> bool:
    inspector = inspect(connection)
    return inspector.has_table("article_stems") and any(
        c["name"] == PG_STEM_VECTOR for c in inspector.get_columns("article_stems")
    )


def _stemmed_for(connection: Connection | Engine, query: str, exact: bool) -> Stemmed | None:
    return None if exact or not _stems_available(connection) else stemmed(query)


def _tsquery(query: str, name: str = "ts_query") -> ColumnElement[Any]:
    return func.websearch_to_tsquery(_SIMPLE, bindparam(name, websearch_text(query)))


def _stem_ids(plan: Stemmed, stem_tsquery: ColumnElement[Any]) -> Select[Any]:
    """Rows matching the stemmed query (and the phrases as written, if any)."""
    where = [_STEM_VECTOR.op("@@")(stem_tsquery)]
    if plan.phrases:
        phrases = select(_A.c.id).where(_VECTOR.op("@@")(_tsquery(plan.phrases, "phrases")))
        where.append(_S.c.article_id.in_(phrases))
    return select(_S.c.article_id).where(*where)


def matching(engine: Engine, query: str, exact: bool = False) -> ColumnElement[bool]:
    """WHERE condition on ``articles``: the row matches ``query``."""
    plan = _stemmed_for(engine, query, exact)
    if plan is None:
        return _VECTOR.op("@@")(_tsquery(query))
    stem_ids = _stem_ids(plan, _tsquery(plan.query, "stem_query"))
    if plan.excludes:
        return _A.c.id.in_(stem_ids)
    return _A.c.id.in_(union(select(_A.c.id).where(_VECTOR.op("@@")(_tsquery(query))), stem_ids))


def search(connection: Connection, request: Request) -> SearchResult:
    """The best (or newest) matches of ``request``, with snippets."""
    tsquery = _tsquery(request.query)
    plan = _stemmed_for(connection, request.query, request.exact)
    weights: ColumnElement[Any] = literal_column(f"'{PG_RANK_WEIGHTS}'::float4[]")
    exact_rank = func.ts_rank_cd(weights, _VECTOR, tsquery)
    source: Any = _A
    if plan is None:
        score = exact_rank.label("score")
        match = _VECTOR.op("@@")(tsquery)
    else:
        stem_tsquery = _tsquery(plan.query, "stem_query")
        stem_rank = func.ts_rank_cd(weights, _STEM_VECTOR, stem_tsquery)
        score = (exact_rank * EXACT_WEIGHT + func.coalesce(stem_rank, 0)).label("score")
        source = _A.outerjoin(_S, _S.c.article_id == _A.c.id)
        # As on SQLite: rows matching either index (only the stemmed one when the query
        # excludes); the exact rank adds to the stemmed one.
        stem_ids = _stem_ids(plan, stem_tsquery)
        match = _A.c.id.in_(
            stem_ids
            if plan.excludes
            else union(select(_A.c.id).where(_VECTOR.op("@@")(tsquery)), stem_ids)
        )
    where = [match, *filter_clauses(request.filters)]
    ordering = (
        [score.desc(), _A.c.published_at.desc(), _A.c.id.desc()]
        if request.sort == "relevance"
        else order(request.sort, None)
    )
    ranked = (
        select(_A.c.id, score)
        .select_from(source)
        .where(*where)
        .order_by(*ordering)
        .limit(request.limit)
    )
    ranking = connection.execute(ranked).all()
    ids = [row.id for row in ranking]
    snippets = _snippets(connection, tsquery, ids, request.mark)
    if plan is not None:
        snippets = stemmed_snippets(connection, plan, ids, snippets, request.mark)
    total = len(ids)
    if request.count and len(ids) == request.limit:
        total = connection.execute(select(func.count()).select_from(_A).where(*where)).scalar_one()
    scores = {row.id: float(row.score) for row in ranking}
    return result(connection, request, ids, scores, snippets, total, stemmed=plan is not None)


def _headline_options(mark: tuple[str, str]) -> str:
    def quoted(text: str) -> str:
        return '"' + text.replace('"', '""') + '"'

    return (
        f"StartSel={quoted(mark[0])}, StopSel={quoted(mark[1])}, MaxWords={SNIPPET_TOKENS}, "
        f"MinWords={SNIPPET_TOKENS // 2}, ShortWord=0, MaxFragments=1"
    )


def _snippets(
    connection: Connection, tsquery: ColumnElement[Any], ids: list[int], mark: tuple[str, str]
) -> dict[int, str]:
    """As on SQLite: from the body where it matches, else from the title or tags."""
    if not ids:
        return {}
    options: ColumnElement[str] = bindparam("headline_options", _headline_options(mark))
    columns = (_A.c.body, _A.c.title, _A.c.tag_list)
    headlines = (func.ts_headline(_SIMPLE, col, tsquery, options) for col in columns)
    rows = connection.execute(select(_A.c.id, *headlines).where(_A.c.id.in_(ids)))
    return {
        row_id: next((text for text in texts if mark[0] in text), texts[0])
        for row_id, *texts in rows
    }
