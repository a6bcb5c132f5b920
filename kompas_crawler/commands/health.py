"""``kompas-crawler health``: how well the last runs read the site, and the verdict.

Exit status: 0 the last run was healthy, 4 degraded, 1 blocked or failed (as ``crawl`` exited).
"""

from __future__ import annotations

import argparse
from typing import Any

from kompas_crawler.commands._output import (
    add_db_argument,
    add_json_argument,
    percent,
    positive_int,
    print_json,
    reading,
    table,
    wib,
)
from kompas_crawler.health import FIELDS, run_health
from kompas_crawler.outcome import BLOCKED, DEGRADED
from kompas_crawler.storage.archive import to_aware_utc
from kompas_crawler.storage.dropped import list_dropped, missing_captures
from kompas_crawler.storage.runs import FAILED, recent_runs

SPIDER = "kompas_global"
EXIT_CODES = {DEGRADED: 4, BLOCKED: 1, FAILED: 1}
_SHORT = {
    "title": "title",
    "published_at": "time",
    "writers": "writer",
    "editors": "editor",
    "body": "body",
    "tags": "tags",
    "image_url": "image",
}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "health",
        help="how well the last crawl runs read the site: fill rates, verdict, dropped articles",
        description="Each recent crawl run's field fill rates, fallbacks, drops and challenges; "
        "the verdict of the last run; the articles remembered as dropped. Exit status: 0 "
        "healthy, 4 degraded, 1 blocked or failed.",
    )
    parser.add_argument("--runs", type=positive_int, default=10, help="runs to show (10)")
    parser.add_argument("--dropped", type=positive_int, default=20, help="dropped to list (20)")
    add_json_argument(parser)
    add_db_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    with reading(args) as engine:
        past = recent_runs(engine, SPIDER, limit=args.runs + 1)
        dropped_total, dropped = list_dropped(engine, args.dropped)
        captures_missing = missing_captures(engine)
    runs = [
        {"id": run.id, "started_at": to_aware_utc(run.started_at), "status": run.status}
        | run_health(run.stats)
        for run in past
        if run.status != "running"
    ][: args.runs]
    verdict = runs[0]["status"] if runs else "none"
    report = {
        "verdict": verdict,
        "reason": runs[0]["summary"] if runs else None,
        "runs": runs,
        "dropped_total": dropped_total,
        "dropped": [
            {
                "url": row.url,
                "reason": row.reason,
                "first_try": to_aware_utc(row.first_try),
                "last_try": to_aware_utc(row.last_try),
                "tries": row.tries,
                "next_try": to_aware_utc(row.next_try),
            }
            for row in dropped
        ],
        "missing_captures": captures_missing,
    }
    if args.json:
        print_json(report)
    else:
        print(render(report))
    return EXIT_CODES.get(verdict, 0)


def render(report: dict[str, Any]) -> str:
    if not report["runs"]:
        return "No crawl runs recorded."
    headers = ["Run", "Started", "Status", "Articles", *(_SHORT[f] for f in FIELDS)]
    headers += ["Fallback", "Dropped", "Blocked"]
    rows = [
        [
            run["id"],
            wib(run["started_at"]),
            run["status"],
            run["articles"],
            *(percent(run["fill_rates"][f]) if run["articles"] else "-" for f in FIELDS),
            run["fallback"],
            run["dropped_missing_field"],
            run["blocked_pages"],
        ]
        for run in report["runs"]
    ]
    parts = [table(headers, rows, right=[0, *range(3, len(headers))])]
    parts.append(
        f"Verdict: {report['verdict']}" + (f": {report['reason']}" if report["reason"] else "")
    )
    if report["dropped"]:
        rows = [
            [
                d["url"],
                d["reason"],
                d["tries"],
                wib(d["last_try"]),
                wib(d["next_try"]) if d["next_try"] else "given up",
            ]
            for d in report["dropped"]
        ]
        parts.append(
            f"Dropped articles remembered: {report['dropped_total']}\n"
            + table(["URL", "Reason", "Tries", "Last try", "Next try"], rows, right=[2])
        )
    else:
        parts.append("No dropped articles remembered.")
    if report["missing_captures"]:
        parts.append(f"Stored articles without a raw capture: {report['missing_captures']}")
    return "\n\n".join(parts)
