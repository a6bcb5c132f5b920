"""Write articles to the archive in batches; the crawl's archive engine lives here too.

The spider (or an extension) gets the same engine the pipeline writes with through
``archive_engine(crawler)``, e.g. ``known_urls(archive_engine(self.crawler), urls)``. The engine
is opened once per crawler from ``KOMPAS_DATABASE_URL``, by whichever asks first.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from itemadapter import ItemAdapter
from scrapy.utils.asyncio import create_looping_call
from sqlalchemy.exc import SQLAlchemyError

from kompas_crawler.capture.records import CaptureRef
from kompas_crawler.errors import ConfigError
from kompas_crawler.items import Article
from kompas_crawler.storage.archive import ArchiveWriter, SaveCounts
from kompas_crawler.storage.database import SETTING as DATABASE_URL_SETTING
from kompas_crawler.storage.database import open_archive

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector
    from sqlalchemy import Engine

logger = logging.getLogger(__name__)

_engines: WeakKeyDictionary[Crawler, Engine] = WeakKeyDictionary()
_pending_captures: WeakKeyDictionary[Crawler, list[CaptureRef]] = WeakKeyDictionary()
_pipelines: WeakKeyDictionary[Crawler, StorePipeline] = WeakKeyDictionary()


def flush_store(crawler: Crawler) -> None:
    """Commit the articles the crawl's store pipeline holds now (a backfill worker does, before
    it judges whether a day it walked is complete)."""
    pipeline = _pipelines.get(crawler)
    if pipeline is not None:
        pipeline.flush()


def pending_captures(crawler: Crawler) -> list[CaptureRef]:
    """Captures CaptureMiddleware wrote that the archive does not index yet: the pipeline
    indexes (and removes) them with its next batch."""
    return _pending_captures.setdefault(crawler, [])


def archive_engine(crawler: Crawler) -> Engine:
    """The crawl's archive (SQLAlchemy Engine), opened from KOMPAS_DATABASE_URL on first use.

    Raises ConfigError, after logging it as one CRITICAL line, if the archive cannot be opened.
    """
    engine = _engines.get(crawler)
    if engine is None:
        url = crawler.settings.get(DATABASE_URL_SETTING) or ""
        try:
            engine = open_archive(url)
        except ConfigError as error:
            logger.critical("Cannot start: %s", error)
            raise
        _engines[crawler] = engine
        logger.info("Archive: %s", engine.url.render_as_string(hide_password=True))
    return engine


def _as_article(item: Any) -> Article:
    if isinstance(item, Article):
        return item
    return Article(**ItemAdapter(item).asdict())


class StorePipeline:
    """Saves articles to the archive in batches of KOMPAS_STORE_BATCH_SIZE, and at least every
    KOMPAS_STORE_FLUSH_SECONDS, and at close (finish or graceful stop), so nothing scraped is lost.

    Counts ``kompas/store/new``, ``.../updated``, ``.../unchanged`` and ``.../failed``.
    """

    def __init__(
        self,
        engine: Engine,
        stats: StatsCollector,
        batch_size: int,
        flush_seconds: float,
        captures: list[CaptureRef] | None = None,
    ) -> None:
        self.engine = engine
        # Written by CaptureMiddleware, indexed with the next batch (emptied then).
        self.captures = captures if captures is not None else []
        self.writer = ArchiveWriter(engine)
        self.stats = stats
        self.batch_size = max(1, batch_size)
        self.flush_seconds = flush_seconds
        self.pending: list[Article] = []
        self._timer: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        # Opening here, not in open_spider, makes a bad URL fail the bootstrap: no request is
        # made, and `scrapy crawl` exits with status 1.
        assert crawler.stats is not None
        pipeline = cls(
            archive_engine(crawler),
            crawler.stats,
            batch_size=crawler.settings.getint("KOMPAS_STORE_BATCH_SIZE", 100),
            flush_seconds=crawler.settings.getfloat("KOMPAS_STORE_FLUSH_SECONDS", 5.0),
            captures=pending_captures(crawler),
        )
        _pipelines[crawler] = pipeline
        return pipeline

    def open_spider(self) -> None:
        if self.flush_seconds > 0:
            self._timer = create_looping_call(self.flush)
            self._timer.start(self.flush_seconds, now=False)

    def process_item(self, item: Any) -> Any:
        self.pending.append(_as_article(item))
        if len(self.pending) >= self.batch_size:
            self.flush()
        return item

    def close_spider(self) -> None:
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        self.flush()
        # The engine stays usable (its pool reopens on demand) for anything closing after us.
        self.engine.dispose()

    def flush(self) -> None:
        """Commit every pending article now."""
        if not self.pending and not self.captures:
            return
        batch, self.pending = self.pending, []
        captures = list(self.captures)
        del self.captures[:]  # the middleware's list: emptied in place
        seen_at = datetime.now(UTC)
        started = time.perf_counter()
        try:
            counts = self.writer.save_batch(batch, seen_at, captures)
        except (SQLAlchemyError, ValueError) as error:
            logger.error(
                "Could not store a batch of %d articles (%s); retrying one by one",
                len(batch),
                error,
            )
            counts = self._save_one_by_one(batch, seen_at, captures)
        self.stats.inc_value("kompas/store/new", counts.new)
        self.stats.inc_value("kompas/store/updated", counts.updated)
        self.stats.inc_value("kompas/store/unchanged", counts.unchanged)
        logger.debug(
            "Stored %d articles in %.3fs: %s", len(batch), time.perf_counter() - started, counts
        )

    def _save_one_by_one(
        self, batch: list[Article], seen_at: datetime, captures: list[CaptureRef]
    ) -> SaveCounts:
        total = SaveCounts()
        try:
            self.writer.save_batch([], seen_at, captures)
        except SQLAlchemyError as error:
            logger.error("Could not index %d captures: %s", len(captures), error)
        for article in batch:
            try:
                total += self.writer.save_batch([article], seen_at)
            except (SQLAlchemyError, ValueError) as error:
                self.stats.inc_value("kompas/store/failed")
                logger.error("Could not store article %s: %s", article.url, error)
        return total
