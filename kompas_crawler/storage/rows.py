"""Reading article rows: streaming an export, counting it, finding one article."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import ColumnElement, Engine, func, or_, select
from sqlalchemy.exc import DBAPIError

from kompas_crawler.storage.archive import to_aware_utc
from kompas_crawler.storage.filters import MAX_COUNT, Filters, check_count, filter_clauses
from kompas_crawler.storage.models import ArticleRow
from kompas_crawler.storage.names import names_by_article
from kompas_crawler.storage.search import Sort, matching
from kompas_crawler.storage.search.errors import is_query_error, query_error
from kompas_crawler.storage.search.expressions import bounded_query
from kompas_crawler.storage.search.request import order
from kompas_crawler.urls import article_id as article_id_from_url
from kompas_crawler.urls import canonical_url

_A = ArticleRow.__table__

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
    engine: Engine, filters: Filters, query: str | None, use_fts: bool | None, exact: bool
) -> list[ColumnElement[bool]]:
    where = filter_clauses(filters)
    if query is not None:
        where.append(matching(engine, query, use_fts, exact=exact))
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
    exact: bool = False,
) -> Iterator[dict[str, Any]]:
    """Every selected article as a flat dict (``EXPORT_FIELDS``), streamed in batches.

    Memory stays flat: rows come from a streaming cursor ``batch_size`` at a time, and each batch's
    bylines, sources and tags are fetched with one query per kind. ``query`` selects as
    search() matches (``exact``: the words as written only).
    """
    filters = filters or Filters()
    check_count(limit, "--limit")
    query = None if query is None else bounded_query(query)
    columns = [_A.c[name] for name in EXPORT_FIELDS if name not in _LIST_FIELDS]
    try:
        where = _selection(engine, filters, query, use_fts, exact)
        statement = select(*columns).where(*where).order_by(*order(sort, None)).limit(limit)
        with engine.connect() as connection:
            result = connection.execution_options(yield_per=batch_size).execute(statement)
            for batch in result.partitions():
                names = names_by_article(connection, [row.id for row in batch], related=True)
                for row in batch:
                    record = dict(row._mapping)
                    for key in _DATETIME_FIELDS:
                        record[key] = to_aware_utc(record[key])
                    for key in _LIST_FIELDS:
                        record[key] = list(names[row.id][key]) if row.id in names else []
                    yield {name: record[name] for name in EXPORT_FIELDS}
    except DBAPIError as error:
        if query is not None and is_query_error(error):
            raise query_error(query, error) from error
        raise


def count_articles(
    engine: Engine,
    filters: Filters | None = None,
    *,
    query: str | None = None,
    exact: bool = False,
) -> int:
    """How many articles ``iter_articles`` would yield without a limit."""
    query = None if query is None else bounded_query(query)
    try:
        where = _selection(engine, filters or Filters(), query, None, exact)
        with engine.connect() as connection:
            statement = select(func.count()).select_from(_A).where(*where)
            return int(connection.execute(statement).scalar_one())
    except DBAPIError as error:
        if query is not None and is_query_error(error):
            raise query_error(query, error) from error
        raise


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
