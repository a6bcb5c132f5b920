"""A backfill run as one of any number of cooperating workers (see ``storage.claims``).

``BackfillWorker`` is the spider's side of it: it claims KOMPAS_CLAIM_DAYS days of the range at
a time, renews their leases every third of KOMPAS_CLAIM_LEASE_SECONDS (and at most every
KOMPAS_WORKER_POLL_SECONDS), notices a lease lost while the process was paused, and releases each
day done or partial. On each tick it also keeps the workers polite together:

- the download delay (DOWNLOAD_DELAY, and AutoThrottle's floor) is multiplied by the number of
  live workers on the archive, so N workers ask the site no more often than one would;
- a pause one worker was asked for (Retry-After) is shared through the archive (``pause_until``)
  and every worker holds its downloads until it ends.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from scrapy.extensions.throttle import AutoThrottle
from scrapy.utils.asyncio import create_looping_call
from sqlalchemy.exc import SQLAlchemyError

from kompas_crawler.retry_after import download_pause
from kompas_crawler.storage.claims import (
    DayResult,
    Worker,
    claim,
    live_workers,
    now_utc,
    open_days,
    release,
    renew,
)
from kompas_crawler.storage.meta import shared_pause_until

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from sqlalchemy import Engine

logger = logging.getLogger(__name__)

DAYS_CLAIMED = "kompas/claims/claimed"
DAYS_LOST = "kompas/claims/lost"
WORKERS_SEEN = "kompas/claims/workers_max"


def scale_download_delay(crawler: Crawler, factor: float, previous: float) -> None:
    """Multiply the crawl's download delays by ``factor`` (they were at ``previous`` times the
    configured DOWNLOAD_DELAY): new slots, open slots and AutoThrottle's floor."""
    base = crawler.settings.getfloat("DOWNLOAD_DELAY")
    if base <= 0 or factor == previous or crawler.engine is None:
        return
    downloader = crawler.engine.downloader
    for extension in crawler.extensions.middlewares:
        if isinstance(extension, AutoThrottle):
            extension.mindelay = base * factor
    downloader._delay = max(base * factor, downloader._delay * factor / previous)
    for slot in downloader.slots.values():
        slot.delay = max(base * factor, slot.delay * factor / previous)


class BackfillWorker:
    """Claims, renews and releases the days one backfill run walks."""

    def __init__(
        self,
        crawler: Crawler,
        engine: Engine,
        run_id: int,
        days: Sequence[date],
        *,
        site: str,
        refresh_since: datetime | None = None,
    ) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.engine = engine
        self.worker = Worker.this_process(run_id)
        self.days = list(days)
        self.site = site
        self.refresh_since = refresh_since
        self.lease = max(1.0, settings.getfloat("KOMPAS_CLAIM_LEASE_SECONDS", 120.0))
        self.batch = max(1, settings.getint("KOMPAS_CLAIM_DAYS", 3))
        self.poll = min(self.lease / 3, settings.getfloat("KOMPAS_WORKER_POLL_SECONDS", 5.0))
        self.held: set[date] = set()
        self.lost: set[date] = set()
        self.expires = now_utc()  # the held leases' end, by this process's clock
        self.factor = 1.0
        self._timer: Any = None

    def begin(self) -> None:
        """Make the range's claim rows; start renewing."""
        open_days(self.engine, self.days, self.site)
        self._timer = create_looping_call(self.tick)
        self._timer.start(self.poll, now=False)

    def stop(self) -> None:
        if self._timer is not None and self._timer.running:
            self._timer.stop()

    def claim_more(self) -> list[date]:
        """The next days to walk (none: the range is done, or held by live workers)."""
        days = claim(
            self.engine,
            self.worker,
            self.days,
            lease_seconds=self.lease,
            count=self.batch,
            site=self.site,
            refresh_since=self.refresh_since,
        )
        if days:
            self.held.update(days)
            self.expires = now_utc() + timedelta(seconds=self.lease)
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value(DAYS_CLAIMED, len(days))
            logger.info("Claimed %s", ", ".join(str(day) for day in days))
        self.tick()
        return days

    def holds(self, day: date) -> bool:
        """Whether this worker still walks ``day``: claimed, and its lease not run out (a
        process paused past its lease finds out here, before the next renewal)."""
        if day in self.held and now_utc() > self.expires:
            self.renew()
        return day in self.held

    def renew(self) -> None:
        if not self.held:
            return
        kept = renew(self.engine, self.worker, self.held, lease_seconds=self.lease, site=self.site)
        for day in sorted(self.held - kept):
            logger.warning(
                "Lease on %s ran out (this worker was paused longer than "
                "KOMPAS_CLAIM_LEASE_SECONDS=%.0f): leaving that day to another worker",
                day,
                self.lease,
            )
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value(DAYS_LOST)
        self.lost |= self.held - kept
        self.held = kept
        self.expires = now_utc() + timedelta(seconds=self.lease)

    def tick(self) -> None:
        """Renew the leases, share the politeness: scale delays, honour the shared pause."""
        try:
            self.renew()
            workers = max(1, live_workers(self.engine))
            until = shared_pause_until(self.engine)
        except SQLAlchemyError as error:  # the archive is away a moment: the lease still runs
            logger.warning("Could not renew the day claims: %s", error)
            return
        assert self.crawler.stats is not None
        self.crawler.stats.max_value(WORKERS_SEEN, workers)
        if workers != self.factor:
            logger.info("%d workers on this archive: download delay x%d", workers, workers)
            scale_download_delay(self.crawler, float(workers), self.factor)
            self.factor = float(workers)
        if until is not None:
            wait = (until - now_utc()).total_seconds()
            if wait > 0:
                download_pause(self.crawler).extend(wait)

    def release(self, results: dict[date, DayResult]) -> int:
        """Give back the held days of ``results``; how many were complete and still ours."""
        completed = 0
        for day, result in sorted(results.items()):
            if day not in self.held:
                continue
            self.held.discard(day)
            if release(self.engine, self.worker, day, result, site=self.site):
                completed += result.complete
            else:
                self.lost.add(day)
                assert self.crawler.stats is not None
                self.crawler.stats.inc_value(DAYS_LOST)
                logger.warning("Lease on %s ran out before it was released: not marked", day)
        return completed
