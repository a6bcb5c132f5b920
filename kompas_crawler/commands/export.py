"""``kompas-crawler export``: selected articles as JSON Lines or CSV, streamed."""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from kompas_crawler.commands._output import (
    add_db_argument,
    add_filter_arguments,
    database_url,
    filters_from,
    jsonable,
    positive_int,
    printable,
    reading,
    wib_iso,
)
from kompas_crawler.errors import KompasError
from kompas_crawler.storage.database import archive_files
from kompas_crawler.storage.rows import EXPORT_FIELDS, iter_articles

LIST_SEPARATOR = "; "


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export",
        help="articles as JSON Lines, CSV or Parquet (streamed)",
        description="Write the selected articles, oldest first, as JSON Lines, CSV or Parquet. "
        "Dates are ISO 8601 in WIB (+07:00); in CSV, lists are joined with '; '. Parquet "
        "(needs -o) has typed columns: timestamps with time zone, lists as list<string>.",
    )
    parser.add_argument(
        "--format", choices=["jsonl", "csv", "parquet"], default="jsonl", help="(jsonl)"
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    parser.add_argument("--force", action="store_true", help="replace FILE if it exists")
    parser.add_argument("-q", "--query", help="only articles matching this full-text query")
    parser.add_argument(
        "--exact",
        action="store_true",
        help="with --query: its words as written only, not their other forms",
    )
    add_filter_arguments(parser)
    parser.add_argument("--sort", choices=["oldest", "newest"], default="oldest", help="(oldest)")
    parser.add_argument("--limit", type=positive_int, help="at most this many articles")
    parser.add_argument("--no-body", action="store_true", help="leave the article text out")
    add_db_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    filters = filters_from(args)
    fields = [name for name in EXPORT_FIELDS if not (args.no_body and name == "body")]
    binary = args.format == "parquet"
    if binary and not args.output:
        raise KompasError("--format parquet writes a file: give -o FILE.parquet")
    write = _writer(args.format)
    if args.output:
        check_output(Path(args.output), database_url(args)[0], force=args.force)
    with reading(args) as engine:
        rows = iter_articles(
            engine,
            filters,
            query=args.query,
            limit=args.limit,
            sort=args.sort,
            exact=args.exact,
        )
        # The first row proves the query valid before anything is written.
        first = next(rows, None)
        rows = itertools.chain([first] if first else [], rows)
        with _destination(args.output, binary=binary) as out:
            count = write(rows, out, fields)
    if args.output:
        print(f"exported {count:,} articles to {args.output}", file=sys.stderr)
    return 0


def _writer(name: str) -> Callable[[Iterable[dict[str, Any]], Any, list[str]], int]:
    if name != "parquet":
        return write_csv if name == "csv" else write_jsonl
    try:
        from kompas_crawler.parquet import write_parquet
    except ImportError as error:
        raise KompasError(
            f"--format parquet needs pyarrow ({error}): pip install 'kompas-crawler[parquet]'"
        ) from error
    return write_parquet


def write_jsonl(rows: Iterable[dict[str, Any]], out: TextIO, fields: list[str]) -> int:
    count = 0
    for row in rows:
        record = {name: row[name] for name in fields}
        out.write(json.dumps(record, ensure_ascii=False, default=jsonable))
        out.write("\n")
        count += 1
    return count


def write_csv(rows: Iterable[dict[str, Any]], out: TextIO, fields: list[str]) -> int:
    writer = csv.writer(out)
    writer.writerow(fields)
    count = 0
    for row in rows:
        writer.writerow([_cell(row[name]) for name in fields])
        count += 1
    return count


def _cell(value: Any) -> Any:
    """A CSV cell: lists joined, dates in WIB, text without control characters (a spreadsheet
    or `cat` of the file would act on them); JSON Lines keeps text exact, escaped."""
    if isinstance(value, list):
        return printable(LIST_SEPARATOR.join(value))
    if hasattr(value, "astimezone"):
        return wib_iso(value)
    if isinstance(value, str):
        return printable(value)
    return value


def check_output(target: Path, archive: str, *, force: bool) -> None:
    """Refuse to write over the archive (or its -wal/-shm), over anything but a regular file
    (a FIFO, a device, a folder), or over an existing file without --force."""
    if not target.exists():
        return
    for part in archive_files(archive):
        if part.exists() and os.path.samefile(part, target):
            raise KompasError(
                f"-o {str(target)!r} is the archive itself ({part.name}): not written"
            )
    if not target.is_file():
        raise KompasError(f"-o {str(target)!r} is not a regular file: not written")
    if not force:
        raise KompasError(f"-o {str(target)!r} exists: add --force to replace it")


@contextmanager
def _destination(path: str | None, binary: bool = False) -> Iterator[Any]:
    """stdout, or FILE written via FILE.part and renamed: a failed export leaves no half file."""
    if not path:
        sys.stdout.flush()
        if not hasattr(sys.stdout, "buffer"):
            yield sys.stdout
            return
        out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="", write_through=False)
        try:
            yield out
        finally:
            out.flush()
            out.detach()
        return
    target = Path(path)
    partial = target.with_name(target.name + ".part")
    try:
        handle = partial.open("wb") if binary else partial.open("w", encoding="utf-8", newline="")
    except OSError as error:
        raise KompasError(f"cannot write {path!r} ({error.strerror})") from error
    try:
        with handle:
            yield handle
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
