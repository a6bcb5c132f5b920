"""The archive from Python (notebooks, scripts): open it, search it, iterate its articles.

    >>> import pandas as pd
    >>> from kompas_crawler.archive import Archive
    >>> with Archive("sqlite:///data/kompas.db") as archive:
    ...     hits = pd.DataFrame(archive.search("NATO Ukraina", since="2022-01", limit=100))
    ...     afp = pd.DataFrame(archive.rows(source="AFP"))

Dicts are flat (lists for writers, sources, tags) with datetimes aware and in WIB (UTC+7), so
they load straight into a DataFrame. Reading never blocks a crawl writing the same archive.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from types import TracebackType
from typing import Any

from kompas_crawler import settings
from kompas_crawler.items import Article
from kompas_crawler.processors import WIB
from kompas_crawler.storage.archive import load_article, load_revisions
from kompas_crawler.storage.database import open_existing_archive, shown
from kompas_crawler.storage.filters import Filters, QueryError, parse_day, parse_until
from kompas_crawler.storage.rows import count_articles, iter_articles
from kompas_crawler.storage.search import Sort, search
from kompas_crawler.storage.stats import Period, stats

__all__ = ["Archive", "QueryError"]

_ARTICLE_FIELDS = {f.name for f in dataclasses.fields(Article)}
Names = str | Iterable[str] | None
Day = date | str | None


def _names(value: Names) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _day(value: Day, option: str, *, until: bool = False) -> date | None:
    if value is None or isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    return parse_until(value, option) if until else parse_day(value, option)


def _in_wib(record: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value.astimezone(WIB) if isinstance(value, datetime) else value
        for key, value in record.items()
    }


class Archive:
    """A read-only handle on an archive; ``url`` defaults to KOMPAS_DATABASE_URL."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or settings.KOMPAS_DATABASE_URL
        self.engine = open_existing_archive(self.url)

    def __enter__(self) -> Archive:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Archive({shown(self.url)})"  # any password masked

    @staticmethod
    def filters(
        *,
        since: Day = None,
        until: Day = None,
        writer: Names = None,
        source: Names = None,
        tag: Names = None,
        section: Names = None,
    ) -> Filters:
        """Filters as the CLI reads them: WIB days (date or 'YYYY-MM-DD' / 'YYYY-MM'), names."""
        return Filters(
            since=_day(since, "since"),
            until=_day(until, "until", until=True),
            writers=_names(writer),
            sources=_names(source),
            tags=_names(tag),
            sections=_names(section),
        )

    def search(
        self,
        query: str,
        *,
        limit: int = 20,
        sort: Sort = "relevance",
        mark: tuple[str, str] = ("**", "**"),
        exact: bool = False,
        **filters: Any,
    ) -> list[dict[str, Any]]:
        """The best ``limit`` matches of a full-text query, as dicts with snippet and score.

        Words match their other forms too (``serangan`` finds ``menyerang``); ``exact=True``
        matches them as written only."""
        result = search(
            self.engine,
            query,
            self.filters(**filters),
            limit=limit,
            sort=sort,
            mark=mark,
            exact=exact,
        )
        return [_in_wib(hit.to_dict()) for hit in result.hits]

    def count(self, query: str | None = None, *, exact: bool = False, **filters: Any) -> int:
        """How many articles match the query (if any) and the filters."""
        return count_articles(self.engine, self.filters(**filters), query=query, exact=exact)

    def rows(
        self,
        query: str | None = None,
        *,
        limit: int | None = None,
        sort: Sort = "oldest",
        exact: bool = False,
        **filters: Any,
    ) -> Iterator[dict[str, Any]]:
        """Every selected article as a flat dict, streamed (flat memory on any archive size)."""
        records = iter_articles(
            self.engine,
            self.filters(**filters),
            query=query,
            limit=limit,
            sort=sort,
            exact=exact,
        )
        for record in records:
            yield _in_wib(record)

    def articles(
        self,
        query: str | None = None,
        *,
        limit: int | None = None,
        sort: Sort = "oldest",
        exact: bool = False,
        **filters: Any,
    ) -> Iterator[Article]:
        """Every selected article as an ``Article`` item (UTC datetimes, as the crawler makes)."""
        records = iter_articles(
            self.engine,
            self.filters(**filters),
            query=query,
            limit=limit,
            sort=sort,
            exact=exact,
        )
        for record in records:
            yield Article(**{key: value for key, value in record.items() if key in _ARTICLE_FIELDS})

    def article(self, url_or_id: str) -> Article | None:
        """One article by URL (any form) or article id; None if the archive lacks it."""
        return load_article(self.engine, url_or_id)

    def revisions(self, url_or_id: str) -> list[Article]:
        """Earlier versions of an article, oldest first."""
        return load_revisions(self.engine, url_or_id)

    def stats(self, *, by: Period = "month", top: int = 10, **filters: Any) -> dict[str, Any]:
        """Totals, articles per WIB day or month, top names, fill rates and last crawl runs."""
        return stats(self.engine, self.filters(**filters), by=by, top=top)
