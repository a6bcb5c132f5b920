"""Running the spider once and reading how it went: what both crawl entry points share.

``kompas-crawler crawl`` (cron) and ``scrapy crawl kompas_global`` (the project's command in
``kompas_crawler.scrapy_commands``) check the arguments and settings first, then run the crawl
with the log guarded, and end with ``(status, summary)``: the status maps to an exit code
through ``kompas_crawler.outcome.EXIT_CODES``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcessBase
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from kompas_crawler.config import check_database, check_settings, check_spider_arguments, where
from kompas_crawler.errors import ConfigError, KompasError
from kompas_crawler.incremental import is_backfill
from kompas_crawler.logs import LogGuard
from kompas_crawler.masking import mask_credentials
from kompas_crawler.outcome import CONFIG_ERROR, LOCKED
from kompas_crawler.storage.runs import FAILED, CrawlLocked

logger = logging.getLogger(__name__)

SPIDER = "kompas_global"


def _collect_failure(started: Any, failures: list[BaseException]) -> None:
    """Keep what a crawl's bootstrap raised (a Deferred or an asyncio task), so it is reported
    once by us rather than as "Task exception was never retrieved"."""
    if isinstance(started, Deferred):

        def failed(failure: Failure) -> None:
            if failure.value is not None:
                failures.append(failure.value)

        started.addErrback(failed)
    elif isinstance(started, asyncio.Future):

        def done(task: asyncio.Future[Any]) -> None:
            error = None if task.cancelled() else task.exception()
            if isinstance(error, BaseException):
                failures.append(error)

        started.add_done_callback(done)


def preflight(settings: Any, arguments: Mapping[str, str]) -> tuple[str, str] | None:
    """(status, message) when the crawl must not start (bad input, locked archive); None to go.
    A locked archive is only read, not written."""
    from kompas_crawler.storage.database import SETTING, open_existing_archive
    from kompas_crawler.storage.runs import check_unlocked

    try:
        check_settings(settings)
        check_spider_arguments(arguments)
        try:
            engine = open_existing_archive(settings.get(SETTING) or "", where(SETTING, settings))
        except ConfigError:
            engine = None  # no archive yet, or unusable: check_database says which
        if engine is not None:
            try:
                if not is_backfill(dict(arguments)):  # backfills share the archive: no lock
                    check_unlocked(engine)
            finally:
                engine.dispose()
        check_database(settings)
    except CrawlLocked as error:
        return LOCKED, str(error)
    except KompasError as error:
        return CONFIG_ERROR, mask_credentials(str(error))
    return None


def run_crawl(
    process: CrawlerProcessBase, crawler: Crawler, arguments: Mapping[str, str]
) -> tuple[str, str]:
    """Run ``crawler`` to its end in this process; ``(status, one-line summary)``."""
    from kompas_crawler.extensions import run_outcome

    failures: list[BaseException] = []
    _collect_failure(process.crawl(crawler, **arguments), failures)
    process.start()
    if failures:
        error = failures[0]
        if isinstance(error, ConfigError):
            return CONFIG_ERROR, mask_credentials(str(error))
        return FAILED, mask_credentials(f"run failed to start: {error!r}")
    guard = crawler.get_extension(LogGuard)
    if guard is not None and guard.error is not None:
        return FAILED, guard.describe()
    assert crawler.stats is not None
    return run_outcome(crawler.stats.get_stats())
