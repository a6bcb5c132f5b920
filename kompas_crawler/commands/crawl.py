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

from kompas_crawler.errors import ConfigError

# Exit statuses: kompas_crawler.outcome.EXIT_CODES, shared with `scrapy crawl kompas_global`.


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


def log_refusal(path: Path, message: str) -> None:
    """Append why the run did not start to its log, in Scrapy's format (best effort: the log
    may be what cannot be written)."""
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    try:
        with path.open("a", encoding="utf-8") as log:
            log.write(f"{stamp} [kompas_crawler] CRITICAL: Cannot start: {message}\n")
    except OSError:
        pass


def run(args: argparse.Namespace) -> int:
    from scrapy.crawler import CrawlerProcess

    from kompas_crawler.outcome import CONFIG_ERROR, LOCKED, exit_code
    from kompas_crawler.running import SPIDER, preflight, run_crawl

    spider_arguments = parse_pairs(args.spider_arguments, "-a")
    settings = project_settings(parse_pairs(args.settings, "-s"))
    path = log_file(settings)
    settings.set("LOG_FILE", str(path), priority="cmdline")
    settings.set("KOMPAS_PROGRESS_LIVE", not args.quiet, priority="cmdline")
    refused = preflight(settings, spider_arguments)
    if refused is not None:
        status, message = refused
        if status == LOCKED:  # the running crawl's business: this one leaves no trace
            print(f"kompas-crawler crawl: error: {message}", file=sys.stderr)
            return exit_code(status)
        log_refusal(path, message)
        print(f"kompas-crawler crawl: error: {message}; log: {path}", file=sys.stderr)
        return exit_code(status)
    process = CrawlerProcess(settings)
    status, summary = run_crawl(process, process.create_crawler(SPIDER), spider_arguments)
    code = exit_code(status)
    if status in (CONFIG_ERROR, LOCKED):
        print(f"kompas-crawler crawl: error: {summary}; log: {path}", file=sys.stderr)
    elif code:
        print(f"kompas-crawler crawl: {summary}; log: {path}", file=sys.stderr)
    elif not args.quiet:
        print(f"kompas-crawler crawl: {summary}; log: {path}")
    return code
