"""Progress of a crawl while it runs: a plain line in the log every KOMPAS_PROGRESS_INTERVAL
seconds (what cron keeps), and a live status line on the terminal (rich) when the log goes to a
file and stderr is a terminal. ``kompas-crawler crawl -q`` shows nothing live. The summary at the
end of the run is the run recorder's, not ours."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from scrapy import signals
from twisted.internet.task import LoopingCall

if TYPE_CHECKING:
    from rich.live import Live
    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

LIVE_REFRESH_SECONDS = 1.0


@dataclass(frozen=True)
class Snapshot:
    """Where a crawl is, from its stats and its spider's walk."""

    elapsed: float  # seconds since the crawl opened
    listing_pages: int
    days_done: int
    days_total: int  # 0 unless a backfill
    new: int
    updated: int
    unchanged: int
    dropped: int
    requests: int

    def requests_per_minute(self) -> float:
        return 60 * self.requests / self.elapsed if self.elapsed > 0 else 0.0

    def eta(self) -> timedelta | None:
        """Time left of a backfill, at the pace of the days done so far."""
        if not self.days_total or not self.days_done:
            return None
        left = (self.days_total - self.days_done) * self.elapsed / self.days_done
        return timedelta(seconds=round(max(0.0, left)))

    def line(self) -> str:
        parts = [f"{self.listing_pages} listing pages"]
        if self.days_total:
            parts.append(f"{self.days_done}/{self.days_total} days")
        parts.append(
            f"articles {self.new} new, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.dropped} dropped"
        )
        parts.append(f"{self.requests_per_minute():.0f} requests/min")
        eta = self.eta()
        if eta is not None:
            parts.append(f"ETA {eta}")
        return ", ".join(parts)


def snapshot(stats: Mapping[str, Any], spider: Any, elapsed: float) -> Snapshot:
    days = getattr(spider, "days", None) or []
    skipped = int(stats.get("kompas/index/days_skipped", 0))
    walks = getattr(spider, "day_walks", None)
    return Snapshot(
        elapsed=elapsed,
        listing_pages=int(stats.get("kompas/listing/pages", 0)),
        days_done=len(walks.walked()) if walks is not None and days else 0,
        days_total=max(0, len(days) - skipped),
        new=int(stats.get("kompas/store/new", 0)),
        updated=int(stats.get("kompas/store/updated", 0)),
        unchanged=int(stats.get("kompas/store/unchanged", 0)),
        dropped=sum(int(v) for k, v in stats.items() if k.startswith("kompas/dropped/")),
        requests=int(stats.get("downloader/request_count", 0)),
    )


class Progress:
    """The extension: a log line every interval, and the live line where there is a terminal."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.interval = settings.getfloat("KOMPAS_PROGRESS_INTERVAL", 60.0)
        self.live_wanted = (
            settings.getbool("KOMPAS_PROGRESS_LIVE", True)
            and bool(settings.get("LOG_FILE"))  # else the log itself is on the terminal
            and sys.stderr.isatty()
        )
        self.spider: Spider | None = None
        self.started = time.monotonic()
        self.loops: list[LoopingCall] = []
        self.live: Live | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        return cls(crawler)

    def current(self) -> Snapshot:
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
        return snapshot(stats, self.spider, time.monotonic() - self.started)

    def spider_opened(self, spider: Spider) -> None:
        self.spider = spider
        self.started = time.monotonic()
        if self.interval > 0:
            self._every(self.interval, self.log_line, now=False)
        if self.live_wanted:
            from rich.console import Console
            from rich.live import Live

            self.live = Live(console=Console(stderr=True), auto_refresh=False, transient=True)
            self.live.start()
            self._every(LIVE_REFRESH_SECONDS, self.refresh_live, now=True)

    def _every(self, seconds: float, function: Any, *, now: bool) -> None:
        loop = LoopingCall(function)
        loop.start(seconds, now=now)
        self.loops.append(loop)

    def log_line(self) -> None:
        logger.info("Progress: %s", self.current().line())

    def refresh_live(self) -> None:
        if self.live is not None:
            self.live.update(f"kompas-crawler: {self.current().line()}", refresh=True)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        for loop in self.loops:
            if loop.running:
                loop.stop()
        self.loops.clear()
        if self.live is not None:
            self.live.stop()
            self.live = None
