"""Full-text search of the archive, one module per engine behind one interface.

An engine is a module with ``available(engine)``, ``search(connection, request)`` and
``matching(engine, query, exact)`` (the WHERE condition an export or a count uses): ``fts5`` on
SQLite, ``postgres`` on PostgreSQL, ``like`` (a scan) where neither index exists. A new engine
is one new module and one line in ``_ENGINES``.
"""

from __future__ import annotations

import weakref
from typing import Protocol

from sqlalchemy import ColumnElement, Connection, Engine
from sqlalchemy.exc import DBAPIError

from kompas_crawler.storage.filters import Filters, QueryError, check_count
from kompas_crawler.storage.search import fts5, like, postgres
from kompas_crawler.storage.search.errors import is_query_error, query_error
from kompas_crawler.storage.search.expressions import bounded_query
from kompas_crawler.storage.search.request import DEFAULT_MARK, Request, Sort
from kompas_crawler.storage.search.results import Hit, SearchResult

__all__ = [
    "DEFAULT_MARK",
    "Filters",
    "Hit",
    "QueryError",
    "SearchResult",
    "Sort",
    "has_fts",
    "matching",
    "search",
]


class SearchEngine(Protocol):
    def available(self, engine: Engine) -> bool: ...

    def search(self, connection: Connection, request: Request) -> SearchResult: ...

    def matching(self, engine: Engine, query: str, exact: bool) -> ColumnElement[bool]: ...


# Full-text engines, tried in order; the LIKE scan is the fallback.
_ENGINES: tuple[SearchEngine, ...] = (fts5, postgres)


# The full-text engine found for each archive (Engine), asked once: the check costs a few
# statements, a few ms a search. Only a found index is remembered (an index is never dropped;
# an archive without one may get it from a writer meanwhile).
_FOUND: weakref.WeakKeyDictionary[Engine, SearchEngine] = weakref.WeakKeyDictionary()


def _engine_for(engine: Engine, use_fts: bool | None) -> SearchEngine:
    if use_fts is False:
        return like
    if (found := _FOUND.get(engine)) is None:
        found = next((e for e in _ENGINES if e.available(engine)), like)
        if found is not like:
            _FOUND[engine] = found
    return found


def has_fts(engine: Engine) -> bool:
    """True when the archive has its full-text index: FTS5 on SQLite, the tsvector column on
    PostgreSQL (an archive not opened for writing since kompas-crawler made it has none)."""
    return _engine_for(engine, None) is not like


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
    exact: bool = False,
) -> SearchResult:
    """Articles matching ``query`` and ``filters``, best first (or newest first).

    Words match their other forms too (``serangan`` finds ``menyerang``), articles with the form
    typed ranked first; ``exact=True`` (and any "quoted phrase") matches the text as written.
    ``use_fts=False`` forces the LIKE scan used where there is no full-text index.
    """
    check_count(limit, "--limit")
    request = Request(
        bounded_query(query), filters or Filters(), limit, sort, mark, count, exact=exact
    )
    chosen = _engine_for(engine, use_fts)
    try:
        with engine.connect() as connection:
            return chosen.search(connection, request)
    except DBAPIError as error:
        if chosen is not like and is_query_error(error):
            raise query_error(request.query, error) from error
        raise


def matching(
    engine: Engine, query: str, use_fts: bool | None = None, *, exact: bool = False
) -> ColumnElement[bool]:
    """WHERE condition on ``articles`` selecting the rows that match ``query`` (already bounded):
    what an export or a count selects, as search() finds them."""
    return _engine_for(engine, use_fts).matching(engine, query, exact)
