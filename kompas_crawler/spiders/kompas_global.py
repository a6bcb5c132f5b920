"""``scrapy crawl kompas_global``: walk the Global archive index and follow each article once.

    scrapy crawl kompas_global                                    # newest first, every page
    scrapy crawl kompas_global -a start_date=2022-01-01 -a end_date=2022-01-31   # backfill
    scrapy crawl kompas_global -a max_pages=3                     # at most 3 pages per listing
    scrapy crawl kompas_global -a start_date=... -a refresh=1     # re-walk days already complete

Scheduled runs are incremental (see ``kompas_crawler.incremental``): stored articles are not
fetched again, the newest-first walk stops a page (KOMPAS_INDEX_OVERLAP_PAGES) after the first
page holding only stored articles, backfills skip the days ``index_days`` holds as complete, and
articles published within KOMPAS_REVISIT_HOURS are fetched again to catch edits.

A backfill is a worker (``kompas_crawler.workers``): it claims a few days of its range at a time,
walks them, releases them complete or partial when the crawl goes idle, and claims more, so any
number of backfills on one archive, with the same range or overlapping ones, share the days.

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
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from kompas_crawler.capture.middleware import META_KEY as CAPTURE_META_KEY
from kompas_crawler.capture.records import CaptureRef
from kompas_crawler.challenge import ChallengeBlocked
from kompas_crawler.errors import ConfigError
from kompas_crawler.health import (
    ARTICLES_REQUESTED,
    LISTING_EMPTY,
    LISTING_UNRECOGNISED,
)
from kompas_crawler.incremental import (
    WALK_BROKEN,
    WALK_COMPLETE,
    DayWalks,
    NewestWalk,
    WalkTrust,
    walk_trust,
)
from kompas_crawler.items import Article
from kompas_crawler.pages.article import has_more_pages, parse_article
from kompas_crawler.pages.listing import Listing, is_listing_page, parse_listing
from kompas_crawler.pipelines.store import archive_engine, flush_store
from kompas_crawler.pipelines.validate import missing_fields
from kompas_crawler.processors import WIB
from kompas_crawler.storage.archive import known_urls, to_naive_utc, urls_published_since
from kompas_crawler.storage.claims import DayResult
from kompas_crawler.storage.dropped import due, forget_stored, not_due, remember_dropped
from kompas_crawler.storage.runs import completed_days, recent_runs
from kompas_crawler.urls import (
    article_id,
    canonical_url,
    index_url,
    is_global_article_url,
    whole_article_url,
)
from kompas_crawler.workers import BackfillWorker

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
        self.site = "global"  # the section of the index walked: claims and index_days are by site
        self.days = day_range(start_date, end_date, today=datetime.now(WIB).date())
        self.max_pages = parse_max_pages(max_pages)
        self.refresh = (refresh or "").strip().lower() in {"1", "true", "yes"}
        self.followed: set[str] = set()  # article ids requested in this run
        # (day, page) of index pages built as page=N+1 because no paging link named them.
        self.guessed_pages: set[tuple[date | None, int]] = set()
        self.stored: set[str] = set()  # listed canonical URLs already in the archive
        self.dropped: set[str] = set()  # canonical URLs whose article was dropped as invalid
        self.waiting: set[str] = set()  # listed URLs dropped before, not due for a retry yet
        self.listed: dict[date | None, set[str]] = {}  # URLs each listing walked has shown
        self.nothing_new_in_a_row: dict[date | None, int] = {}
        self.newest_walk = NewestWalk()
        self.walk_trust = WalkTrust(trusted=False)
        self.day_walks = DayWalks()
        self.backfill: BackfillWorker | None = None  # a backfill's claims on its days

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
        crawler.signals.connect(spider.idle, signal=signals.spider_idle)
        return spider

    # -- where to start ----------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.newest_walk = NewestWalk(
            overlap=max(0, self.settings.getint("KOMPAS_INDEX_OVERLAP_PAGES", 1)),
            trusted=self.days is None and not self.refresh and self.previous_walk().trusted,
        )
        for day in self.listing_days():
            yield self.listing_request(index_url(day), day=day, page=1)
        for url in [*self.revisit_urls(), *self.dropped_retries()]:
            if (article_id(url) or url) not in self.followed:
                self.followed.add(article_id(url) or url)
                yield self.article_request(url)

    def listing_days(self) -> Iterable[date | None]:
        """The listings to walk first: None for the newest-first index; for a backfill, the
        first days it claims of its range (neither complete, unless refreshing, nor walked by
        another live worker)."""
        if self.days is None:
            return [None]
        engine = archive_engine(self.crawler)
        if not self.refresh:
            complete = completed_days(engine, self.days, self.site)
            if complete:
                self.logger.info(
                    "Skipping %d of %d days already complete (-a refresh=1 walks them again)",
                    len(complete),
                    len(self.days),
                )
                self.crawler.stats.set_value("kompas/index/days_skipped", len(complete))
        run_id = self.crawler.stats.get_value("kompas/run/id")
        started = self.crawler.stats.get_value("start_time")
        self.backfill = BackfillWorker(
            self.crawler,
            engine,
            int(run_id),
            self.days,
            site=self.site,
            refresh_since=to_naive_utc(started) if self.refresh else None,
        )
        self.backfill.begin()
        return self.backfill.claim_more()

    def idle(self) -> None:
        """Nothing left to fetch: a backfill releases the days it walked and claims more."""
        if self.backfill is None:
            return
        self.release_days()
        days = self.backfill.claim_more()
        if not days:
            return
        assert self.crawler.engine is not None
        for day in days:
            self.crawler.engine.crawl(self.listing_request(index_url(day), day=day, page=1))
        raise DontCloseSpider

    def release_days(self) -> None:
        """Release the days this worker holds: complete when walked to their end with every
        article stored or dropped (committed first), partial otherwise."""
        assert self.backfill is not None
        held = set(self.backfill.held)
        if not held:
            return
        flush_store(self.crawler)
        seen = {day: self.day_walks.urls(day) for day in held}
        stored = known_urls(archive_engine(self.crawler), set().union(*seen.values()))
        complete = self.day_walks.complete(stored, self.dropped)
        done = self.backfill.release(
            {
                day: DayResult(day in complete, len(urls), len(urls & stored))
                for day, urls in seen.items()
            }
        )
        self.crawler.stats.inc_value("kompas/index/days_completed", done)
        if done < len(held):
            self.logger.info(
                "%d days walked but not complete (articles missing, or the walk broke)",
                len(held) - done,
            )

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

    def dropped_retries(self) -> list[str]:
        """Articles dropped by earlier runs whose next try is due (see storage.dropped)."""
        urls = due(archive_engine(self.crawler), datetime.now(UTC))
        self.crawler.stats.set_value("kompas/dropped_retry/requested", len(urls))
        return urls

    # -- index pages -------------------------------------------------------------------------

    def listing_request(self, url: str, *, day: date | None, page: int) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_listing,
            errback=self.listing_failed,
            cb_kwargs={"day": day, "page": page},
            priority=LISTING_PRIORITY,
        )

    def listing_failed(self, failure: Failure) -> None:
        """An index page that never came (challenged, an error, a timeout) breaks the walk."""
        reason = self.log_failure(failure)
        request = failure.request  # type: ignore[attr-defined]
        day, page = request.cb_kwargs["day"], request.cb_kwargs["page"]
        if reason in {"http_404", "http_410"} and (day, page) in self.guessed_pages:
            # A page=N+1 we built ourselves that is not there: the listing ended before it.
            self.crawler.stats.inc_value("kompas/listing/guessed_past_end")
            self.listing_ended(day=day, page=page)
            return
        self.walk_broken(request.url, f"it failed ({reason})")

    def listing_ended(self, *, day: date | None, page: int) -> None:
        """The listing has no page ``page``: the walk reached its end on the page before."""
        if day is None:
            self.crawler.stats.set_value(WALK_COMPLETE, 1)
        else:
            self.day_walks.page_walked(day, page, [], last=True)

    def walk_broken(self, url: str, why: str) -> None:
        self.logger.warning(
            "Index walk broken at %s: %s; the next run walks back past it", url, why
        )
        self.crawler.stats.set_value(WALK_BROKEN, 1)

    def parse_listing(
        self, response: Response, day: date | None, page: int
    ) -> Iterator[scrapy.Request]:
        if day is not None and self.backfill is not None and not self.backfill.holds(day):
            self.crawler.stats.inc_value("kompas/claims/pages_not_followed")
            return  # the day's lease was lost: another worker walks it
        listing = parse_listing(response)  # type: ignore[arg-type]
        stats = self.crawler.stats
        stats.inc_value("kompas/listing/pages")
        if listing.bad_links:
            stats.inc_value("kompas/listing/bad_links", listing.bad_links)
        for name in listing.fallbacks:
            stats.inc_value(f"kompas/listing/fallback/{name}")
        if "next_page_url" in listing.fallbacks:
            self.guessed_pages.add((day, page + 1))
        if not listing.article_urls:
            stats.inc_value(LISTING_EMPTY)
            # A page N+1 we built ourselves (no paging link) may be past the end, in any markup.
            guessed_end = (day, page) in self.guessed_pages
            if not guessed_end and not is_listing_page(response):  # type: ignore[arg-type]
                # An error page, a blank one, unknown markup: not the end of the index.
                self.crawler.stats.inc_value(LISTING_UNRECOGNISED)
                self.walk_broken(response.url, "the page is not a listing")
                return
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
        if not self.lists_something_new(listing, day):
            self.stopped_early(
                day, page, "two pages in a row list nothing new", "kompas/index/stopped_repeating"
            )
            return False
        limit = self.settings.getint("KOMPAS_INDEX_MAX_PAGES", 200)
        if limit > 0 and page >= limit:
            self.stopped_early(
                day, page, f"KOMPAS_INDEX_MAX_PAGES={limit}", "kompas/index/stopped_page_limit"
            )
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

    def lists_something_new(self, listing: Listing, day: date | None) -> bool:
        """False at the second page in a row of this listing showing only URLs it showed
        before: a site whose "next" never ends (or loops) is not walked forever."""
        listed = self.listed.setdefault(day, set())
        new = set(listing.article_urls) - listed
        listed.update(listing.article_urls)
        repeats = 0 if new else self.nothing_new_in_a_row.get(day, 0) + 1
        self.nothing_new_in_a_row[day] = repeats
        return repeats < 2

    def stopped_early(self, day: date | None, page: int, why: str, stat: str) -> None:
        """A walk stopped before a real last page: said, counted, never a complete walk."""
        self.logger.warning("Stopping %s at page %d: %s", index_url(day), page, why)
        self.crawler.stats.inc_value(stat)

    def note_stored(self, listing: Listing, *, day: date | None, page: int) -> None:
        """Look up which Global articles of this page are stored (one query), and note the page
        for the backfill day it belongs to."""
        urls = self.global_urls(listing)
        self.stored |= known_urls(archive_engine(self.crawler), urls)
        waiting = not_due(archive_engine(self.crawler), urls, datetime.now(UTC))
        self.waiting |= waiting
        # Dropped before and waiting: as good as dropped now, for a backfill day's completeness.
        self.dropped |= waiting
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
            missing = missing_fields(item)
            if canonical and missing:  # not a duplicate: an article that could not be stored
                self.dropped.add(canonical)
                self.remember_dropped(canonical, f"missing_{missing[0]}")

    def remember_dropped(self, canonical: str, reason: str) -> None:
        remember_dropped(
            archive_engine(self.crawler),
            canonical,
            article_id(canonical),
            reason,
            datetime.now(UTC),
        )

    def closed(self, reason: str) -> None:
        """Forget dropped articles stored since; release the backfill days still held (complete
        when walked to their end with every article stored or dropped). Nothing when the run
        never started (locked)."""
        if self.crawler.stats.get_value("kompas/run/id") is None:
            return
        forget_stored(archive_engine(self.crawler))
        if self.backfill is not None:
            self.backfill.stop()
            self.release_days()

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
        if canonical in self.waiting and not self.refresh:
            self.crawler.stats.inc_value("kompas/dropped_retry/waiting")
            return False
        return True

    def article_request(self, canonical: str, *, whole: bool = False) -> scrapy.Request:
        if not whole:
            self.crawler.stats.inc_value(ARTICLES_REQUESTED)
        return scrapy.Request(
            whole_article_url(canonical) if whole else canonical,
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={"canonical": canonical},
        )

    def article_failed(self, failure: Failure) -> None:
        """An article page that never came is remembered, to be tried again later."""
        canonical = failure.request.cb_kwargs.get("canonical")  # type: ignore[attr-defined]
        reason = self.log_failure(failure)
        # "ignored": refused on our side (robots.txt, a closing crawl), nothing the site did: the
        # next run asks again as for any article not yet stored, without a backoff.
        if canonical and reason != "ignored":
            self.remember_dropped(canonical, reason)

    def log_failure(self, failure: Failure) -> str:
        """Log a request that failed as Scrapy would have (download errors are errors); its
        reason in a word: ``blocked``, ``http_404``, the exception's name."""
        url = failure.request.url  # type: ignore[attr-defined]
        error = failure.value
        if isinstance(error, ChallengeBlocked):
            return "blocked"  # the challenge middleware said so already
        if isinstance(error, HttpError):
            status = error.response.status
            self.logger.info("Ignoring response <%d %s>: HTTP status not handled", status, url)
            return f"http_{status}"
        if isinstance(error, IgnoreRequest):  # refused on our side: off-site, robots.txt...
            self.logger.info("Not fetched %s: %s", url, failure.getErrorMessage())
            return "ignored"
        self.logger.error("Error downloading %s: %s", url, failure.getErrorMessage())
        return failure.type.__name__ if failure.type else "failed"

    def parse_article(
        self, response: Response, canonical: str
    ) -> Iterator[Article | scrapy.Request]:
        if has_more_pages(response):  # type: ignore[arg-type]
            # Page 1 of several: the whole text is one request away.
            self.crawler.stats.inc_value("kompas/article/multi_page")
            yield self.article_request(canonical, whole=True)
            return
        capture: CaptureRef | None = response.meta.get(CAPTURE_META_KEY)
        fetched_at = capture.fetched_at if capture is not None else datetime.now(UTC)
        article = parse_article(response, fetched_at)  # type: ignore[arg-type]
        article.capture = capture
        yield self.with_canonical_url(article, canonical)

    @staticmethod
    def with_canonical_url(article: Article, canonical: str) -> Article:
        """Store under the canonical URL: the page's own when it names this article, else ours."""
        wanted = article_id(canonical)
        if not article.url or article_id(article.url) != wanted:
            article.url = canonical
        article.article_id = article.article_id or wanted
        return article
