"""Honour ``Retry-After``: a 429, or a 503 that names a wait, pauses every download for that long.

Scrapy's RetryMiddleware retries 429 and 503 at once, which asks an overloaded server for more,
sooner. This middleware sits just outside it (order 560 > 550), sees the response first, and
holds back every request, the retry included, until the wait is over. The pause covers the whole
crawl, not one host: www, indeks and amp.kompas.com sit behind the same front.

A wait longer than KOMPAS_RETRY_AFTER_MAX is not waited out: the run ends ``blocked`` at once,
saying how long the site asked for, so a cron run never outlives its interval.

The pause itself (``download_pause``) is shared: the WAF challenge middleware backs off through it.
A Retry-After pause is also written to the archive, where every backfill worker reads it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import _schedule_coro
from sqlalchemy.exc import SQLAlchemyError
from twisted.internet.threads import deferToThread

from kompas_crawler.errors import KompasError
from kompas_crawler.health import RETRY_AFTER_ASKED
from kompas_crawler.outcome import BLOCKED

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

THROTTLED = (429, 503)


def retry_after_seconds(value: str | bytes | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date); None if unusable."""
    if value is None:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class DownloadPause:
    """Holds back every download of a crawl until a moment (time.monotonic())."""

    def __init__(self) -> None:
        self.until = 0.0

    def extend(self, seconds: float) -> None:
        self.until = max(self.until, time.monotonic() + seconds)

    async def wait(self) -> None:
        """Until the pause is over, however often it was extended meanwhile."""
        while (remaining := self.until - time.monotonic()) > 0:
            await asyncio.sleep(remaining)


_pauses: WeakKeyDictionary[Crawler, DownloadPause] = WeakKeyDictionary()


def download_pause(crawler: Crawler) -> DownloadPause:
    """The crawl's one download pause (RetryAfterMiddleware waits on it before each request)."""
    return _pauses.setdefault(crawler, DownloadPause())


def end_run_blocked(crawler: Crawler) -> None:
    """Close the crawl now with finish reason ``blocked``."""
    assert crawler.engine is not None
    _schedule_coro(crawler.engine.close_spider_async(reason=BLOCKED))


class RetryAfterMiddleware:
    """Pauses downloads for as long as a 429/503 ``Retry-After`` asks (KOMPAS_RETRY_AFTER_DEFAULT
    for a 429 without one); a wait over KOMPAS_RETRY_AFTER_MAX seconds ends the run blocked."""

    def __init__(
        self, crawler: Crawler, stats: StatsCollector, default_wait: float, max_wait: float
    ) -> None:
        self.crawler = crawler
        self.stats = stats
        self.pause = download_pause(crawler)
        self.default_wait = default_wait
        self.max_wait = max_wait

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        assert crawler.stats is not None
        return cls(
            crawler,
            crawler.stats,
            default_wait=crawler.settings.getfloat("KOMPAS_RETRY_AFTER_DEFAULT", 10.0),
            max_wait=crawler.settings.getfloat("KOMPAS_RETRY_AFTER_MAX", 300.0),
        )

    async def process_request(self, request: Request) -> None:
        await self.pause.wait()

    def share(self, wait: float) -> None:
        """Ask the other workers of the archive to pause too (they read it within
        KOMPAS_WORKER_POLL_SECONDS; see kompas_crawler.workers)."""
        from kompas_crawler.pipelines.store import archive_engine
        from kompas_crawler.storage.meta import share_pause

        try:
            share_pause(archive_engine(self.crawler), wait)
        except (SQLAlchemyError, KompasError) as error:
            logger.warning("Could not share the pause with other workers: %s", error)

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in THROTTLED:
            return response
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait is None:
            if response.status != 429:
                return response  # a plain 503: an ordinary retry
            wait = self.default_wait
        self.stats.inc_value(f"kompas/retry_after/{response.status}")
        if wait > self.max_wait:
            self.stats.max_value(RETRY_AFTER_ASKED, wait)
            logger.error(
                "HTTP %d for %s asks to wait %.0fs, over KOMPAS_RETRY_AFTER_MAX=%.0fs: "
                "ending the run blocked",
                response.status,
                response.url,
                wait,
                self.max_wait,
            )
            end_run_blocked(self.crawler)
            raise IgnoreRequest(f"Retry-After {wait:.0f}s over the cap")
        self.pause.extend(wait)
        # In a thread: a write that waits on the archive's lock must not hold up the reactor.
        deferToThread(self.share, wait)
        self.stats.max_value("kompas/retry_after/max_seconds", wait)
        logger.info(
            "HTTP %d for %s: pausing downloads for %.1fs as the server asks",
            response.status,
            response.url,
            wait,
        )
        return response
