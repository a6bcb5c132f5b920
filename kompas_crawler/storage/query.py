"""Reading the archive: full-text search, filters, stats and streaming export.

Every value a user types reaches the database as a bound parameter. On SQLite, search runs on the
FTS5 index ``articles_fts``; on PostgreSQL, on the tsvector column ``articles.search_vector`` (GIN
index); without either it falls back to a LIKE scan.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Integer,
    Select,
    and_,
    bindparam,
    column,
    exists,
    func,
    inspect,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.exc import DataError, DBAPIError

from kompas_crawler.errors import KompasError
from kompas_crawler.processors import WIB
from kompas_crawler.storage.archive import to_aware_utc
from kompas_crawler.storage.database import PG_VECTOR
from kompas_crawler.storage.models import (
    ArticlePerson,
    ArticleRow,
    ArticleSource,
    ArticleTag,
    CrawlRun,
    Person,
    RelatedLink,
    Revision,
    Source,
    Tag,
)
from kompas_crawler.urls import article_id as article_id_from_url
from kompas_crawler.urls import canonical_url

Sort = Literal["relevance", "newest", "oldest"]
Period = Literal["day", "month"]

FTS_TABLE = "articles_fts"
FTS_COLUMNS = ("title", "body", "tag_list")
# bm25 weights for title, body, tag_list: a word in a title or tag says more than one in the body.
BM25_WEIGHTS = (10.0, 1.0, 5.0)
SNIPPET_TOKENS = 24
DEFAULT_MARK = ("**", "**")
# PostgreSQL: ts_rank_cd weights of the tsvector's D, C (body), B (tags) and A (title) words, in
# the proportions of BM25_WEIGHTS.
PG_RANK_WEIGHTS = "{0.1, 0.1, 0.5, 1.0}"

_A = ArticleRow.__table__
_FTS = table(FTS_TABLE, column("rowid"))
_VECTOR: ColumnElement[Any] = literal_column(f"articles.{PG_VECTOR}")
_SIMPLE: ColumnElement[Any] = literal_column("'simple'::regconfig")


class QueryError(KompasError):
    """A search query, date or filter the archive cannot answer."""


# Bounds on what a query may ask, so a pasted page or a runaway script gets one line at once
# rather than minutes of work: the query's length and words, and any count of rows asked for.
MAX_QUERY_CHARS = 20_000
MAX_QUERY_TERMS = 64
MAX_COUNT = 1_000_000_000
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SYNTAX = re.compile(r'["()*:]|\b(?:AND|OR|NOT|NEAR)\b')


def bounded_query(query: str) -> str:
    """The query as searched: control characters as spaces; when it is plain words (no FTS5
    syntax), each word once. QueryError when it is longer than the archive will search."""
    text = _CONTROL.sub(" ", query)
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(
            f"the search query is {len(text):,} characters long; at most "
            f"{MAX_QUERY_CHARS:,} are searched"
        )
    plain = not _SYNTAX.search(text)
    words = text.split()
    if plain:  # FTS5 ignores case: "NATO nato" is one word
        firsts: dict[str, str] = {}
        for word in words:
            firsts.setdefault(word.casefold(), word)
        words = list(firsts.values())
    if len(words) > MAX_QUERY_TERMS:
        raise QueryError(
            f"the search query has {len(words):,} words; at most {MAX_QUERY_TERMS} are searched"
        )
    return " ".join(words) if plain else text


def check_count(value: int | None, option: str) -> None:
    """QueryError unless ``value`` (a limit, a top-N) is None or between 1 and MAX_COUNT."""
    if value is not None and not 1 <= value <= MAX_COUNT:
        raise QueryError(f"{option} must be between 1 and {MAX_COUNT:,}, not {value}")


@dataclass(frozen=True)
class Filters:
    """Which articles a search, a stats run or an export covers. Empty means all."""

    since: date | None = None  # first WIB day included
    until: date | None = None  # last WIB day included
    writers: tuple[str, ...] = ()  # each must match a writer (case-insensitive substring)
    sources: tuple[str, ...] = ()  # each must be a source (case-insensitive)
    tags: tuple[str, ...] = ()  # each must be a tag (case-insensitive)
    sections: tuple[str, ...] = ()  # each must be the section or subsection (case-insensitive)

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise QueryError(f"--since {self.since} is after --until {self.until}")


@dataclass
class Hit:
    """One search result."""

    id: int
    article_id: str
    url: str
    title: str
    published_at: datetime  # aware, UTC
    section: str | None
    subsection: str | None
    writers: list[str]
    sources: list[str]
    tags: list[str]
    snippet: str
    score: float | None  # relevance (-bm25): higher is better; None without the full-text index

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SearchResult:
    hits: list[Hit]
    total: int  # all matches, before --limit
    used_fts: bool = True
    query: str = ""
    filters: Filters = field(default_factory=Filters)
    sort: Sort = "relevance"


# ---------------------------------------------------------------------------- dates


def parse_day(text: str, option: str = "date") -> date:
    """A YYYY-MM-DD day (or YYYY-MM, meaning its first day); QueryError if impossible."""
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}", value):
            return date.fromisoformat(value + "-01")
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return date.fromisoformat(value)
    except ValueError as error:
        raise QueryError(f"{option} {text!r} is not a real date ({error})") from error
    raise QueryError(f"{option} {text!r} is not a date: use YYYY-MM-DD, e.g. 2024-05-01")


def parse_until(text: str, option: str = "--until") -> date:
    """Like parse_day, but YYYY-MM means the month's last day."""
    day = parse_day(text, option)
    if re.fullmatch(r"\d{4}-\d{2}", text.strip()):
        next_month = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        return next_month - timedelta(days=1)
    return day


def wib_day_start(day: date) -> datetime:
    """The naive UTC instant a WIB day starts, as stored in the database."""
    return datetime.combine(day, time(), WIB).astimezone(UTC).replace(tzinfo=None)


# ---------------------------------------------------------------------------- the query language


_TOKEN = re.compile(r'"(?:[^"]|"")*"\*?|"[^"]*$|[(),]|[^\s(),"]+')
_OPERATORS = {"AND", "OR", "NOT"}


def _is_bareword(word: str) -> bool:
    # FTS5 barewords: ASCII letters, digits, underscore, and any non-ASCII character.
    return bool(word) and all(
        (ch.isascii() and (ch.isalnum() or ch == "_")) or ord(ch) > 127 for ch in word
    )


def _quote(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _term(word: str) -> str:
    prefix = word.endswith("*") and len(word) > 1
    stem = word[:-1] if prefix else word
    if ":" in stem:
        name, _, rest = stem.partition(":")
        if name in FTS_COLUMNS and rest:
            return f"{name}:{_term(rest + ('*' if prefix else ''))}"
    text = stem if _is_bareword(stem) else _quote(stem)
    return text + ("*" if prefix else "")


def fts_expression(query: str) -> str:
    """The user's query as an FTS5 expression.

    FTS5 syntax passes through (``"phrases"``, ``AND OR NOT``, ``NEAR(a b, 5)``, ``prefix*``,
    ``title:word``); words FTS5 would reject (``Rusia-Ukraina``, ``AS.``, ``Xi's``) become phrases,
    so everyday text searches for what it says. Words side by side must all match (implicit AND).
    """
    if not query.strip():
        raise QueryError("the search query is empty")
    parts: list[str] = []
    groups: list[bool] = []  # for each open parenthesis: is it NEAR( ... )?
    for match in _TOKEN.finditer(query):
        token = match.group()
        if token.startswith('"'):
            if len(token) == 1 or not token.rstrip("*").endswith('"') or token.rstrip("*") == '"':
                raise QueryError(
                    f"search query {query!r} has an unbalanced double quote: close the phrase "
                    'with another " or remove it'
                )
            parts.append(token)
        elif token == "(":
            groups.append(bool(parts) and parts[-1] == "NEAR")
            parts.append(token)
        elif token == ")":
            if groups:
                groups.pop()
            parts.append(token)
        elif token == ",":
            if groups and groups[-1]:
                parts.append(token)
        elif token in _OPERATORS or token == "NEAR":
            parts.append(token)
        else:
            parts.append(_term(token))
    expression = ""
    for previous, part in zip([None, *parts], parts, strict=False):
        glued = (
            previous in (None, "(") or part in (")", ",") or (part == "(" and previous == "NEAR")
        )
        expression += part if glued else " " + part
    return expression


def plain_terms(query: str) -> list[str]:
    """The words and phrases of a query, operators dropped: what a LIKE scan looks for."""
    terms = []
    for match in _TOKEN.finditer(query):
        token = match.group().rstrip("*")
        if token.startswith('"'):
            if len(token) < 2 or not token.endswith('"'):
                raise QueryError(f"search query {query!r} has an unbalanced double quote")
            token = token[1:-1].replace('""', '"')
        elif token in _OPERATORS or token in {"NEAR", "(", ")", ","}:
            continue
        else:
            name, sep, rest = token.partition(":")
            if sep and name in FTS_COLUMNS:
                token = rest
        if token.strip():
            terms.append(token.strip())
    if not terms:
        raise QueryError(f"search query {query!r} has no words to search for")
    return terms


def websearch_text(query: str) -> str:
    """The user's query as text for PostgreSQL's ``websearch_to_tsquery``, meaning what it means
    on SQLite as far as that can: words side by side must all match, ``"a phrase"``, ``OR``,
    ``-word`` and ``NOT word`` exclude. ``AND`` and parentheses are dropped (no grouping),
    ``NEAR(a b, 5)`` means all of its words, ``title:word`` and ``prefix*`` mean the plain word.
    """
    if not query.strip():
        raise QueryError("the search query is empty")
    plain_terms(query)  # the same errors as on SQLite: unbalanced quotes, no words
    parts: list[str] = []
    negate = after_comma = False
    for match in _TOKEN.finditer(query.replace("\x00", " ")):
        token = match.group()
        if token in ("AND", "NEAR", "(", ")", ","):
            after_comma = token == ","
            continue
        if token in ("NOT", "OR"):
            negate = token == "NOT"
            parts += ["OR"] if token == "OR" else []
            continue
        if after_comma and token.isdigit():  # the distance of NEAR(a b, 5)
            after_comma = False
            continue
        if token.startswith('"'):  # websearch_to_tsquery has no escaped quote inside a phrase
            word = '"' + token.rstrip("*")[1:-1].replace('"', " ") + '"'
        else:
            word = token.rstrip("*") or token
            name, sep, rest = word.partition(":")
            if sep and name in FTS_COLUMNS and rest:
                word = rest
            if word.lower() == "or":  # a word, as on SQLite, not websearch_to_tsquery's OR
                word = '"or"'
        parts.append(("-" if negate else "") + word)
        negate = after_comma = False
    return " ".join(parts)


def _tsquery(query: str) -> ColumnElement[Any]:
    return func.websearch_to_tsquery(_SIMPLE, bindparam("ts_query", websearch_text(query)))


def _ts_match(query: str) -> ColumnElement[bool]:
    return _VECTOR.op("@@")(_tsquery(query))


def _query_error(query: str, error: DBAPIError) -> QueryError:
    if _sqlstate(error) is not None or isinstance(error, DataError):
        reason = " ".join(str(error.orig).split())
        return QueryError(f"search query {query!r} cannot be searched ({reason})")
    reason = str(error.orig).removeprefix("fts5: ")
    return QueryError(
        f"search query {query!r} is not valid ({reason}): AND, OR, NOT and NEAR need words on "
        "both sides and quotes must be balanced; to search for the words literally, put them "
        f"in double quotes, e.g. {_quote(query.replace(chr(34), ''))!r}"
    )


def _sqlstate(error: DBAPIError) -> str | None:
    return getattr(error.orig, "sqlstate", None)


def _is_query_error(error: DBAPIError) -> bool:
    """A query the database rejects (not a lost connection): FTS5 syntax on SQLite; bad data,
    syntax or a program limit (a tsquery too large) on PostgreSQL."""
    state = _sqlstate(error)
    if state is not None:
        return state[:2] in ("22", "54") or state == "42601"
    if isinstance(error, DataError):  # psycopg refuses the text itself
        return True
    message = str(error.orig)
    return message.startswith("fts5:") or any(
        text in message for text in ("unterminated string", "syntax error", "no such column")
    )


# ---------------------------------------------------------------------------- filters


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _people_match(role: str, name: str) -> ColumnElement[bool]:
    pattern = f"%{_escape_like(name.strip())}%"
    return exists(
        select(1)
        .select_from(ArticlePerson.__table__.join(Person.__table__))
        .where(
            ArticlePerson.article_id == _A.c.id,
            ArticlePerson.role == role,
            Person.name.ilike(pattern, escape="\\"),
        )
    )


def _named(link: Any, entity: Any, name: str) -> ColumnElement[bool]:
    return exists(
        select(1)
        .select_from(link.__table__.join(entity.__table__))
        .where(link.article_id == _A.c.id, func.lower(entity.name) == name.strip().lower())
    )


def filter_clauses(filters: Filters) -> list[ColumnElement[bool]]:
    """WHERE conditions on ``articles`` for the filters, with bound parameters."""
    clauses: list[ColumnElement[bool]] = []
    if filters.since:
        clauses.append(_A.c.published_at >= wib_day_start(filters.since))
    if filters.until:
        clauses.append(_A.c.published_at < wib_day_start(filters.until + timedelta(days=1)))
    clauses += [_people_match("writer", name) for name in filters.writers]
    clauses += [_named(ArticleSource, Source, name) for name in filters.sources]
    clauses += [_named(ArticleTag, Tag, name) for name in filters.tags]
    for name in filters.sections:
        wanted = name.strip().lower()
        clauses.append(
            or_(func.lower(_A.c.section) == wanted, func.lower(_A.c.subsection) == wanted)
        )
    return clauses


# ---------------------------------------------------------------------------- search


def has_fts(engine: Engine) -> bool:
    """True when the archive has its full-text index: FTS5 on SQLite, the tsvector column on
    PostgreSQL (an archive not opened for writing since kompas-crawler made it has none)."""
    if engine.dialect.name == "sqlite":
        return inspect(engine).has_table(FTS_TABLE)
    if engine.dialect.name == "postgresql":
        return any(c["name"] == PG_VECTOR for c in inspect(engine).get_columns("articles"))
    return False


def _match(expression: str) -> ColumnElement[bool]:
    return literal_column(FTS_TABLE).op("MATCH")(bindparam("fts_query", expression))


def _like_clause(engine: Engine, terms: Sequence[str]) -> ColumnElement[bool]:
    # SQLite's LIKE already ignores ASCII case (and lower() would cost a full copy of every body).
    sqlite = engine.dialect.name == "sqlite"
    clauses = []
    for term in terms:
        pattern = f"%{_escape_like(term)}%"
        columns = (_A.c.title, _A.c.body, _A.c.tag_list)
        clauses.append(
            or_(
                *(
                    col.like(pattern, escape="\\") if sqlite else col.ilike(pattern, escape="\\")
                    for col in columns
                )
            )
        )
    return and_(*clauses)


def _text_snippet(body: str, terms: Sequence[str], mark: tuple[str, str]) -> str:
    """A snippet around the first matched term, for the LIKE fallback."""
    pattern = re.compile("|".join(re.escape(term) for term in terms), re.IGNORECASE)
    found = pattern.search(body)
    start = max(0, found.start() - 80) if found else 0
    end = min(len(body), start + 200)
    text = pattern.sub(lambda m: f"{mark[0]}{m.group()}{mark[1]}", body[start:end])
    return ("…" if start else "") + " ".join(text.split()) + ("…" if end < len(body) else "")


def _names_by_article(
    connection: Connection, ids: Sequence[int], *, related: bool = False
) -> dict[int, dict[str, list[str]]]:
    """Writers, editors, sources, tags (and related URLs) of each article, in byline order."""
    names: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    if not ids:
        return names
    people = (
        select(ArticlePerson.article_id, ArticlePerson.role, Person.name)
        .join(Person, Person.id == ArticlePerson.person_id)
        .where(ArticlePerson.article_id.in_(ids))
        .order_by(ArticlePerson.article_id, ArticlePerson.position)
    )
    for article, role, name in connection.execute(people):
        names[article][role + "s"].append(name)
    for key, link, entity, entity_id in (
        ("sources", ArticleSource, Source, ArticleSource.source_id),
        ("tags", ArticleTag, Tag, ArticleTag.tag_id),
    ):
        rows = connection.execute(
            select(link.article_id, entity.name)
            .join(entity, entity.id == entity_id)
            .where(link.article_id.in_(ids))
            .order_by(link.article_id, link.position)
        )
        for article, name in rows:
            names[article][key].append(name)
    if related:
        rows = connection.execute(
            select(RelatedLink.article_id, RelatedLink.url)
            .where(RelatedLink.article_id.in_(ids))
            .order_by(RelatedLink.article_id, RelatedLink.position)
        )
        for article, url in rows:
            names[article]["related_urls"].append(url)
    return names


def search(
    engine: Engine,
    query: str,
    filters: Filters | None = None,
    *,
    limit: int = 20,
    sort: Sort = "relevance",
    mark: tuple[str, str] = DEFAULT_MARK,
    use_fts: bool | None = None,
    count: bool = True,
) -> SearchResult:
    """Articles matching ``query`` and ``filters``, best first (or newest first).

    ``use_fts=False`` forces the LIKE scan used where there is no full-text index.
    """
    filters = filters or Filters()
    check_count(limit, "--limit")
    query = bounded_query(query)
    if use_fts is None:
        use_fts = has_fts(engine)
    try:
        with engine.connect() as connection:
            if use_fts and engine.dialect.name == "postgresql":
                return _pg_search(connection, query, filters, limit, sort, mark, count)
            if use_fts:
                return _fts_search(connection, query, filters, limit, sort, mark, count)
            return _like_search(engine, connection, query, filters, limit, sort, mark, count)
    except DBAPIError as error:
        if use_fts and _is_query_error(error):
            raise _query_error(query, error) from error
        raise


def _order(sort: Sort, score: ColumnElement[Any] | None) -> list[ColumnElement[Any]]:
    if sort == "relevance" and score is not None:
        return [score, _A.c.published_at.desc()]
    if sort == "oldest":
        return [_A.c.published_at, _A.c.id]
    return [_A.c.published_at.desc(), _A.c.id.desc()]


def _fts_search(
    connection: Connection,
    query: str,
    filters: Filters,
    limit: int,
    sort: Sort,
    mark: tuple[str, str],
    count: bool,
) -> SearchResult:
    expression = fts_expression(query)
    score = func.bm25(literal_column(FTS_TABLE), *BM25_WEIGHTS).label("score")
    conditions = filter_clauses(filters)
    # Without filters, ranking and counting need only the index: joining every match to its
    # article row would cost more than the ranking itself.
    source = _FTS.join(_A, _A.c.id == _FTS.c.rowid) if conditions or sort != "relevance" else _FTS
    order = _order(sort, score) if source is not _FTS else [score, _FTS.c.rowid.desc()]
    where = [_match(expression), *conditions]
    ranked = (
        select(_FTS.c.rowid.label("id"), score)
        .select_from(source)
        .where(*where)
        .order_by(*order)
        .limit(limit)
    )
    ranking = connection.execute(ranked).all()
    ids = [row.id for row in ranking]
    snippets = _snippets(connection, expression, ids, mark)
    total = len(ids)
    if count and len(ids) == limit:
        counted = select(func.count()).select_from(_FTS if not conditions else source)
        total = connection.execute(counted.where(*where)).scalar_one()
    hits = _hits(connection, ids, {row.id: -row.score for row in ranking}, snippets)
    return SearchResult(hits, total, used_fts=True, query=query, filters=filters, sort=sort)


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
        func.snippet(fts, column, mark[0], mark[1], "…", SNIPPET_TOKENS)
        for column in (FTS_COLUMNS.index("body"), -1)
    )
    rows = connection.execute(
        select(_FTS.c.rowid, body, best).where(_match(expression), _FTS.c.rowid.in_(ids))
    )
    return {row_id: in_body if mark[0] in in_body else other for row_id, in_body, other in rows}


def _pg_search(
    connection: Connection,
    query: str,
    filters: Filters,
    limit: int,
    sort: Sort,
    mark: tuple[str, str],
    count: bool,
) -> SearchResult:
    tsquery = _tsquery(query)
    weights: ColumnElement[Any] = literal_column(f"'{PG_RANK_WEIGHTS}'::float4[]")
    score = func.ts_rank_cd(weights, _VECTOR, tsquery).label("score")
    where = [_VECTOR.op("@@")(tsquery), *filter_clauses(filters)]
    order = (
        [score.desc(), _A.c.published_at.desc(), _A.c.id.desc()]
        if sort == "relevance"
        else _order(sort, None)
    )
    ranked = select(_A.c.id, score).where(*where).order_by(*order).limit(limit)
    ranking = connection.execute(ranked).all()
    ids = [row.id for row in ranking]
    snippets = _pg_snippets(connection, tsquery, ids, mark)
    total = len(ids)
    if count and len(ids) == limit:
        total = connection.execute(select(func.count()).select_from(_A).where(*where)).scalar_one()
    hits = _hits(connection, ids, {row.id: float(row.score) for row in ranking}, snippets)
    return SearchResult(hits, total, used_fts=True, query=query, filters=filters, sort=sort)


def _headline_options(mark: tuple[str, str]) -> str:
    def quoted(text: str) -> str:
        return '"' + text.replace('"', '""') + '"'

    return (
        f"StartSel={quoted(mark[0])}, StopSel={quoted(mark[1])}, MaxWords={SNIPPET_TOKENS}, "
        f"MinWords={SNIPPET_TOKENS // 2}, ShortWord=0, MaxFragments=1"
    )


def _pg_snippets(
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


def _like_search(
    engine: Engine,
    connection: Connection,
    query: str,
    filters: Filters,
    limit: int,
    sort: Sort,
    mark: tuple[str, str],
    count: bool,
) -> SearchResult:
    terms = plain_terms(query)
    where = [_like_clause(engine, terms), *filter_clauses(filters)]
    ranked = select(_A.c.id, _A.c.body).where(*where).order_by(*_order(sort, None)).limit(limit)
    rows = connection.execute(ranked).all()
    ids = [row.id for row in rows]
    snippets = {row.id: _text_snippet(row.body, terms, mark) for row in rows}
    total = len(ids)
    if count and len(ids) == limit:
        total = connection.execute(select(func.count()).select_from(_A).where(*where)).scalar_one()
    hits = _hits(connection, ids, {}, snippets)
    return SearchResult(hits, total, used_fts=False, query=query, filters=filters, sort=sort)


def _hits(
    connection: Connection,
    ids: list[int],
    scores: dict[int, float],
    snippets: dict[int, str],
) -> list[Hit]:
    if not ids:
        return []
    columns = (
        _A.c.id,
        _A.c.article_id,
        _A.c.url,
        _A.c.title,
        _A.c.published_at,
        _A.c.section,
        _A.c.subsection,
    )
    rows = {row.id: row for row in connection.execute(select(*columns).where(_A.c.id.in_(ids)))}
    names = _names_by_article(connection, ids)
    hits = []
    for article in ids:
        row = rows[article]
        hits.append(
            Hit(
                id=row.id,
                article_id=row.article_id,
                url=row.url,
                title=row.title,
                published_at=to_aware_utc(row.published_at),  # type: ignore[arg-type]
                section=row.section,
                subsection=row.subsection,
                writers=list(names[article]["writers"]),
                sources=list(names[article]["sources"]),
                tags=list(names[article]["tags"]),
                snippet=snippets.get(article, ""),
                score=scores.get(article),
            )
        )
    return hits


# ---------------------------------------------------------------------------- export


EXPORT_FIELDS = (
    "id",
    "article_id",
    "url",
    "title",
    "published_at",
    "updated_at",
    "section",
    "subsection",
    "writers",
    "editors",
    "sources",
    "tags",
    "dateline",
    "image_url",
    "image_caption",
    "image_credit",
    "word_count",
    "related_urls",
    "body",
    "fetched_at",
    "first_seen_at",
    "last_seen_at",
)
_LIST_FIELDS = ("writers", "editors", "sources", "tags", "related_urls")
_DATETIME_FIELDS = ("published_at", "updated_at", "fetched_at", "first_seen_at", "last_seen_at")


def _selection(
    engine: Engine, filters: Filters, query: str | None, use_fts: bool | None
) -> list[ColumnElement[bool]]:
    where = filter_clauses(filters)
    if query is not None:
        if use_fts is None:
            use_fts = has_fts(engine)
        if use_fts and engine.dialect.name == "postgresql":
            where.append(_ts_match(query))
        elif use_fts:
            matches = select(_FTS.c.rowid).where(_match(fts_expression(query)))
            where.append(_A.c.id.in_(matches))
        else:
            where.append(_like_clause(engine, plain_terms(query)))
    return where


def iter_articles(
    engine: Engine,
    filters: Filters | None = None,
    *,
    query: str | None = None,
    limit: int | None = None,
    sort: Sort = "oldest",
    batch_size: int = 1000,
    use_fts: bool | None = None,
) -> Iterator[dict[str, Any]]:
    """Every selected article as a flat dict (``EXPORT_FIELDS``), streamed in batches.

    Memory stays flat: rows come from a streaming cursor ``batch_size`` at a time, and each batch's
    bylines, sources and tags are fetched with one query per kind.
    """
    filters = filters or Filters()
    check_count(limit, "--limit")
    query = None if query is None else bounded_query(query)
    columns = [_A.c[name] for name in EXPORT_FIELDS if name not in _LIST_FIELDS]
    try:
        where = _selection(engine, filters, query, use_fts)
        statement = select(*columns).where(*where).order_by(*_order(sort, None)).limit(limit)
        with engine.connect() as connection:
            result = connection.execution_options(yield_per=batch_size).execute(statement)
            for batch in result.partitions():
                names = _names_by_article(connection, [row.id for row in batch], related=True)
                for row in batch:
                    record = dict(row._mapping)
                    for key in _DATETIME_FIELDS:
                        record[key] = to_aware_utc(record[key])
                    for key in _LIST_FIELDS:
                        record[key] = list(names[row.id][key]) if row.id in names else []
                    yield {name: record[name] for name in EXPORT_FIELDS}
    except DBAPIError as error:
        if query is not None and _is_query_error(error):
            raise _query_error(query, error) from error
        raise


def count_articles(
    engine: Engine, filters: Filters | None = None, *, query: str | None = None
) -> int:
    """How many articles ``iter_articles`` would yield without a limit."""
    query = None if query is None else bounded_query(query)
    where = _selection(engine, filters or Filters(), query, None)
    try:
        with engine.connect() as connection:
            statement = select(func.count()).select_from(_A).where(*where)
            return int(connection.execute(statement).scalar_one())
    except DBAPIError as error:
        if query is not None and _is_query_error(error):
            raise _query_error(query, error) from error
        raise


# ---------------------------------------------------------------------------- one article


def find_article(engine: Engine, key: str) -> dict[str, Any] | None:
    """The row of the article named by URL (any variant), article id or row id; None if unknown."""
    key = key.strip()
    conditions = [_A.c.url == key, _A.c.article_id == key]
    if canonical := canonical_url(key):
        conditions.append(_A.c.url == canonical)
    if from_url := article_id_from_url(key):
        conditions.append(_A.c.article_id == from_url)
    if key.isdigit() and int(key) <= MAX_COUNT * MAX_COUNT:  # beyond any row id (and int64)
        conditions.append(_A.c.id == int(key))
    columns = (
        _A.c.id,
        _A.c.article_id,
        _A.c.url,
        _A.c.content_hash,
        _A.c.fetched_at,
        _A.c.first_seen_at,
        _A.c.last_seen_at,
    )
    with engine.connect() as connection:
        row = connection.execute(select(*columns).where(or_(*conditions)).limit(1)).first()
    if row is None:
        return None
    record = dict(row._mapping)
    for name in ("fetched_at", "first_seen_at", "last_seen_at"):
        record[name] = to_aware_utc(record[name])
    return record


# ---------------------------------------------------------------------------- stats


def _period(engine: Engine, by: Period) -> ColumnElement[str]:
    """The WIB day or month of ``published_at`` as text."""
    if engine.dialect.name == "sqlite":
        return func.strftime("%Y-%m-%d" if by == "day" else "%Y-%m", _A.c.published_at, "+7 hours")
    shifted = _A.c.published_at + WIB.utcoffset(None)
    return func.to_char(shifted, "YYYY-MM-DD" if by == "day" else "YYYY-MM")


def _top(
    connection: Connection,
    selected: Select[Any],
    link: Any,
    key: Any,
    entity: Any,
    extra: Iterable[Any],
    top: int,
) -> list[dict[str, Any]]:
    articles = func.count(func.distinct(link.article_id)).label("articles")
    statement = (
        select(entity.name, articles)
        .join(link, key == entity.id)
        .where(link.article_id.in_(selected), *extra)
        .group_by(entity.name)
        .order_by(articles.desc(), entity.name)
        .limit(top)
    )
    return [{"name": name, "articles": n} for name, n in connection.execute(statement)]


def stats(
    engine: Engine,
    filters: Filters | None = None,
    *,
    by: Period = "month",
    top: int = 10,
    runs: int = 5,
) -> dict[str, Any]:
    """Totals, articles per WIB day or month, top names, fill rates and the last crawl runs."""
    check_count(top, "--top")
    check_count(runs, "--runs")
    filters = filters or Filters()
    where = filter_clauses(filters)
    selected = select(_A.c.id).where(*where)

    def has(link: Any, *extra: Any) -> ColumnElement[int]:
        return func.coalesce(
            func.sum(exists(select(1).where(link.article_id == _A.c.id, *extra)).cast(Integer)), 0
        )

    def filled(col: Any) -> ColumnElement[int]:
        return func.count(func.nullif(col, ""))

    with engine.connect() as connection:
        totals = connection.execute(
            select(
                func.count().label("articles"),
                func.min(_A.c.published_at).label("first_published"),
                func.max(_A.c.published_at).label("last_published"),
                func.coalesce(func.sum(_A.c.word_count), 0).label("words"),
                has(ArticlePerson, ArticlePerson.role == "writer").label("writer"),
                has(ArticlePerson, ArticlePerson.role == "editor").label("editor"),
                has(ArticleSource).label("source"),
                has(ArticleTag).label("tag"),
                has(RelatedLink).label("related_links"),
                has(Revision).label("revisions"),
                filled(_A.c.image_url).label("image"),
                filled(_A.c.image_caption).label("image_caption"),
                filled(_A.c.dateline).label("dateline"),
                filled(_A.c.subsection).label("subsection"),
                func.count(_A.c.updated_at).label("updated_at"),
            ).where(*where)
        ).one()
        n = totals.articles
        fill_fields = (
            "writer",
            "editor",
            "source",
            "tag",
            "image",
            "image_caption",
            "dateline",
            "subsection",
            "updated_at",
            "related_links",
            "revisions",
        )
        fill_rates = {name: (getattr(totals, name) / n if n else 0.0) for name in fill_fields}
        period = _period(engine, by).label("period")
        per_period = [
            {"period": p, "articles": c}
            for p, c in connection.execute(
                select(period, func.count()).where(*where).group_by(period).order_by(period)
            )
        ]
        revision_count = connection.execute(
            select(func.count()).select_from(Revision).where(Revision.article_id.in_(selected))
        ).scalar_one()
        top_writers = _top(
            connection,
            selected,
            ArticlePerson,
            ArticlePerson.person_id,
            Person,
            [ArticlePerson.role == "writer"],
            top,
        )
        top_sources = _top(
            connection, selected, ArticleSource, ArticleSource.source_id, Source, [], top
        )
        top_tags = _top(connection, selected, ArticleTag, ArticleTag.tag_id, Tag, [], top)
        distinct_writers = connection.execute(
            select(func.count(func.distinct(ArticlePerson.person_id))).where(
                ArticlePerson.role == "writer", ArticlePerson.article_id.in_(selected)
            )
        ).scalar_one()
        extraction = _extraction_counts(connection, where)
        crawl_runs = [
            {
                "id": run.id,
                "spider": run.spider,
                "started_at": to_aware_utc(run.started_at),
                "finished_at": to_aware_utc(run.finished_at),
                "status": run.status,
                "finish_reason": run.finish_reason,
                "requests": run.requests,
                "articles_new": run.articles_new,
                "articles_updated": run.articles_updated,
                "articles_unchanged": run.articles_unchanged,
                "errors": run.errors,
            }
            for run in connection.execute(
                select(CrawlRun)
                .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
                .limit(runs)
            )
        ]
    return {
        "totals": {
            "articles": n,
            "words": totals.words,
            "writers": distinct_writers,
            "revisions": revision_count,
            "first_published": to_aware_utc(totals.first_published),
            "last_published": to_aware_utc(totals.last_published),
        },
        "by": by,
        "per_period": per_period,
        "top_writers": top_writers,
        "top_sources": top_sources,
        "top_tags": top_tags,
        "fill_rates": fill_rates,
        "extraction": extraction,
        "crawl_runs": crawl_runs,
    }


def _extraction_counts(connection: Connection, where: list[Any]) -> dict[str, Any]:
    """How the articles were read: how many per layout, and per field read by a fallback."""
    layout = func.coalesce(_A.c.layout, "not recorded")
    counted = select(layout, func.count()).where(*where).group_by(layout).order_by(layout)
    by_layout: dict[str, int] = {name: count for name, count in connection.execute(counted)}
    fallbacks: dict[str, int] = {}
    # Few articles carry fallbacks: their JSON lists are counted here, not in dialect SQL.
    rows = connection.execute(
        select(_A.c.fallbacks).where(*where, _A.c.fallbacks.is_not(None))
    ).scalars()
    for fields in rows:
        for name in fields or []:
            fallbacks[name] = fallbacks.get(name, 0) + 1
    return {"by_layout": by_layout, "fallbacks": dict(sorted(fallbacks.items()))}
