"""``kompas-crawler reextract``: re-read the archive from its WARC files with today's parsers."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress

from kompas_crawler import settings
from kompas_crawler.commands._output import (
    add_db_argument,
    add_json_argument,
    database_url,
    print_json,
)
from kompas_crawler.errors import KompasError
from kompas_crawler.reextract import Reextractor, summary_lines
from kompas_crawler.storage.database import open_archive
from kompas_crawler.storage.filters import Filters, parse_day, parse_until


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "reextract",
        help="re-read every article from its WARC capture with today's parsers (no network)",
        description=(
            "Parse the latest capture of each article again; update changed articles (keeping "
            "a revision), insert missing ones (an empty archive is rebuilt), count failures."
        ),
    )
    parser.add_argument("--since", metavar="DAY", help="articles published from this WIB day")
    parser.add_argument("--until", metavar="DAY", help="articles published up to this WIB day")
    parser.add_argument(
        "--warc",
        metavar="DIR",
        default=settings.KOMPAS_WARC_DIR,
        help="folder of WARC files (default: $KOMPAS_WARC_DIR, else data/warc)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="report what would change, write nothing"
    )
    add_json_argument(parser)
    add_db_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    filters = Filters(
        since=parse_day(args.since, "--since") if args.since else None,
        until=parse_until(args.until, "--until") if args.until else None,
    )
    folder = Path(args.warc)
    if not folder.is_dir():
        raise KompasError(f"no WARC folder at {str(folder)!r} (give --warc DIR)")
    engine = open_archive(*database_url(args))
    try:
        job = Reextractor(
            engine, folder, since=filters.since, until=filters.until, dry_run=args.dry_run
        )
        with Progress(console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("Re-extracting", total=None)
            report = job.run(progress=lambda done: progress.advance(task, done))
    finally:
        engine.dispose()
    if args.json:
        print_json(report.as_dict())
    else:
        for line in summary_lines(report):
            print(line)
    return 0
