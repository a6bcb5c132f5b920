"""A query the database refuses, told apart from a lost connection and said in one line."""

from __future__ import annotations

from sqlalchemy.exc import DataError, DBAPIError

from kompas_crawler.storage.filters import QueryError
from kompas_crawler.storage.search.expressions import quote


def _sqlstate(error: DBAPIError) -> str | None:
    return getattr(error.orig, "sqlstate", None)


def is_query_error(error: DBAPIError) -> bool:
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


def query_error(query: str, error: DBAPIError) -> QueryError:
    """The QueryError telling the user why the database refused ``query``."""
    if _sqlstate(error) is not None or isinstance(error, DataError):
        reason = " ".join(str(error.orig).split())
        return QueryError(f"search query {query!r} cannot be searched ({reason})")
    reason = str(error.orig).removeprefix("fts5: ")
    return QueryError(
        f"search query {query!r} is not valid ({reason}): AND, OR, NOT and NEAR need words on "
        "both sides and quotes must be balanced; to search for the words literally, put them "
        f"in double quotes, e.g. {quote(query.replace(chr(34), ''))!r}"
    )
