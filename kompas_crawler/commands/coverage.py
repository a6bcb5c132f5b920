"""``kompas-crawler coverage``: which days of the index the archive holds completely, and the gaps
as backfill commands to paste.

Exit status: 0 the range asked for is complete, 1 it is not (a script can wait for 0), 2 bad
input.
"""

from __future__ import annotations

import argparse
from typing import Any

from kompas_crawler.commands._output import (
    add_db_argument,
    add_json_argument,
    print_json,
    reading,
    table,
)
from kompas_crawler.storage.coverage import (
    CLAIMED,
    COMPLETE,
    NEVER,
    PARTIAL_DAY,
    Coverage,
    Period,
    coverage,
)
from kompas_crawler.storage.filters import QueryError, parse_day, parse_until
from kompas_crawler.urls import DEFAULT_SITE

GAPS_SHOWN = 20


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "coverage",
        help="which days the archive holds completely, and the gaps to backfill",
        description="Per day or month: days complete, partial, never walked and claimed now by "
        "a backfill worker; articles listed, stored and dropped (with reasons); the days not "
        "complete as backfill commands. Exit status: 0 the range is complete, 1 it is not.",
    )
    parser.add_argument("--since", metavar="DAY", help="first day: YYYY-MM-DD or YYYY-MM")
    parser.add_argument("--until", metavar="DAY", help="last day, included")
    parser.add_argument(
        "--by", choices=("day", "month"), default="month", help="one row per day or month"
    )
    parser.add_argument(
        "--site",
        default=DEFAULT_SITE,
        metavar="SITE",
        help=f"the index's site (default {DEFAULT_SITE})",
    )
    add_json_argument(parser)
    add_db_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    since = parse_day(args.since, "--since") if args.since else None
    until = parse_until(args.until, "--until") if args.until else None
    if since is not None and until is not None and until < since:
        raise QueryError(f"--until {until} is before --since {since}")
    site = args.site.strip().lower()
    if not site or not site.replace("-", "").isalnum():
        raise QueryError(f"--site {args.site!r} is not a site name (e.g. global, news, money)")
    with reading(args) as engine:
        found = coverage(engine, site, since, until, args.by)
    if args.json:
        print_json(as_json(found, args.by))
    else:
        print(report(found, args.by))
    return 0 if found.complete else 1


def backfill_command(first: Any, last: Any, site: str) -> str:
    site_argument = "" if site == DEFAULT_SITE else f" -a site={site}"
    return f"kompas-crawler crawl -a start_date={first} -a end_date={last}{site_argument}"


def _period_json(period: Period) -> dict[str, Any]:
    return {
        "period": period.period,
        "first": period.first.isoformat(),
        "last": period.last.isoformat(),
        "days": {state: period.days[state] for state in (COMPLETE, PARTIAL_DAY, NEVER, CLAIMED)},
        "listed": period.listed,
        "stored": period.stored,
        "dropped": period.dropped,
        "dropped_reasons": dict(sorted(period.dropped_reasons.items())),
    }


def as_json(found: Coverage, by: str) -> dict[str, Any]:
    return {
        "site": found.site,
        "since": found.since.isoformat() if found.since else None,
        "until": found.until.isoformat() if found.until else None,
        "by": by,
        "complete": found.complete,
        "periods": [_period_json(period) for period in found.periods],
        "total": _period_json(found.total()) if found.periods else None,
        "gaps": [
            {
                "first": first.isoformat(),
                "last": last.isoformat(),
                "days": (last - first).days + 1,
                "command": backfill_command(first, last, found.site),
            }
            for first, last in found.gaps
        ],
    }


def _row(period: Period) -> list[Any]:
    days = period.days
    return [
        period.period,
        sum(days.values()),
        days[COMPLETE],
        days[PARTIAL_DAY],
        days[NEVER],
        days[CLAIMED],
        period.listed,
        period.stored,
        period.dropped,
    ]


def report(found: Coverage, by: str) -> str:
    if found.since is None or found.until is None:
        return (
            f"No backfill of site={found.site} has walked any day yet: give --since and --until, "
            f"or start one ({backfill_command('YYYY-MM-DD', 'YYYY-MM-DD', found.site)})"
        )
    headers = ["day" if by == "day" else "month", "days", "complete", "partial", "never"]
    headers += ["claimed", "listed", "stored", "dropped"]
    rows = [_row(period) for period in found.periods]
    if len(found.periods) > 1:
        rows.append(_row(found.total()))
    lines = [
        f"Coverage of site={found.site}, {found.since} to {found.until}",
        table(headers, rows, right=range(1, len(headers))),
    ]
    reasons = found.total().dropped_reasons
    if reasons:
        listed = ", ".join(f"{reason} {count}" for reason, count in reasons.most_common())
        lines.append(f"Dropped articles, by reason: {listed}")
    if found.complete:
        lines.append("Complete: every day walked to its end, every article stored or dropped.")
        return "\n".join(lines)
    days = sum((last - first).days + 1 for first, last in found.gaps)
    gaps = f"{len(found.gaps)} gap" + ("s" if len(found.gaps) > 1 else "")
    lines.append(f"Not complete: {days} day{'s' if days > 1 else ''} in {gaps}; to backfill:")
    lines += [
        "  " + backfill_command(first, last, found.site) for first, last in found.gaps[:GAPS_SHOWN]
    ]
    if len(found.gaps) > GAPS_SHOWN:
        lines.append(f"  ... {len(found.gaps) - GAPS_SHOWN} more gaps (--json lists them all)")
    return "\n".join(lines)
