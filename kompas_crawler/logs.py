"""What the crawl's log handlers do besides writing: mask credentials, keep a network error to
one line, and survive a log that cannot be written (a full disk)."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

from scrapy import exceptions as scrapy_errors
from scrapy import signals
from twisted.internet import error as twisted_errors
from twisted.web import _newclient

from kompas_crawler.masking import mask_credentials

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.internet.defer import Deferred

LOG_UNWRITABLE = "log_unwritable"  # finish reason of a crawl stopped because its log failed

# A site that is down, slow or cut off is not a bug: its error is worth one line, not a traceback.
NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    scrapy_errors.DownloadConnectionRefusedError,
    scrapy_errors.CannotResolveHostError,
    scrapy_errors.DownloadTimeoutError,
    scrapy_errors.DownloadFailedError,
    scrapy_errors.ResponseDataLossError,
    twisted_errors.ConnectError,
    twisted_errors.DNSLookupError,
    twisted_errors.TimeoutError,
    twisted_errors.ConnectionLost,
    _newclient.ResponseNeverReceived,
    _newclient.ResponseFailed,
)


class CrawlLogFilter(logging.Filter):
    """Masks credentials in every record (Scrapy logs its overridden settings, database URL
    included, when a crawl starts), and writes a network error as one line with its reason."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, NETWORK_ERRORS):
            record.exc_info = record.exc_text = None
            if str(error) not in message:
                message = f"{message}: {error}"
        clean = mask_credentials(message)
        if clean != record.msg or record.args:
            record.msg, record.args = clean, None
        return True


class LogGuard:
    """An extension guarding the log: the first record a handler cannot write (a full disk)
    stops the crawl with finish reason ``log_unwritable``, and the crawl commands end with one
    line and exit 1, instead of logging's "--- Logging error ---" and a traceback on stderr for
    every record. Also puts ``CrawlLogFilter`` on every handler."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.error: BaseException | None = None
        self._closing: Deferred[None] | None = None
        self.install()
        crawler.signals.connect(self.install, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LogGuard:
        return cls(crawler)

    def install(self) -> None:
        for handler in logging.getLogger().handlers:
            if not any(isinstance(f, CrawlLogFilter) for f in handler.filters):
                handler.addFilter(CrawlLogFilter())
            handler.handleError = self._failed  # type: ignore[method-assign]

    def _failed(self, record: logging.LogRecord) -> None:
        if self.error is not None:
            return
        self.error = sys.exc_info()[1] or OSError("unknown error")
        engine = getattr(self.crawler, "engine", None)
        if engine is not None and engine.spider is not None:
            from scrapy.utils.defer import deferred_from_coro

            self._closing = deferred_from_coro(engine.close_spider_async(reason=LOG_UNWRITABLE))

    def describe(self) -> str:
        reason = getattr(self.error, "strerror", None) or str(self.error)
        return f"run failed: cannot write the log ({reason}); the crawl was stopped"
