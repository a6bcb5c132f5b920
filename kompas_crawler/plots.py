"""Articles per WIB month or day as an image (PNG or SVG), for reports."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kompas_crawler.errors import KompasError

FORMATS = ("png", "svg")


def plot_periods(rows: Sequence[dict[str, Any]], by: str, path: str, title: str) -> None:
    """A bar chart of ``stats``' per-period counts written to ``path`` (.png or .svg)."""
    target = Path(path)
    form = target.suffix.lower().lstrip(".")
    if form not in FORMATS:
        raise KompasError(f"--plot {path!r}: give a file ending in .png or .svg")
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display needed: cron, SSH, CI
        from matplotlib import pyplot
        from matplotlib.ticker import MaxNLocator
    except ImportError as error:
        raise KompasError(
            f"--plot needs matplotlib ({error}): pip install 'kompas-crawler[plot]'"
        ) from error
    periods = [row["period"] for row in rows]
    counts = [row["articles"] for row in rows]
    figure, axes = pyplot.subplots(figsize=(max(6.0, 0.35 * len(rows) + 2), 4), dpi=120)
    try:
        axes.bar(periods, counts, color="#2b6cb0")
        axes.set_xlabel("Day (WIB)" if by == "day" else "Month (WIB)")
        axes.set_ylabel("Articles")
        axes.set_title(title)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(axis="y", alpha=0.3)
        axes.tick_params(axis="x", labelrotation=90 if len(rows) > 12 else 0)
        figure.tight_layout()
        try:
            figure.savefig(target, format=form)
        except OSError as error:
            raise KompasError(f"cannot write {path!r} ({error.strerror})") from error
    finally:
        pyplot.close(figure)
