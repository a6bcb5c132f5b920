"""``kompas-crawler crawl``: one scheduled run of the spider, for cron.

Runs ``kompas_global`` in this process with the project settings (found without a scrapy.cfg, so
the working directory only matters for relative paths: the default archive ``data/kompas.db`` and
logs ``data/logs/``), logs to one file per run, and tells how the run went by its exit code.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kompas_crawler.errors import ConfigError, KompasError
from kompas_crawler.storage.database import SETTING as DATABASE_URL_SETTING
from kompas_crawler.storage.runs import CrawlLocked

SPIDER = "kompas_global"

EXIT_OK = 0
EXIT_FAILED = 1  # finish reason other than finished, site unreachable, errors and no article
# (a blocked run exits 1 too: the site kept answering WAF challenges)
EXIT_DEGRADED = 4  # the pages came but were read worse than usual (kompas_crawler.health)
EXIT_CONFIG = ConfigError.exit_code  # 2: a bad argument or setting; nothing was crawled
EXIT_LOCKED = CrawlLocked.exit_code  # 3: another crawl is running on this archive


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "crawl",
        help="run the crawler once (the cron entry point)",
        description=(
            "Run the kompas_global spider once, logging to a file under data/logs/. "
            "Exit status: 0 ok, 1 the run failed or was blocked, 2 bad argument or setting, "
            "3 another crawl is running on this archive, 4 the run is degraded "
            "(pages read worse than usual; see kompas-crawler health)."
        ),
    )
    parser.add_argument(
        "-a",
        dest="spider_arguments",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="spider argument, as for scrapy crawl (start_date, end_date, max_pages, refresh)",
    )
    parser.add_argument(
        "-s",
        dest="settings",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="setting, as for scrapy crawl",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print nothing when the run succeeds (cron mails only failures)",
    )
    parser.set_defaults(run=run)


def parse_pairs(pairs: list[str], option: str) -> dict[str, str]:
    """``["a=1", "b=x=y"]`` -> ``{"a": "1", "b": "x=y"}``."""
    parsed: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"{option} {pair!r}: expected NAME=VALUE")
        parsed[name.strip()] = value
    return parsed


def project_settings(overrides: dict[str, str]) -> Any:
    """The project's settings, wherever this runs from, with ``-s`` overrides on top."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "kompas_crawler.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.setdict(overrides, priority="cmdline")
    return settings


def check_not_locked(database_url: str) -> None:
    """Raise CrawlLocked, touching nothing, if a live crawl holds this archive."""
    from kompas_crawler.storage.database import open_existing_archive
    from kompas_crawler.storage.runs import check_unlocked

    try:
        engine = open_existing_archive(database_url)
    except ConfigError:
        return  # no archive yet (or an unusable URL, which the crawl itself reports)
    try:
        check_unlocked(engine)
    finally:
        engine.dispose()


def prune_logs(folder: Path, keep_days: float) -> None:
    """Delete this command's log files older than ``keep_days``."""
    if keep_days <= 0:
        return
    cutoff = time.time() - keep_days * 86400
    for path in folder.glob("crawl-*.log"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass


def log_file(settings: Any) -> Path:
    """This run's log file: ``-s LOG_FILE=...`` or KOMPAS_LOG_DIR/crawl-<UTC time>.log."""
    if settings.get("LOG_FILE"):
        return Path(settings["LOG_FILE"])
    folder = Path(settings.get("KOMPAS_LOG_DIR") or "data/logs")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(
            f"KOMPAS_LOG_DIR={str(folder)!r}: cannot create it ({error.strerror})"
        ) from error
    prune_logs(folder, settings.getfloat("KOMPAS_LOG_KEEP_DAYS", 30))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return folder / f"crawl-{stamp}.log"


def crawl(settings: Any, spider_arguments: dict[str, str]) -> dict[str, Any]:
    """Run the spider to its end in this process; its final stats. Raises what bootstrap raised."""
    from scrapy.crawler import CrawlerProcess

    process = CrawlerProcess(settings)
    crawler = process.create_crawler(SPIDER)
    failures: list[Any] = []
    process.crawl(crawler, **spider_arguments).addErrback(failures.append)
    process.start()
    if failures:
        failures[0].raiseException()
    assert crawler.stats is not None
    return crawler.stats.get_stats()


def run(args: argparse.Namespace) -> int:
    from kompas_crawler.extensions import LOCKED, run_outcome
    from kompas_crawler.health import DEGRADED

    spider_arguments = parse_pairs(args.spider_arguments, "-a")
    settings = project_settings(parse_pairs(args.settings, "-s"))
    check_not_locked(settings.get(DATABASE_URL_SETTING) or "")
    path = log_file(settings)
    settings.set("LOG_FILE", str(path), priority="cmdline")
    try:
        stats = crawl(settings, spider_arguments)
    except KompasError:
        raise
    except Exception as error:  # a crawl that could not start: say so, the log has the traceback
        print(f"kompas-crawler crawl: run failed to start: {error!r}; log: {path}", file=sys.stderr)
        return EXIT_FAILED
    status, summary = run_outcome(stats)
    if status == LOCKED:
        print(f"kompas-crawler crawl: error: {summary}; log: {path}", file=sys.stderr)
        return EXIT_LOCKED
    if status != "ok":
        print(f"kompas-crawler crawl: {summary}; log: {path}", file=sys.stderr)
        return EXIT_DEGRADED if status == DEGRADED else EXIT_FAILED
    if not args.quiet:
        print(f"kompas-crawler crawl: {summary}; log: {path}")
    return EXIT_OK
