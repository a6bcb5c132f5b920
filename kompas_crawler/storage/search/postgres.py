"""PostgreSQL's engine: the tsvector column ``articles.search_vector`` and the stemmed one,
``article_stems.stem_vector``, each under a GIN index, ranked by ``ts_rank_cd``."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Row,
    Select,
    bindparam,
    func,
    inspect,
    literal_column,
    select,
    text,
    union,
    union_all,
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
# ts_rank_cd's normalization: the rank divided by the article's length, as bm25 weighs a match
# in a short article above one of many in a long one. Without it (0) a long article repeating a
# word beat the short one about it: among 100,000 generated articles 18 of the 20 judged
# queries (tests/relevance) ranked a relevant article in their top 3, 20 with it (SQLite: 20).
PG_RANK_NORMALIZATION = 2
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


# Archives known to have the stemmed index: asked once each (a few ms a search otherwise).
_WITH_STEMS: weakref.WeakSet[Engine] = weakref.WeakSet()


def _stems_available(connection: Connection | Engine) -> bool:
    engine = connection if isinstance(connection, Engine) else connection.engine
    if engine not in _WITH_STEMS:
        inspector = inspect(connection)
        if inspector.has_table("article_stems") and any(
            c["name"] == PG_STEM_VECTOR for c in inspector.get_columns("article_stems")
        ):
            _WITH_STEMS.add(engine)
    return engine in _WITH_STEMS


def _stemmed_for(connection: Connection | Engine, query: str, exact: bool) -> Stemmed | None:
    return None if exact or not _stems_available(connection) else stemmed(query)


def _tsquery(query: str, name: str = "ts_query") -> ColumnElement[Any]:
    return func.websearch_to_tsquery(_SIMPLE, bindparam(name, websearch_text(query)))


def _rank(vector: ColumnElement[Any], tsquery: ColumnElement[Any]) -> ColumnElement[Any]:
    weights: ColumnElement[Any] = literal_column(f"'{PG_RANK_WEIGHTS}'::float4[]")
    return func.ts_rank_cd(weights, vector, tsquery, PG_RANK_NORMALIZATION)


def _stem_where(plan: Stemmed, stem_tsquery: ColumnElement[Any]) -> list[ColumnElement[bool]]:
    """Rows of article_stems matching the stemmed query (and the phrases as written, if any)."""
    where: list[ColumnElement[bool]] = [_STEM_VECTOR.op("@@")(stem_tsquery)]
    if plan.phrases:
        phrases = select(_A.c.id).where(_VECTOR.op("@@")(_tsquery(plan.phrases, "phrases")))
        where.append(_S.c.article_id.in_(phrases))
    return where


def _match_ids(plan: Stemmed | None, tsquery: ColumnElement[Any]) -> Select[Any]:
    """The ids of the rows matching: in the exact index, or (stemmed) in either (only the
    stemmed one when the query excludes: see Stemmed.excludes)."""
    exact_ids = select(_A.c.id).where(_VECTOR.op("@@")(tsquery))
    if plan is None:
        return exact_ids
    stem_tsquery = _tsquery(plan.query, "stem_query")
    stem_ids = select(_S.c.article_id).where(*_stem_where(plan, stem_tsquery))
    return stem_ids if plan.excludes else union(exact_ids, stem_ids)  # type: ignore[return-value]


def matching(engine: Engine, query: str, exact: bool = False) -> ColumnElement[bool]:
    """WHERE condition on ``articles``: the row matches ``query``."""
    return _A.c.id.in_(_match_ids(_stemmed_for(engine, query, exact), _tsquery(query)))


def _scored(
    plan: Stemmed, tsquery: ColumnElement[Any], conditions: list[ColumnElement[bool]]
) -> Select[Any]:
    """(id, score) of every row matching a stemmed search, as on SQLite: each index ranks the
    rows it matches, the exact rank (times EXACT_WEIGHT) added to the stemmed one. Each rank is
    computed in its own table's scan, after the filters: one pass over each index's matches,
    no join of every match to its other row."""
    stem_tsquery = _tsquery(plan.query, "stem_query")
    exact_rows = select(
        _A.c.id.label("id"),
        (_rank(_VECTOR, tsquery) * EXACT_WEIGHT).label("score"),
        literal_column("0").label("stemmed"),
    ).where(_VECTOR.op("@@")(tsquery), *conditions)
    stem_rows = select(
        _S.c.article_id.label("id"),
        _rank(_STEM_VECTOR, stem_tsquery).label("score"),
        literal_column("1").label("stemmed"),
    ).where(*_stem_where(plan, stem_tsquery))
    if conditions:  # the filters are on articles
        stem_rows = stem_rows.join_from(_S, _A, _A.c.id == _S.c.article_id).where(*conditions)
    arms = union_all(exact_rows, stem_rows).subquery("arms")
    grouped = select(arms.c.id, func.sum(arms.c.score).label("score")).group_by(arms.c.id)
    if plan.excludes:
        grouped = grouped.having(func.max(arms.c.stemmed) == 1)
    return grouped


def _ranked(
    connection: Connection,
    request: Request,
    plan: Stemmed | None,
    tsquery: ColumnElement[Any],
    conditions: list[ColumnElement[bool]],
) -> tuple[Sequence[Row[Any]], int | None]:
    """The best ``limit`` (id, score) rows, best first (ties: newest first), and the count of
    every match when asked for (counted with the ranking, in the same pass)."""
    counted = [func.count().over().label("total")] if request.count else []
    if plan is None:
        score = _rank(_VECTOR, tsquery).label("score")
        ranked = (
            select(_A.c.id, score, *counted)
            .where(_VECTOR.op("@@")(tsquery), *conditions)
            .order_by(score.desc(), _A.c.published_at.desc(), _A.c.id.desc())
            .limit(request.limit)
        )
    else:
        # The best scores first (every row tied with the last one kept), then the dates of
        # only these rows, for the order among equal scores.
        grouped = _scored(plan, tsquery, conditions).subquery("scored")
        best = (
            select(grouped.c.id, grouped.c.score, *counted)
            .order_by(grouped.c.score.desc())
            .fetch(request.limit, with_ties=True)
            .subquery("best")
        )
        ranked = (
            select(best.c.id, best.c.score, *([best.c.total] if counted else []))
            .join_from(best, _A, _A.c.id == best.c.id)
            .order_by(best.c.score.desc(), _A.c.published_at.desc(), _A.c.id.desc())
            .limit(request.limit)
        )
    rows = connection.execute(ranked).all()
    return rows, (rows[0].total if rows and counted else None)


def _scores(
    connection: Connection, plan: Stemmed | None, tsquery: ColumnElement[Any], ids: list[int]
) -> dict[int, float]:
    """The relevance of the rows shown, for a search sorted by date."""
    if not ids:
        return {}
    if plan is None:
        rows = connection.execute(
            select(_A.c.id, _rank(_VECTOR, tsquery)).where(
                _A.c.id.in_(ids), _VECTOR.op("@@")(tsquery)
            )
        )
    else:
        rows = connection.execute(_scored(plan, tsquery, [_A.c.id.in_(ids)]))
    return {row_id: float(score) for row_id, score in rows}


def search(connection: Connection, request: Request) -> SearchResult:
    """The best (or newest) matches of ``request``, with snippets."""
    # No JIT: a ranking over many matches has a cost past jit_above_cost, and compiling it
    # took 40 ms of a 180 ms search (the work itself is in ts_rank_cd, which JIT cannot speed).
    connection.execute(text("SET LOCAL jit = off"))
    tsquery = _tsquery(request.query)
    plan = _stemmed_for(connection, request.query, request.exact)
    conditions = filter_clauses(request.filters)
    total: int | None
    if request.sort == "relevance":
        ranking, total = _ranked(connection, request, plan, tsquery, conditions)
        ids = [row.id for row in ranking]
        scores = {row.id: float(row.score) for row in ranking}
    else:
        where = [_A.c.id.in_(_match_ids(plan, tsquery)), *conditions]
        ordered = select(_A.c.id).where(*where).order_by(*order(request.sort, None))
        ids = list(connection.execute(ordered.limit(request.limit)).scalars())
        scores = _scores(connection, plan, tsquery, ids)
        total = None
        if request.count and len(ids) == request.limit:
            total = connection.execute(select(func.count()).where(*where)).scalar_one()
    snippets = _snippets(connection, tsquery, ids, request.mark)
    if plan is not None:
        snippets = stemmed_snippets(connection, plan, ids, snippets, request.mark)
    total = len(ids) if total is None else total
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
