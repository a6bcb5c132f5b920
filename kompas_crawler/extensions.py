"""The crawl run record: a ``crawl_runs`` row written when a crawl opens and closed with its stats.

Opening the row takes the archive's crawl lock (see ``storage/runs.py``): a crawl that finds a
live one running closes at once with finish reason ``locked``, before any request, and leaves no
row. The row is closed on ``spider_closed``, after Scrapy's core stats (finish reason, times) are
set and the store pipeline has committed, so the stats stored are the ones Scrapy prints.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import CloseSpider
from sqlalchemy.exc import SQLAlchemyError

from kompas_crawler import health, installed_version
from kompas_crawler.errors import ConfigError
from kompas_crawler.health import articles_stored
from kompas_crawler.incremental import is_backfill
from kompas_crawler.masking import masked
from kompas_crawler.outcome import BLOCKED, DEGRADED, LOCKED, recorded_finish_reason
from kompas_crawler.pipelines.store import archive_engine
from kompas_crawler.storage.archive import to_naive_utc
from kompas_crawler.storage.meta import WRITER_VERSION, read_value, write_value
from kompas_crawler.storage.runs import (
    BACKFILL,
    FAILED,
    INCREMENTAL,
    OK,
    CrawlLocked,
    finish_run,
    recent_runs,
    start_run,
)

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

logger = logging.getLogger(__name__)

PAGES_OK = "kompas/run/pages_ok"  # 2xx responses other than robots.txt: the site was reachable
RUN_ID = "kompas/run/id"


def run_outcome(stats: Mapping[str, Any]) -> tuple[str, str]:
    """(status, one-line summary) of a closed crawl: ``ok``, ``degraded``, ``blocked``,
    ``failed`` or ``locked``.

    Blocked: the site kept answering WAF challenges, or asked to wait longer than allowed.
    Failed: a finish reason other than ``finished``, requests made but no page downloaded (site
    unreachable), articles the database refused, nearly every requested article lost, or errors
    with no article stored. Degraded: the reason ``RunRecorder`` found against the archive's
    history (see ``kompas_crawler.health``). A run with nothing to ask is ok.
    """
    reason = str(stats.get("finish_reason") or "unknown")
    errors = int(stats.get("log_count/ERROR", 0))
    counts = (
        f"{stats.get('kompas/store/new', 0)} new, {stats.get('kompas/store/updated', 0)} updated, "
        f"{stats.get('kompas/store/unchanged', 0)} unchanged, "
        f"{sum(v for k, v in stats.items() if k.startswith('kompas/dropped/'))} dropped, "
        f"{stats.get('downloader/request_count', 0)} requests, {errors} errors"
    )
    if reason == LOCKED:
        return LOCKED, "another crawl is running on this archive"
    blocked = health.blocked_reason(stats)
    if blocked and reason in ("finished", BLOCKED):
        return BLOCKED, f"run blocked: {blocked} ({counts})"
    if reason != "finished":
        return FAILED, f"run failed: finish reason {reason!r} ({counts})"
    if stats.get("downloader/request_count") and not stats.get(PAGES_OK):
        return FAILED, f"run failed: site unreachable, no page downloaded ({counts})"
    failure = health.failure_reason(stats)
    if failure:
        return FAILED, f"run failed: {failure} ({counts})"
    if errors and not articles_stored(stats):
        return FAILED, f"run failed: errors and no article stored ({counts})"
    degraded = stats.get(health.DEGRADED_REASON)
    if degraded:
        return DEGRADED, f"run degraded: {degraded} ({counts})"
    return OK, f"run ok ({counts})"


def health_problems(engine: Any, spider: str, run_id: int, stats: Mapping[str, Any]) -> str:
    """Why this run's extraction is degraded, judged against the spider's past clean runs
    (a backfill against the fixed floors: old markup fills fields differently); "" if healthy."""
    past = recent_runs(engine, spider, before_id=run_id)
    backfill = bool(stats.get("kompas/run/backfill"))
    clean = [run.stats for run in past if run.status == OK and not is_backfill(run.arguments)]
    reasons = health.degraded_reasons(stats, health.floors([] if backfill else clean))
    if not backfill:
        seen = [
            health.RunSeen(run.started_at, run.status, int(run.stats.get("kompas/store/new", 0)))
            for run in past
            if not is_backfill(run.arguments)
        ]
        started = to_naive_utc(stats.get("start_time")) or to_naive_utc(datetime.now(UTC))
        assert started is not None
        quiet = health.quiet_reason(started, int(stats.get("kompas/store/new", 0)), seen)
        if quiet:
            reasons.append(quiet)
    return "; ".join(reasons)


def spider_arguments(spider: Spider) -> dict[str, Any]:
    """The ``-a`` arguments a spider was started with (spiders keep them in ``arguments``)."""
    return {str(key): str(value) for key, value in getattr(spider, "arguments", {}).items()}


def command_line_settings(crawler: Crawler) -> dict[str, Any]:
    """The settings given with ``-s`` (or by `kompas-crawler crawl`)."""
    names = [name for name in crawler.settings if crawler.settings.getpriority(name) == 40]
    return {name: str(crawler.settings[name]) for name in sorted(names)}


def warn_other_writer(engine: Any) -> None:
    """Warn, once per run, when the archive was last written by another kompas-crawler version
    (its parsers may read pages differently: articles of both versions side by side); then
    name this one as the last writer."""
    mine = installed_version()
    last = read_value(engine, WRITER_VERSION)
    if last is not None and last != mine:
        logger.warning(
            "This archive was last written by kompas-crawler %s, this is %s: its parsers may "
            "read pages differently (kompas-crawler reextract reads stored pages anew)",
            last,
            mine,
        )
    if last != mine:
        write_value(engine, WRITER_VERSION, mine)


class RunRecorder:
    """Writes the ``crawl_runs`` row of each crawl; holds the archive's crawl lock meanwhile."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.run_id: int | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.response_received, signal=signals.response_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunRecorder:
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        assert self.crawler.stats is not None
        # Stored where Datasette serves it: no password of a database URL in clear.
        arguments = {
            "spider": masked(spider_arguments(spider)),
            "settings": masked(command_line_settings(self.crawler)),
        }
        backfill = is_backfill(arguments["spider"])
        try:
            engine = archive_engine(self.crawler)
            self.run_id, dead = start_run(
                engine,
                spider.name,
                arguments,
                datetime.now(UTC),
                kind=BACKFILL if backfill else INCREMENTAL,
            )
        except CrawlLocked as error:
            logger.error("Not crawling: %s", error)
            raise CloseSpider(LOCKED) from error
        except ConfigError as error:
            raise CloseSpider("config_error") from error
        if dead is not None:
            what = "a dead backfill" if backfill else "the crawl lock of a dead crawl"
            logger.warning("Took over %s: %s", what, dead.describe())
        self.crawler.stats.set_value(RUN_ID, self.run_id)
        if backfill:
            self.crawler.stats.set_value("kompas/run/backfill", 1)
        warn_other_writer(engine)
        logger.info("Crawl run %d started", self.run_id)

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        if 200 <= response.status < 300 and not response.url.endswith("/robots.txt"):
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value(PAGES_OK)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.run_id is None:
            return
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
        stats.setdefault("finish_reason", reason)
        engine = archive_engine(self.crawler)
        try:
            problems = health_problems(engine, spider.name, self.run_id, stats)
        except SQLAlchemyError as error:  # no history to judge by: still close the run record
            logger.error("Could not read past runs to judge this one's health: %s", error)
            problems = "; ".join(health.degraded_reasons(stats, health.floors([])))
        if problems:
            self.crawler.stats.set_value(health.DEGRADED_REASON, problems)
            stats[health.DEGRADED_REASON] = problems
        status, summary = run_outcome(stats)
        self.crawler.stats.set_value(health.SUMMARY, summary)
        stats[health.SUMMARY] = summary
        finish_run(
            engine,
            self.run_id,
            status=status,
            finish_reason=recorded_finish_reason(reason, status, summary),
            stats=stats,
            finished_at=stats.get("finish_time"),
        )
        # Logged after storing, so the stored error count is the one a user sees.
        log = logger.info if status == OK else logger.warning
        log("Crawl run %d: %s", self.run_id, summary)
