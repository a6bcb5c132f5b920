"""What the query commands share: --db and filter options, WIB dates, tables and JSON."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, TextIO

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from kompas_crawler import settings
from kompas_crawler.errors import KompasError
from kompas_crawler.processors import WIB
from kompas_crawler.storage.database import SETTING, open_existing_archive
from kompas_crawler.storage.filters import MAX_COUNT, Filters, parse_day, parse_until

BOLD, RESET = "\033[1m", "\033[0m"
# Control characters (C0 but newline and tab, DEL, C1) in stored text would be read by a
# terminal as commands: a title holding ESC ] 0 ; ... BEL retitles the window, ESC [ 2 J clears it.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


# ---------------------------------------------------------------------------- options


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        help=f"archive: a database URL or a SQLite file's path (default: ${SETTING}, "
        "else sqlite:///data/kompas.db)",
    )


def add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("filters (repeat an option to require several)")
    group.add_argument("--since", metavar="DAY", help="first day, WIB: YYYY-MM-DD or YYYY-MM")
    group.add_argument("--until", metavar="DAY", help="last day, WIB, included")
    group.add_argument(
        "--writer", action="append", default=[], metavar="NAME", help="part of a writer's name"
    )
    group.add_argument("--source", action="append", default=[], metavar="NAME", help="e.g. AFP")
    group.add_argument("--tag", action="append", default=[], metavar="TAG", help="a whole tag")
    group.add_argument(
        "--section", action="append", default=[], metavar="NAME", help="section or subsection"
    )


def add_json_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")


def positive_int(text: str) -> int:
    """argparse type: a whole number from 1 to MAX_COUNT."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_COUNT:,}, not {text}")
    return value


def filters_from(args: argparse.Namespace) -> Filters:
    """The Filters the command line asked for; QueryError on an impossible date."""
    return Filters(
        since=parse_day(args.since, "--since") if args.since else None,
        until=parse_until(args.until, "--until") if args.until else None,
        writers=tuple(args.writer),
        sources=tuple(args.source),
        tags=tuple(args.tag),
        sections=tuple(args.section),
    )


def database_url(args: argparse.Namespace) -> tuple[str, str]:
    """(URL or path, the option it came from: --db, the environment variable or the default)."""
    if args.db:
        return args.db, "--db"
    return settings.KOMPAS_DATABASE_URL, f"${SETTING}" if SETTING in os.environ else SETTING


@contextmanager
def reading(args: argparse.Namespace) -> Iterator[Engine]:
    """The archive opened for reading; database failures become one-line errors."""
    engine = open_existing_archive(*database_url(args))
    try:
        yield engine
    except KompasError:
        raise
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        raise KompasError(f"database error: {reason}") from error
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------- values


def printable(text: str) -> str:
    """Text safe to print: each control character (but newline and tab) shown as U+FFFD."""
    return _CONTROL.sub("\ufffd", text)


def wib(value: datetime | None) -> str:
    """A datetime as WIB wall time with its offset, e.g. ``2022-01-27 21:06 +07:00``."""
    if value is None:
        return "-"
    return value.astimezone(WIB).strftime("%Y-%m-%d %H:%M %z").replace("+0700", "+07:00")


def wib_iso(value: datetime | None) -> str | None:
    """ISO 8601 in WIB, e.g. ``2022-01-27T21:06:00+07:00``: exact and unambiguous."""
    return None if value is None else value.astimezone(WIB).isoformat()


def jsonable(value: Any) -> Any:
    """``json.dumps`` default: datetimes in WIB ISO, dates ISO."""
    if isinstance(value, datetime):
        return wib_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def print_json(data: Any, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    json.dump(data, out, ensure_ascii=False, indent=2, default=jsonable)
    out.write("\n")


def percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def color_enabled(out: TextIO | None = None) -> bool:
    out = out or sys.stdout
    return out.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def terminal_width() -> int:
    return max(40, shutil.get_terminal_size((100, 24)).columns)


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


# ---------------------------------------------------------------------------- tables


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    right: Sequence[int] = (),
    width: int | None = None,
) -> str:
    """A plain-text table; the widest column is cut so the table fits the terminal."""
    cells = [[str(header) for header in headers]]
    cells += [["-" if value is None else printable(str(value)) for value in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    limit = (width or terminal_width()) - 2 * (len(headers) - 1)
    while sum(widths) > limit and max(widths) > 12:
        widest = widths.index(max(widths))
        widths[widest] -= min(widths[widest] - 12, sum(widths) - limit)

    def line(row: Sequence[str]) -> str:
        parts = []
        for i, value in enumerate(row):
            value = shorten(value, widths[i])
            parts.append(value.rjust(widths[i]) if i in right else value.ljust(widths[i]))
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def section(title: str, body: str, out: Callable[[str], None] = print) -> None:
    out(f"\n{title}\n{body}")
