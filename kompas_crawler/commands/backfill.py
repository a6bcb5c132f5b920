"""``kompas-crawler backfill``: a date range crawled by N workers on Scrapyd nodes, watched
from the archive until it is complete (kompas_crawler/backfill.py)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from kompas_crawler.commands.crawl import parse_pairs
from kompas_crawler.errors import ConfigError

MIRROR = "KOMPAS_MIRROR"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "backfill",
        help="crawl a date range with workers on Scrapyd nodes",
        description=(
            "Deploy the project to each Scrapyd node, schedule N workers of the whole range "
            "(they split its days by claiming them in the archive), show progress from the "
            "archive, and reschedule failed jobs. Exit status: 0 the range is complete, 1 no "
            "node left or retries used up, 2 bad input."
        ),
    )
    parser.add_argument("--from", dest="first", required=True, metavar="YYYY-MM-DD")
    parser.add_argument("--to", dest="last", required=True, metavar="YYYY-MM-DD")
    parser.add_argument(
        "--scrapyd",
        action="append",
        default=[],
        metavar="URL",
        help="a Scrapyd node, e.g. http://host:6800 (repeat for more)",
    )
    parser.add_argument(
        "--site",
        default="global",
        metavar="NAME",
        help="the indeks site (section) to archive, as crawl -a site= (default global)",
    )
    parser.add_argument("--workers", type=int, default=2, metavar="N", help="jobs (default 2)")
    parser.add_argument(
        "--database",
        metavar="URL",
        help="the archive every node writes to (default: $KOMPAS_DATABASE_URL); "
        "PostgreSQL for more than one machine",
    )
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Scrapy setting for every job (repeatable)",
    )
    parser.add_argument(
        "--retries", type=int, default=3, metavar="N", help="failed jobs rescheduled at most"
    )
    parser.add_argument(
        "--poll", type=float, default=2.0, metavar="SECONDS", help=argparse.SUPPRESS
    )
    parser.add_argument("--no-deploy", action="store_true", help="use the egg already deployed")
    parser.add_argument(
        "--cancel-on-exit", action="store_true", help="cancel the jobs when interrupted (Ctrl-C)"
    )
    parser.set_defaults(run=run)


def _range(args: argparse.Namespace) -> tuple[Any, Any]:
    from kompas_crawler.storage.filters import QueryError, parse_day

    try:
        first = parse_day(args.first, "--from")
        last = parse_day(args.last, "--to")
    except QueryError as error:
        raise ConfigError(str(error)) from None
    if last < first:
        raise ConfigError(f"--to {args.last} is before --from {args.first}")
    return first, last


def _archive_url(args: argparse.Namespace) -> tuple[str, str]:
    """(URL, where it came from); a relative SQLite path made absolute, as jobs run elsewhere."""
    from kompas_crawler import settings
    from kompas_crawler.storage.database import SETTING, database_url

    if args.database:
        given, option = args.database, "--database"
    elif SETTING in os.environ:
        given, option = os.environ[SETTING], f"${SETTING}"
    else:
        given, option = settings.KOMPAS_DATABASE_URL, SETTING
    url = database_url(given, option)
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        url = prefix + str(Path(url[len(prefix) :]).resolve())
    return url, option


def check(args: argparse.Namespace) -> None:
    """Bad input as ConfigError, before any node is asked anything."""
    from kompas_crawler.scrapyd import node_url
    from kompas_crawler.spiders.kompas_global import parse_site

    if not args.scrapyd:
        raise ConfigError("no Scrapyd node: give at least one --scrapyd URL")
    for url in args.scrapyd:
        node_url(url)
    parse_site(args.site)
    if args.workers < 1:
        raise ConfigError(f"--workers {args.workers}: must be at least 1")
    if args.retries < 0:
        raise ConfigError(f"--retries {args.retries}: must be at least 0")


def run(args: argparse.Namespace) -> int:
    from kompas_crawler.backfill import Backfill
    from kompas_crawler.masking import mask_credentials
    from kompas_crawler.scrapyd import Node, build_egg, node_url
    from kompas_crawler.storage.database import SETTING, open_archive

    check(args)
    first, last = _range(args)
    settings = parse_pairs(args.setting, "--setting")
    url, option = _archive_url(args)
    settings[SETTING] = url
    if MIRROR in os.environ:
        settings.setdefault(MIRROR, os.environ[MIRROR])
    nodes = [Node(node_url(text)) for text in dict.fromkeys(args.scrapyd)]
    engine = open_archive(url, option)  # made once here, so the jobs do not race to create it

    def report(line: str) -> None:
        print(mask_credentials(line), flush=True)

    backfill = Backfill(
        nodes,
        engine,
        first,
        last,
        workers=args.workers,
        settings=settings,
        retries=args.retries,
        report=report,
        site=args.site,
        poll=args.poll,
    )
    try:
        with tempfile.TemporaryDirectory(prefix="kompas-backfill-") as folder:
            egg = None if args.no_deploy else build_egg(Path(folder))
            backfill.prepare(egg, time.strftime("%Y%m%dT%H%M%S", time.gmtime()))
        done = backfill.run()
    except KeyboardInterrupt:
        jobs = f"{len(backfill.placed)} job" + ("" if len(backfill.placed) == 1 else "s")
        if args.cancel_on_exit:
            backfill.cancel()
            print(f"backfill: interrupted; {jobs} cancelled", file=sys.stderr)
        else:
            pages = ", ".join(dict.fromkeys(p.node.jobs_page() for p in backfill.placed))
            print(
                f"backfill: interrupted; {jobs} still running"
                + (f": see {pages}" if pages else ""),
                file=sys.stderr,
            )
        return 130
    finally:
        engine.dispose()
    print(f"backfill: {first} to {last} complete: {done.days} days, {done.articles} articles")
    return 0
