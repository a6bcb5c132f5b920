"""SQLite's engine: the FTS5 index ``articles_fts`` (external content: the ``articles`` table)
and the stemmed index ``article_stems_fts`` beside it, ranked by bm25."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    Subquery,
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
from kompas_crawler.storage.filters import Filters, filter_clauses
from kompas_crawler.storage.models import ArticleRow
from kompas_crawler.storage.search.expressions import (
    COLUMNS,
    Stemmed,
    fts_expression,
    stemmed,
)
from kompas_crawler.storage.search.request import SNIPPET_TOKENS, Request, order
from kompas_crawler.storage.search.results import SearchResult, result
from kompas_crawler.storage.search.row_filters import RowTests, row_tests
from kompas_crawler.storage.search.snippets import stemmed_snippets
from kompas_crawler.storage.search.vocab import FTS_TABLE, expanded, no_other_forms, rows_at_most

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


# Archives known to have the stemmed index: asked once each, as for the exact index.
_WITH_STEMS: weakref.WeakSet[Engine] = weakref.WeakSet()


def _stems_available(connection: Connection | Engine) -> bool:
    engine = connection if isinstance(connection, Engine) else connection.engine
    if engine not in _WITH_STEMS and inspect(connection).has_table(STEM_FTS_TABLE):
        _WITH_STEMS.add(engine)
    return engine in _WITH_STEMS


def _match(index: str, expression: str, name: str = "fts_query") -> ColumnElement[bool]:
    return literal_column(index).op("MATCH")(bindparam(name, expression))


def _stemmed_for(connection: Connection | Engine, query: str, exact: bool) -> Stemmed | None:
    return None if exact or not _stems_available(connection) else stemmed(query)


@dataclass(frozen=True)
class _Plan:
    """How one search reads the indexes: the exact expression, the stemmed plan (None: the
    exact index alone answers), and the filters as conditions on each index's rowid."""

    expression: str
    stems: Stemmed | None  # the query's stemmed form; None: searched as written only
    # No word of the query has another form in the archive (vocab.no_other_forms): the
    # stemmed index would match and rank the rows the exact one does, so only that is read,
    # its bm25 counted once for each index.
    one_index: bool = False
    tests: RowTests = field(default_factory=RowTests)  # the filters
    ids: tuple[int, ...] = ()  # only these rows (none: every row)

    @property
    def stem_index(self) -> Stemmed | None:
        """The stemmed plan when the stemmed index is read, else None."""
        return None if self.one_index else self.stems

    @property
    def weight(self) -> float:
        """How many times the exact index's bm25 counts when it is read alone."""
        return 1.0 + EXACT_WEIGHT if self.stems is not None and self.one_index else 1.0

    def filtered(self, rowid: ColumnElement[int]) -> list[ColumnElement[bool]]:
        clauses = self.tests.on(rowid)
        # "+ 0": FTS5 would run the query once for each id (recomputing bm25's statistics each
        # time); one pass over the matches costs less than a few of those.
        return [(rowid + 0).in_(self.ids), *clauses] if self.ids else clauses


def _plan(connection: Connection | Engine, request: Request, filters: bool = True) -> _Plan:
    expression = fts_expression(request.query)
    stems = _stemmed_for(connection, request.query, request.exact)
    one_index = stems is not None and _one_index(connection, request.query)
    plan = _Plan(expression, stems, one_index)
    if not filters or request.filters == Filters() or not isinstance(connection, Connection):
        return plan
    matches = rows_at_most(connection, request.query) if _stems_available(connection) else None
    if matches is None:
        counted = select(func.count()).select_from(_exact_ids(plan).subquery())
        matches = connection.execute(counted).scalar_one()
    tests = row_tests(connection, request.filters, matches)
    return replace(plan, tests=tests)


def _one_index(connection: Connection | Engine, query: str) -> bool:
    if isinstance(connection, Engine):
        with connection.connect() as opened:
            return no_other_forms(opened, query)
    return no_other_forms(connection, query)


def _exact_ids(plan: _Plan, expression: str | None = None, name: str = "fts_query") -> Select[Any]:
    return select(_FTS.c.rowid.label("id")).where(
        _match(FTS_TABLE, expression or plan.expression, name), *plan.filtered(_FTS.c.rowid)
    )


def _exact_scored(plan: _Plan, weight: float) -> Select[Any]:
    bm25 = func.bm25(literal_column(FTS_TABLE), *BM25_WEIGHTS)
    return select(
        _FTS.c.rowid.label("id"),
        (bm25 * weight).label("score"),
        literal_column("0").label("stemmed"),
    ).where(_match(FTS_TABLE, plan.expression), *plan.filtered(_FTS.c.rowid))


def _stem_ids(plan: _Plan, stems: Stemmed, score: bool = False) -> Select[Any]:
    """Rows matching the stemmed query (and the phrases as written, if any)."""
    columns: list[ColumnElement[Any]] = [_STEMS.c.rowid.label("id")]
    if score:
        bm25 = func.bm25(literal_column(STEM_FTS_TABLE), *BM25_WEIGHTS)
        columns += [bm25.label("score"), literal_column("1").label("stemmed")]
    where = [_match(STEM_FTS_TABLE, fts_expression(stems.query), "stem_query")]
    if stems.phrases:
        # "rowid + 0": a plain rowid IN would be handed to FTS5, which then runs the MATCH once
        # per listed row (6 s for a phrase at 20,000 articles, 40 ms this way).
        phrased = select(_FTS.c.rowid).where(
            _match(FTS_TABLE, fts_expression(stems.phrases), "phrases")
        )
        where.append((_STEMS.c.rowid + 0).in_(phrased))
    return select(*columns).where(*where, *plan.filtered(_STEMS.c.rowid))


def _match_ids(plan: _Plan) -> Select[Any]:
    """The ids of the rows matching (and passing the filters): in the exact index, or
    (stemmed) in either."""
    stems = plan.stem_index
    if stems is None:
        return _exact_ids(plan)
    if stems.excludes:
        return _stem_ids(plan, stems)
    return union(_exact_ids(plan), _stem_ids(plan, stems))  # type: ignore[return-value]


def _scored(plan: _Plan) -> Subquery:
    """Each matching row's id and score (bm25: lower is better), filters applied."""
    stems = plan.stem_index
    if stems is None:
        return _exact_scored(plan, plan.weight).subquery("matches")
    # Rows matching either index (only the stemmed one when the query excludes: see
    # Stemmed.excludes); the exact index's bm25 adds to the stemmed one's.
    both = union_all(_exact_scored(plan, EXACT_WEIGHT), _stem_ids(plan, stems, score=True))
    scored = both.subquery("scored")
    grouped = select(scored.c.id, func.sum(scored.c.score).label("score")).group_by(scored.c.id)
    if stems.excludes:
        grouped = grouped.having(func.max(scored.c.stemmed) == 1)
    return grouped.subquery("matches")


def matching(engine: Engine, query: str, exact: bool = False) -> ColumnElement[bool]:
    """WHERE condition on ``articles``: the row matches ``query``."""
    return _A.c.id.in_(_match_ids(_plan(engine, Request(query, exact=exact), filters=False)))


def search(connection: Connection, request: Request) -> SearchResult:
    """The best (or newest) matches of ``request``, with snippets.

    Filters are tested on each index's rows, before any is ranked, without reading the
    article rows (which hold the whole text): bm25 is computed for the rows that pass only.
    """
    plan = _plan(connection, request)
    stems = plan.stems
    if request.sort != "relevance":
        return _by_date(connection, request, plan)
    matches: Any = _scored(plan)
    # With filters or both indexes, finding the matches again costs more than keeping those
    # ranked (SQLite materialises a CTE read twice) and counting them there.
    count_here = request.count and (plan.tests != RowTests() or plan.stem_index is not None)
    if count_here:
        matches = select(matches.c.id, matches.c.score).cte("ranked")
    columns = [matches.c.id, matches.c.score]
    if count_here:
        columns.append(select(func.count()).select_from(matches).scalar_subquery().label("total"))
    ranked = select(*columns).order_by(matches.c.score, matches.c.id.desc()).limit(request.limit)
    ranking = connection.execute(ranked).all()
    ids = [row.id for row in ranking]
    snippets = _snippets(connection, expanded(connection, plan.expression), ids, request.mark)
    if stems is not None:
        snippets = stemmed_snippets(connection, stems, ids, snippets, request.mark)
    total = len(ids)
    if count_here and ranking:
        total = ranking[0].total
    elif request.count and len(ids) == request.limit:
        counted = select(func.count()).select_from(_match_ids(plan).subquery())
        total = connection.execute(counted).scalar_one()
    scores = {row.id: -row.score for row in ranking}
    return result(connection, request, ids, scores, snippets, total, stemmed=stems is not None)


def _by_date(connection: Connection, request: Request, plan: _Plan) -> SearchResult:
    """Newest (or oldest) first. Where matches are dense, walking the ``published_at`` index and
    keeping the rows whose id is among the matches (``id IN (match)``) stops after a few hundred
    rows; sorting every match costs one lookup each. The match count decides which."""
    unfiltered = replace(plan, tests=RowTests())
    conditions = filter_clauses(request.filters)
    matches = _match_ids(unfiltered)
    where = [_A.c.id.in_(matches), *conditions]
    counted = select(func.count()).select_from(_match_ids(plan).subquery())
    total = connection.execute(counted).scalar_one()
    filters = request.filters
    dated_only = not (filters.writers or filters.sources or filters.tags or filters.sections)
    if dated_only and total and _dense(connection, total, request):
        # "id + 0" is no column: SQLite cannot look the matches up by id, so it walks the
        # published_at index (in ORDER BY order) and tests each id against the matches.
        where[0] = (_A.c.id + 0).in_(matches)
    statement = select(_A.c.id).where(*where).order_by(*order(request.sort, None))
    ids = list(connection.execute(statement.limit(request.limit)).scalars())
    snippets = _snippets(connection, expanded(connection, plan.expression), ids, request.mark)
    if plan.stems is not None:
        snippets = stemmed_snippets(connection, plan.stems, ids, snippets, request.mark)
    scores = _scores(connection, unfiltered, ids)
    return result(connection, request, ids, scores, snippets, total, stemmed=plan.stems is not None)


def _scores(connection: Connection, plan: _Plan, ids: list[int]) -> dict[int, float]:
    """Relevance (-bm25, as ranking scores it) of the rows shown, for a search sorted by date."""
    if not ids:
        return {}
    scored = _scored(replace(plan, ids=tuple(ids)))
    rows = connection.execute(select(scored.c.id, scored.c.score))
    return {row_id: -score for row_id, score in rows}


def _dense(connection: Connection, total: int, request: Request) -> bool:
    """Whether walking the date index finds ``limit`` matches sooner than sorting all ``total``:
    with matches spread evenly, the walk reads rows/total rows per match."""
    rows = connection.execute(select(func.max(_A.c.id))).scalar_one() or 0
    return rows * request.limit / total < total


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
