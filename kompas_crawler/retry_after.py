"""Honour ``Retry-After``: a 429, or a 503 that names a wait, pauses every download for that long.

Scrapy's RetryMiddleware retries 429 and 503 at once, which asks an overloaded server for more,
sooner. This middleware sits just outside it (order 560 > 550), sees the response first, and
holds back every request, the retry included, until the wait is over. The pause covers the whole
crawl, not one host: www, indeks and amp.kompas.com sit behind the same front.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

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


class RetryAfterMiddleware:
    """Pauses downloads for as long as a 429/503 ``Retry-After`` asks (KOMPAS_RETRY_AFTER_DEFAULT
    for a 429 without one), capped at KOMPAS_RETRY_AFTER_MAX seconds."""

    def __init__(self, stats: StatsCollector, default_wait: float, max_wait: float) -> None:
        self.stats = stats
        self.default_wait = default_wait
        self.max_wait = max_wait
        self.paused_until = 0.0  # time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        assert crawler.stats is not None
        return cls(
            crawler.stats,
            default_wait=crawler.settings.getfloat("KOMPAS_RETRY_AFTER_DEFAULT", 10.0),
            max_wait=crawler.settings.getfloat("KOMPAS_RETRY_AFTER_MAX", 300.0),
        )

    async def process_request(self, request: Request) -> None:
        wait = self.paused_until - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in THROTTLED:
            return response
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait is None:
            if response.status != 429:
                return response  # a plain 503: an ordinary retry
            wait = self.default_wait
        wait = min(wait, self.max_wait)
        self.paused_until = max(self.paused_until, time.monotonic() + wait)
        self.stats.inc_value(f"kompas/retry_after/{response.status}")
        self.stats.max_value("kompas/retry_after/max_seconds", wait)
        logger.info(
            "HTTP %d for %s: pausing downloads for %.1fs as the server asks",
            response.status,
            response.url,
            wait,
        )
        return response
