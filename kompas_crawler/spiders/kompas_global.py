"""``scrapy crawl kompas_global``: walk the Global archive index and follow each article once.

    scrapy crawl kompas_global                                    # newest first, every page
    scrapy crawl kompas_global -a start_date=2022-01-01 -a end_date=2022-01-31   # backfill
    scrapy crawl kompas_global -a max_pages=3                     # at most 3 pages per listing
    scrapy crawl kompas_global -a start_date=... -a refresh=1     # re-walk days already complete

Scheduled runs are incremental (see ``kompas_crawler.incremental``): stored articles are not
fetched again, the newest-first walk stops a page (KOMPAS_INDEX_OVERLAP_PAGES) after the first
page holding only stored articles, backfills skip the days ``index_days`` holds as complete, and
articles published within KOMPAS_REVISIT_HOURS are fetched again to catch edits.

Crawl decisions only: pages are read by ``kompas_crawler.pages``, items checked and stored by the
pipelines. Each decision is one small method (which listings to start, whether to follow the next
index page, whether to follow an article), so incremental runs can override just that decision.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from kompas_crawler.errors import ConfigError
from kompas_crawler.incremental import (
    WALK_COMPLETE,
    DayWalks,
    NewestWalk,
    WalkTrust,
    walk_trust,
)
from kompas_crawler.items import Article
from kompas_crawler.pages.article import has_more_pages, parse_article
from kompas_crawler.pages.listing import Listing, parse_listing
from kompas_crawler.pipelines.store import archive_engine
from kompas_crawler.processors import WIB
from kompas_crawler.storage.archive import known_urls, urls_published_since
from kompas_crawler.storage.runs import completed_days, mark_days_complete, recent_runs
from kompas_crawler.urls import (
    article_id,
    canonical_url,
    index_url,
    is_global_article_url,
    whole_article_url,
)

logger = logging.getLogger(__name__)

# Index pages go ahead of articles, so the walk (and any decision to stop it) stays ahead.
LISTING_PRIORITY = 10
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_day(name: str, value: str) -> date:
    """A ``YYYY-MM-DD`` spider argument; ConfigError naming the argument otherwise."""
    text = value.strip()
    try:
        if not _ISO_DAY.match(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"spider argument {name}={value!r} is not a date: "
            f"use YYYY-MM-DD, e.g. {name}=2022-01-27"
        ) from None


def day_range(start_date: str | None, end_date: str | None, today: date) -> list[date] | None:
    """The days a backfill walks, oldest first; None when no range was asked for."""
    if start_date is None and end_date is None:
        return None
    if start_date is None:
        raise ConfigError(
            "spider argument end_date needs start_date too (-a start_date=YYYY-MM-DD)"
        )
    start = parse_day("start_date", start_date)
    end = parse_day("end_date", end_date) if end_date is not None else today
    if end < start:
        raise ConfigError(f"spider argument end_date={end} is before start_date={start}")
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def parse_max_pages(value: str | int | None) -> int | None:
    """The ``max_pages`` spider argument: a whole number of at least 1, or None for no bound."""
    if value is None or value == "":
        return None
    try:
        pages = int(str(value).strip())
    except ValueError:
        pages = 0
    if pages < 1:
        raise ConfigError(f"spider argument max_pages={value!r} must be a whole number >= 1")
    return pages


# The -a arguments the spider takes; Scrapyd adds _job to every run it schedules.
ARGUMENTS = ("start_date", "end_date", "max_pages", "refresh")
_SCHEDULER_ARGUMENTS = ("_job",)


def check_argument_names(names: Iterable[str]) -> None:
    """ConfigError naming the accepted arguments if any name is not one of them."""
    unknown = sorted(set(names) - set(ARGUMENTS) - set(_SCHEDULER_ARGUMENTS))
    if unknown:
        raise ConfigError(
            f"unknown spider argument -a {unknown[0]}; the accepted ones: {', '.join(ARGUMENTS)}"
        )


class KompasGlobalSpider(scrapy.Spider):
    """Walks https://indeks.kompas.com/?site=global (or each day of a range) and stores every
    Global article it lists, whole and under its canonical URL."""

    name = "kompas_global"
    allowed_domains = ["kompas.com"]  # noqa: RUF012 (Scrapy's own attribute)

    def __init__(
        self,
        start_date: str | None = None,
        end_date: str | None = None,
        max_pages: str | None = None,
        refresh: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        check_argument_names(kwargs)
        super().__init__(*args, **kwargs)
        given = {"start_date": start_date, "end_date": end_date, "max_pages": max_pages}
        # The -a arguments, as given: the run record stores them.
        self.arguments = {k: v for k, v in {**given, "refresh": refresh, **kwargs}.items() if v}
        self.days = day_range(start_date, end_date, today=datetime.now(WIB).date())
        self.max_pages = parse_max_pages(max_pages)
        self.refresh = (refresh or "").strip().lower() in {"1", "true", "yes"}
        self.followed: set[str] = set()  # article ids requested in this run
        self.stored: set[str] = set()  # listed canonical URLs already in the archive
        self.dropped: set[str] = set()  # canonical URLs whose article was dropped as invalid
        self.newest_walk = NewestWalk()
        self.walk_trust = WalkTrust(trusted=False)
        self.day_walks = DayWalks()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> KompasGlobalSpider:
        try:
            spider = super().from_crawler(crawler, *args, **kwargs)
        except ConfigError as error:
            # The crawl commands check arguments before this (exit 2, one line); started any
            # other way (a script, Scrapyd), the bootstrap fails with this line first.
            logger.critical("Cannot start: %s", error)
            raise
        assert isinstance(spider, KompasGlobalSpider)
        crawler.signals.connect(spider.item_dropped, signal=signals.item_dropped)
        return spider

    # -- where to start ----------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.newest_walk = NewestWalk(
            overlap=max(0, self.settings.getint("KOMPAS_INDEX_OVERLAP_PAGES", 1)),
            trusted=self.days is None and not self.refresh and self.previous_walk().trusted,
        )
        for day in self.listing_days():
            yield self.listing_request(index_url(day), day=day, page=1)
        for url in self.revisit_urls():
            self.followed.add(article_id(url) or url)
            yield self.article_request(url)

    def listing_days(self) -> Iterable[date | None]:
        """The listings to walk: each day of the range (but those already complete, unless
        refreshing), or None for the newest-first index."""
        if self.days is None:
            return [None]
        if self.refresh:
            return self.days
        complete = completed_days(archive_engine(self.crawler), self.days)
        if complete:
            self.logger.info(
                "Skipping %d of %d days already complete (-a refresh=1 walks them again)",
                len(complete),
                len(self.days),
            )
            self.crawler.stats.set_value("kompas/index/days_skipped", len(complete))
        return [day for day in self.days if day not in complete]

    def previous_walk(self) -> WalkTrust:
        """What stored articles prove, from the past runs: only after a clean default run may
        this one stop at stored articles, and after killed or failed runs only at articles
        stored before them (those runs may have skipped older ones)."""
        run_id = self.crawler.stats.get_value("kompas/run/id")
        past = recent_runs(archive_engine(self.crawler), self.name, before_id=run_id)
        self.walk_trust = walk_trust(past)
        if not self.walk_trust.trusted:
            self.logger.info("No run has walked the index cleanly yet: walking all of it")
        elif self.walk_trust.stored_before is not None:
            self.logger.info(
                "Runs since %s did not finish cleanly: walking back past what they stored",
                self.walk_trust.stored_before,
            )
        return self.walk_trust

    def revisit_urls(self) -> list[str]:
        """Stored articles recent enough to be fetched again for edits (KOMPAS_REVISIT_HOURS),
        but not those fetched within KOMPAS_REVISIT_INTERVAL_MINUTES."""
        hours = self.settings.getfloat("KOMPAS_REVISIT_HOURS", 48)
        if hours <= 0:
            return []
        now = datetime.now(UTC)
        interval = self.settings.getfloat("KOMPAS_REVISIT_INTERVAL_MINUTES", 0)
        urls = urls_published_since(
            archive_engine(self.crawler),
            now - timedelta(hours=hours),
            last_seen_before=now - timedelta(minutes=interval) if interval > 0 else None,
        )
        self.crawler.stats.set_value("kompas/revisit/requested", len(urls))
        return urls

    # -- index pages -------------------------------------------------------------------------

    def listing_request(self, url: str, *, day: date | None, page: int) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_listing,
            cb_kwargs={"day": day, "page": page},
            priority=LISTING_PRIORITY,
        )

    def parse_listing(
        self, response: Response, day: date | None, page: int
    ) -> Iterator[scrapy.Request]:
        listing = parse_listing(response)  # type: ignore[arg-type]
        self.crawler.stats.inc_value("kompas/listing/pages")
        if not listing.article_urls:
            self.logger.info("Empty listing page %s", response.url)
        self.note_stored(listing, day=day, page=page)
        yield from self.article_requests(listing.article_urls)
        if self.should_follow_next_page(listing, day=day, page=page):
            assert listing.next_page_url is not None
            yield self.listing_request(listing.next_page_url, day=day, page=page + 1)

    def should_follow_next_page(self, listing: Listing, *, day: date | None, page: int) -> bool:
        """Whether to walk on to the next index page after ``page`` of this listing."""
        if listing.next_page_url is None or not listing.article_urls:
            if day is None:
                self.crawler.stats.set_value(WALK_COMPLETE, 1)
            return False
        if day is None and not self.newest_walk.keep_walking(self.all_stored(listing)):
            self.logger.info(
                "Stopping the index walk at page %d: %d pages of stored articles in a row",
                page,
                self.newest_walk.stored_pages_in_a_row,
            )
            self.crawler.stats.set_value(WALK_COMPLETE, 1)
            return False
        if self.max_pages is not None and page >= self.max_pages:
            self.logger.info("Stopping %s at max_pages=%d", index_url(day), self.max_pages)
            return False
        return True

    def note_stored(self, listing: Listing, *, day: date | None, page: int) -> None:
        """Look up which Global articles of this page are stored (one query), and note the page
        for the backfill day it belongs to."""
        urls = self.global_urls(listing)
        self.stored |= known_urls(archive_engine(self.crawler), urls)
        if day is not None:
            last = listing.next_page_url is None or not listing.article_urls
            self.day_walks.page_walked(day, page, urls, last=last)

    @staticmethod
    def global_urls(listing: Listing) -> list[str]:
        canonical = (canonical_url(url) for url in listing.article_urls)
        return [url for url in canonical if url is not None and is_global_article_url(url)]

    def all_stored(self, listing: Listing) -> bool:
        """Whether this page's articles prove the older ones stored (see ``walk_trust``)."""
        urls = self.global_urls(listing)
        before = self.walk_trust.stored_before
        if before is None:
            return all(url in self.stored for url in urls)
        proven = known_urls(archive_engine(self.crawler), urls, first_seen_before=before)
        return all(url in proven for url in urls)

    def item_dropped(self, item: Any, response: Response, exception: Exception) -> None:
        if response is not None and response.request is not None:
            canonical = response.request.cb_kwargs.get("canonical")
            if canonical:
                self.dropped.add(canonical)

    def closed(self, reason: str) -> None:
        """Mark the backfill days walked to their end with every article stored or dropped."""
        walked = self.day_walks.walked()
        if not walked:
            return
        urls = set().union(*walked.values())
        stored = known_urls(archive_engine(self.crawler), urls)
        complete = self.day_walks.complete(stored, self.dropped)
        mark_days_complete(archive_engine(self.crawler), complete)
        self.crawler.stats.set_value("kompas/index/days_completed", len(complete))
        if len(complete) < len(walked):
            self.logger.info(
                "%d days walked but not complete (articles missing)", len(walked) - len(complete)
            )

    # -- articles ----------------------------------------------------------------------------

    def article_requests(self, urls: Iterable[str]) -> Iterator[scrapy.Request]:
        for url in urls:
            canonical = canonical_url(url)
            if canonical is not None and self.should_follow_article(canonical):
                self.followed.add(article_id(canonical) or canonical)
                yield self.article_request(canonical)

    def should_follow_article(self, canonical: str) -> bool:
        """Whether to request this (canonical) article URL: Global, not requested yet this run."""
        if not is_global_article_url(canonical):
            return False
        if (article_id(canonical) or canonical) in self.followed:
            self.crawler.stats.inc_value("kompas/listing/repeated")
            return False
        if canonical in self.stored and not self.refresh:
            self.crawler.stats.inc_value("kompas/listing/already_stored")
            return False
        return True

    def article_request(self, canonical: str, *, whole: bool = False) -> scrapy.Request:
        return scrapy.Request(
            whole_article_url(canonical) if whole else canonical,
            callback=self.parse_article,
            cb_kwargs={"canonical": canonical},
        )

    def parse_article(
        self, response: Response, canonical: str
    ) -> Iterator[Article | scrapy.Request]:
        if has_more_pages(response):  # type: ignore[arg-type]
            # Page 1 of several: the whole text is one request away.
            self.crawler.stats.inc_value("kompas/article/multi_page")
            yield self.article_request(canonical, whole=True)
            return
        article = parse_article(response, datetime.now(UTC))  # type: ignore[arg-type]
        yield self.with_canonical_url(article, canonical)

    @staticmethod
    def with_canonical_url(article: Article, canonical: str) -> Article:
        """Store under the canonical URL: the page's own when it names this article, else ours."""
        wanted = article_id(canonical)
        if not article.url or article_id(article.url) != wanted:
            article.url = canonical
        article.article_id = article.article_id or wanted
        return article
