"""Articles per period as a bar chart in the terminal: rich on a terminal, plain text elsewhere."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, TextIO

from rich import box
from rich.bar import Bar
from rich.console import Console
from rich.table import Table

from kompas_crawler.commands._output import color_enabled, table, terminal_width

PLAIN_BAR = "#"


def period_chart(
    rows: Sequence[dict[str, Any]], label: str, out: TextIO | None = None
) -> str | None:
    """The chart as plain text, or None once drawn with rich straight to a terminal ``out``."""
    out = out or sys.stdout
    if not rows:
        return ""
    peak = max(row["articles"] for row in rows)
    if color_enabled(out):
        chart = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=True)
        chart.add_column(label, no_wrap=True)
        chart.add_column("Articles", justify="right", no_wrap=True)
        chart.add_column("", ratio=1)
        for row in rows:
            bar = Bar(size=peak, begin=0, end=row["articles"], color="cyan")
            chart.add_row(row["period"], f"{row['articles']:,}", bar)
        Console(file=out, width=terminal_width()).print(chart)
        return None
    # Plain: the bars take what the terminal (or $COLUMNS) leaves beside period and count.
    count_width = max(len("Articles"), len(f"{peak:,}"))
    period_width = max(len(label), len(rows[0]["period"]))
    room = max(10, terminal_width() - period_width - count_width - 4)
    lines = [
        [
            row["period"],
            f"{row['articles']:,}",
            PLAIN_BAR * max(1, round(room * row["articles"] / peak)),
        ]
        for row in rows
    ]
    return table([label, "Articles", ""], lines, right=[1])
