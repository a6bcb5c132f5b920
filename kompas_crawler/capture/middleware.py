"""Downloader middleware: keep every page the spider parses as fetched, in WARC files.

It sits at 620, between OfflineMirrorMiddleware (650) and HttpCompressionMiddleware (590):
responses reach it with their real ``https://...kompas.com`` URL put back, and before their
payload is decompressed, so the record holds the headers and bytes the server sent.

Each capture is handed on twice: in ``request.meta`` (the spider copies it onto the Article,
whose row then points at it) and in ``pending_captures(crawler)``, which the store pipeline
indexes with its next batch, listings and dropped pages included. A page whose payload digest
was captured before (this run, or any run the archive's index knows) gets a ``revisit`` record.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import deferred_from_coro

from kompas_crawler.capture.records import payload_digest
from kompas_crawler.capture.warc import Exchange, Original, WarcFiles, recover_open_files
from kompas_crawler.pipelines.store import archive_engine, pending_captures
from kompas_crawler.storage.captures import find_original, newest_capture_id
from kompas_crawler.urls import article_id

logger = logging.getLogger(__name__)

# Request.meta key holding the CaptureRef of the response (read by the spider).
META_KEY = "kompas_capture"
# The finish reason of a crawl stopped because a WARC file could not be written.
WRITE_FAILED = "warc_write_failed"
# Hop-by-hop framing Scrapy has already undone: the payload kept is the de-chunked body, so a
# replay tool must not try to de-chunk it again.
_DROPPED_HEADERS = frozenset({"transfer-encoding"})


def _header_list(headers: Any) -> list[tuple[str, str]]:
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        if name.decode("latin-1").lower() not in _DROPPED_HEADERS
        for value in values
    ]


class CaptureMiddleware:
    """Writes a WARC request/response (or revisit) pair for every page a spider callback gets.

    Settings: KOMPAS_WARC_ENABLED, KOMPAS_WARC_DIR, KOMPAS_WARC_ROTATE_BYTES. A write that
    fails (disk full) stops the crawl with finish reason ``warc_write_failed``; the page is not
    parsed, so nothing is stored without its capture.
    """

    def __init__(self, crawler: Crawler, files: WarcFiles) -> None:
        self.crawler = crawler
        self.files = files
        self.originals: dict[str, Original] = {}  # payload digest -> its response capture
        # Whether the archive indexed captures before this crawl; until known, None. Without
        # any, this run's own (in originals) are all a revisit can refer to: no lookups.
        self.archive_has_captures: bool | None = None
        self.failed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CaptureMiddleware:
        settings = crawler.settings
        if not settings.getbool("KOMPAS_WARC_ENABLED", True):
            raise NotConfigured("KOMPAS_WARC_ENABLED is off")
        folder = Path(settings.get("KOMPAS_WARC_DIR") or "data/warc")
        recover_open_files(folder)
        files = WarcFiles(
            folder,
            rotate_bytes=settings.getint("KOMPAS_WARC_ROTATE_BYTES", 1 << 30),
            software=f"kompas-crawler ({settings.get('BOT_NAME')}); warcio",
        )
        middleware = cls(crawler, files)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        logger.info("Capture: every page parsed is kept in WARC files under %s", folder)
        return middleware

    def process_response(self, request: Request, response: Response) -> Response:
        if request.callback is NO_CALLBACK or not 200 <= response.status < 300:
            return response  # robots.txt, redirects, errors: not pages the spider reads
        if self.failed:
            raise IgnoreRequest("not parsed: the crawl is stopping (WARC write failed)")
        exchange = Exchange(
            url=response.url,
            method=request.method,
            request_headers=_header_list(request.headers),
            protocol=response.protocol or "HTTP/1.1",
            status=response.status,
            response_headers=_header_list(response.headers),
            payload=response.body,
            fetched_at=datetime.now(UTC),
        )
        digest = payload_digest(exchange.payload)
        original = self.originals.get(digest) or self._indexed_original(digest)
        try:
            ref = self.files.write(exchange, article_id(exchange.url), original)
        except OSError as error:
            self._stop(error)
            raise IgnoreRequest(
                f"not parsed: its capture could not be written ({error})"
            ) from error
        if original is None:
            self.originals[digest] = Original(ref.url, ref.fetched_at)
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"kompas/capture/{ref.record_type}")
        request.meta[META_KEY] = ref
        pending_captures(self.crawler).append(ref)
        return response

    def _indexed_original(self, digest: str) -> Original | None:
        engine = archive_engine(self.crawler)
        if self.archive_has_captures is None:
            self.archive_has_captures = newest_capture_id(engine) is not None
        if not self.archive_has_captures:
            return None
        found = find_original(engine, digest)
        if found is None:
            return None
        original = Original(*found)
        self.originals[digest] = original
        return original

    def _stop(self, error: OSError) -> None:
        if self.failed:
            return
        self.failed = True
        logger.critical(
            "Stopping the crawl: cannot write WARC file in %s (%s)", self.files.folder, error
        )
        assert self.crawler.engine is not None
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=WRITE_FAILED))

    def spider_closed(self) -> None:
        try:
            self.files.close()
        except OSError as error:
            logger.error("Could not close WARC file %s: %s", self.files.name, error)
