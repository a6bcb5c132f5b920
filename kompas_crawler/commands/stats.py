"""``kompas-crawler stats``: what the archive holds and how well its fields are filled."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kompas_crawler.commands._charts import period_chart
from kompas_crawler.commands._output import (
    add_db_argument,
    add_filter_arguments,
    add_json_argument,
    filters_from,
    percent,
    positive_int,
    print_json,
    reading,
    table,
    wib,
)
from kompas_crawler.plots import plot_periods
from kompas_crawler.storage.dropped import dropped_counts
from kompas_crawler.storage.stats import stats


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "stats",
        help="totals, articles per day or month, top names, fill rates, last crawls",
        description="Totals, articles per WIB day or month, top writers, sources and tags, "
        "the share of articles with each field, and the last crawl runs.",
    )
    parser.add_argument("--by", choices=["day", "month"], default="month", help="period (month)")
    parser.add_argument("--top", type=positive_int, default=10, help="names per top list (10)")
    parser.add_argument("--runs", type=positive_int, default=5, help="crawl runs to list (5)")
    parser.add_argument(
        "--plot", metavar="FILE", help="also draw articles per period to FILE.png or FILE.svg"
    )
    add_filter_arguments(parser)
    add_json_argument(parser)
    add_db_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    filters = filters_from(args)
    with reading(args) as engine:
        report = stats(engine, filters, by=args.by, top=args.top, runs=args.runs)
        report["dropped_articles"] = dropped_counts(engine)
    if args.plot:
        title = f"Articles per {args.by} (WIB), {report['totals']['articles']:,} in all"
        plot_periods(report["per_period"], args.by, args.plot, title)
    if args.json:
        print_json(report)
    else:
        totals, rest = render(report)
        print(totals, end="\n\n")
        label = "Day (WIB)" if report["by"] == "day" else "Month (WIB)"
        chart = period_chart(report["per_period"], label)
        if chart:
            print(chart, end="\n\n")
        print(rest)
    if args.plot:
        print(f"chart written to {args.plot}", file=sys.stderr)
    return 0


def render(report: dict[str, Any]) -> tuple[str, str]:
    """The totals table, and every table after the chart of articles per period."""
    totals = report["totals"]
    head = table(
        ["Archive", ""],
        [
            ["articles", f"{totals['articles']:,}"],
            ["words", f"{totals['words']:,}"],
            ["writers", f"{totals['writers']:,}"],
            ["revisions", f"{totals['revisions']:,}"],
            ["first published", wib(totals["first_published"])],
            ["last published", wib(totals["last_published"])],
        ],
    )
    parts = []
    for key, title in (("top_writers", "Writer"), ("top_sources", "Source"), ("top_tags", "Tag")):
        if report[key]:
            rows = [[row["name"], row["articles"]] for row in report[key]]
            parts.append(table([title, "Articles"], rows, right=[1]))
    rates = [
        [name.replace("_", " "), percent(share)] for name, share in report["fill_rates"].items()
    ]
    parts.append(table(["Articles with", "Share"], rates, right=[1]))
    extraction = report["extraction"]
    layouts = [[name, f"{count:,}"] for name, count in extraction["by_layout"].items()]
    fallbacks = [[f"{name} by fallback", f"{n:,}"] for name, n in extraction["fallbacks"].items()]
    if layouts:
        parts.append(table(["Read as layout", "Articles"], layouts + fallbacks, right=[1]))
    runs = [
        [
            run["id"],
            wib(run["started_at"]),
            wib(run["finished_at"]) if run["finished_at"] else "-",
            run["status"],
            run["requests"],
            run["articles_new"],
            run["articles_updated"],
            run["errors"],
        ]
        for run in report["crawl_runs"]
    ]
    if runs:
        headers = ["Run", "Started", "Finished", "Status", "Requests", "New", "Updated", "Errors"]
        parts.append(table(headers, runs, right=[0, 4, 5, 6, 7]))
    else:
        parts.append("No crawl runs recorded.")
    dropped = report["dropped_articles"]
    if dropped["remembered"]:
        parts.append(
            f"Dropped articles remembered: {dropped['remembered']} "
            f"({dropped['given_up']} given up); `kompas-crawler health` lists them."
        )
    return head, "\n\n".join(parts)
