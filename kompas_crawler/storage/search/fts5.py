"""SQLite's engine: the FTS5 index ``articles_fts`` (external content: the ``articles`` table)
and the stemmed index ``article_stems_fts`` beside it, ranked by bm25."""

from __future__ import annotations

import re
import weakref
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
    text,
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

# Terms a prefix may expand to (expanded()); beyond, FTS5 merges them itself.
MAX_EXPANSION = 64

_A = ArticleRow.__table__
_FTS = table(FTS_TABLE, column("rowid"))
_STEMS = table(STEM_FTS_TABLE, column("rowid"))
# The index's terms, one row each: a per-connection table (nothing written to the archive).
_VOCAB_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{FTS_TABLE}_terms "
    f"USING fts5vocab(main, {FTS_TABLE}, row)"
)
_VOCAB_RANGE = text(
    f"SELECT term FROM temp.{FTS_TABLE}_terms WHERE term >= :low AND term < :high ORDER BY term"
)
# Quoted phrases (kept as they are) or a bare prefix word (the index holds ASCII-folded
# lowercase terms, so only an ASCII word is looked up as typed); not after ``column:``.
_PART = re.compile(r'"(?:[^"]|"")*"\*?|[()]|[^\s()"]+')
_OPENERS = {"(", "AND", "OR", "NOT"}
_CLOSERS = {")", "AND", "OR", "NOT"}
_PREFIX = re.compile(r'"(?:[^"]|"")*"\*?|(?<![\w:])([0-9A-Za-z]+)\*')


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
        # "rowid + 0": a plain rowid IN would be handed to FTS5, which then runs the MATCH once
        # per listed row (6 s for a phrase at 20,000 articles, 40 ms this way).
        phrased = _exact_ids(fts_expression(plan.phrases), "phrases")
        where.append((_STEMS.c.rowid + 0).in_(phrased))
    return select(*columns).where(*where)


def _match_ids(expression: str, plan: Stemmed | None) -> Select[Any]:
    """The ids of the rows matching: in the exact index, or (stemmed) in either."""
    if plan is None:
        return _exact_ids(expression)
    if plan.excludes:
        return _stem_ids(plan)
    return union(_exact_ids(expression), _stem_ids(plan))  # type: ignore[return-value]


def matching(engine: Engine, query: str, exact: bool = False) -> ColumnElement[bool]:
    """WHERE condition on ``articles``: the row matches ``query``."""
    return _A.c.id.in_(_match_ids(fts_expression(query), _stemmed_for(engine, query, exact)))


def search(connection: Connection, request: Request) -> SearchResult:
    """The best (or newest) matches of ``request``, with snippets."""
    expression = fts_expression(request.query)
    plan = _stemmed_for(connection, request.query, request.exact)
    if request.sort != "relevance":
        return _by_date(connection, request, expression, plan)
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
    snippets = _snippets(connection, expanded(connection, expression), ids, request.mark)
    if plan is not None:
        snippets = stemmed_snippets(connection, plan, ids, snippets, request.mark)
    total = len(ids)
    if request.count and len(ids) == request.limit:
        counted = select(func.count()).select_from(selected)
        total = connection.execute(counted.where(*where)).scalar_one()
    scores = {row.id: -row.score for row in ranking}
    return result(connection, request, ids, scores, snippets, total, stemmed=plan is not None)


def _by_date(
    connection: Connection, request: Request, expression: str, plan: Stemmed | None
) -> SearchResult:
    """Newest (or oldest) first. Where matches are dense, walking the ``published_at`` index and
    keeping the rows whose id is among the matches (``id IN (match)``) stops after a few hundred
    rows; sorting every match costs one lookup each. The match count decides which."""
    conditions = filter_clauses(request.filters)
    matches = _match_ids(expression, plan)
    where = [_A.c.id.in_(matches), *conditions]
    counted = select(func.count()).where(*where)
    if not conditions:  # the indexes alone know
        counted = select(func.count()).select_from(matches.subquery())
    total = connection.execute(counted).scalar_one()
    filters = request.filters
    dated_only = not (filters.writers or filters.sources or filters.tags or filters.sections)
    if dated_only and total and _dense(connection, total, request):
        # "id + 0" is no column: SQLite cannot look the matches up by id, so it walks the
        # published_at index (in ORDER BY order) and tests each id against the matches.
        where[0] = (_A.c.id + 0).in_(matches)
    statement = select(_A.c.id).where(*where).order_by(*order(request.sort, None))
    ids = list(connection.execute(statement.limit(request.limit)).scalars())
    snippets = _snippets(connection, expanded(connection, expression), ids, request.mark)
    if plan is not None:
        snippets = stemmed_snippets(connection, plan, ids, snippets, request.mark)
    scores = _scores(connection, expression, plan, ids)
    return result(connection, request, ids, scores, snippets, total, stemmed=plan is not None)


def _scores(
    connection: Connection, expression: str, plan: Stemmed | None, ids: list[int]
) -> dict[int, float]:
    """Relevance (-bm25, as ranking scores it) of the rows shown, for a search sorted by date."""
    if not ids:
        return {}
    exact = func.bm25(literal_column(FTS_TABLE), *BM25_WEIGHTS) * EXACT_WEIGHT
    arms = [
        select(
            _FTS.c.rowid.label("id"), exact.label("score"), literal_column("0").label("stemmed")
        ).where(_match(FTS_TABLE, expression), _FTS.c.rowid.in_(ids))
    ]
    if plan is not None:
        arms.append(_stem_ids(plan, score=True).where(_STEMS.c.rowid.in_(ids)))
    scored = union_all(*arms).subquery("scored")
    rows = connection.execute(
        select(scored.c.id, func.sum(scored.c.score)).group_by(scored.c.id)
    ).all()
    return {row_id: -score for row_id, score in rows}


def _dense(connection: Connection, total: int, request: Request) -> bool:
    """Whether walking the date index finds ``limit`` matches sooner than sorting all ``total``:
    with matches spread evenly, the walk reads rows/total rows per match."""
    rows = connection.execute(select(func.max(_A.c.id))).scalar_one() or 0
    return rows * request.limit / total < total


def expanded(connection: Connection, expression: str) -> str:
    """``expression`` with each ``prefix*`` word replaced by its terms in the index,
    ``(vaksin OR vaksinasi)``: FTS5 merges a prefix's terms again for every row it is asked
    about, which snippets ask for row by row. The same rows match either way. A prefix with
    more than MAX_EXPANSION terms, and any NEAR group (which takes no OR), stay as they are."""
    if "NEAR" in expression or "*" not in expression:
        return expression
    connection.execute(text(_VOCAB_DDL))

    def terms(match: re.Match[str]) -> str:
        prefix = match.group(1)
        if prefix is None:  # a quoted phrase, as it is
            return match.group()
        found = (
            connection.execute(
                _VOCAB_RANGE, {"low": prefix.lower(), "high": prefix.lower() + "\U0010ffff"}
            )
            .scalars()
            .all()
        )
        if not found or len(found) > MAX_EXPANSION:
            return match.group()
        return found[0] if len(found) == 1 else "(" + " OR ".join(found) + ")"

    replaced = _PREFIX.sub(terms, expression)
    return expression if replaced == expression else _explicit_and(replaced)


def _explicit_and(expression: str) -> str:
    """FTS5 takes side-by-side phrases as AND, but not a parenthesised group beside anything:
    there the AND is written out (same precedence, same meaning)."""
    parts: list[str] = []
    for token in _PART.findall(expression):
        after_operand = bool(parts) and parts[-1] not in _OPENERS
        if after_operand and token not in _CLOSERS and ")" in (parts[-1], token.replace("(", ")")):
            parts.append("AND")
        parts.append(token)
    return " ".join(parts).replace("( ", "(").replace(" )", ")")


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
