"""A run's extraction health: field fill rates and the verdict (ok / degraded / blocked / failed).

Pure functions on a run's stats and the stats of past runs; the counts come from the health
pipeline (``pipelines/health.py``), the spider and the challenge middleware. The verdict says
what a cron user must hear about, in one line:

- **failed**: articles the database refused (a full disk), or nearly every article requested
  lost before it could be read (downloads cancelled, redirected away...).
- **blocked**: the site answered with WAF challenges and kept doing so, or asked to wait longer
  (Retry-After) than KOMPAS_RETRY_AFTER_MAX.
- **degraded**: the pages were fetched but not read as well as usual: a field filled less often
  than the archive's recent clean runs fill it (fixed floors without history), 10% or more of
  the articles dropped for a missing field, 20% or more read by fallback, index pages that are
  not listings, or nothing new for 36 hours over several runs.

Small runs are judged with one article of slack: a rule trips only if it would still trip with
one article fewer counting against it, so one odd page among five is not an alarm.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kompas_crawler.outcome import DEGRADED

# Stats the crawl keeps for this module.
ARTICLES = "kompas/health/articles"  # articles parsed (stored or dropped by validation)
FILLED = "kompas/health/filled/"  # + field: articles with that field filled
FALLBACK = "kompas/health/fallback"  # articles with a field read by fallback, or unknown layout
FALLBACK_FIELD = "kompas/health/fallback/"  # + field
ARTICLES_REQUESTED = "kompas/article/requested"
LISTING_EMPTY = "kompas/listing/empty"  # indeks pages answered 200 with no article
LISTING_UNRECOGNISED = "kompas/listing/unrecognised"  # ... and no listing markup either
BLOCKED_PAGES = "kompas/blocked"  # challenge responses (by kind: kompas/blocked/<kind>)
BLOCKED_GAVE_UP = "kompas/blocked/gave_up"  # pages still challenged after every retry
RETRY_AFTER_ASKED = "kompas/blocked/retry_after_seconds"  # a wait over the cap, as asked
STORE_FAILED = "kompas/store/failed"
DEGRADED_REASON = "kompas/health/degraded"  # set at close from the history: why degraded
SUMMARY = "kompas/run/summary"  # the run's one-line outcome, kept in the run record

FIELDS = ("title", "published_at", "writers", "editors", "body", "tags", "image_url")
# Title, time and body are what an article cannot be archived without (items.REQUIRED_FIELDS).
FIXED_FLOORS = {"title": 1.0, "body": 1.0, "published_at": 1.0, "writers": 0.9}
MARGIN = 0.1  # a field may fall this far below its recent median before the run is degraded
HISTORY_RUNS = 10  # clean runs the baseline is the median of
HISTORY_MIN_ARTICLES = 10  # runs with fewer articles say too little to set a baseline
MAX_DROPPED_SHARE = 0.1
MAX_FALLBACK_SHARE = 0.2
LOST_SHARE_FAILED = 0.9
QUIET_HOURS = 36.0
QUIET_MIN_RUNS = 3


def _count(stats: Mapping[str, Any], key: str) -> int:
    value = stats.get(key, 0)
    return int(value) if isinstance(value, int | float) else 0


def _at_least(count: int, total: int, share: float) -> bool:
    """``count`` of ``total`` reaches ``share`` even with one article fewer (the slack)."""
    return total > 0 and count >= 1 and (count - 1) / total >= share


def _below(filled: int, total: int, floor: float) -> bool:
    """``filled`` of ``total`` is under ``floor`` even with one more article filled."""
    return total > 0 and (filled + 1) / total < floor


def fill_rates(stats: Mapping[str, Any]) -> dict[str, float]:
    """Share of the run's articles with each field filled; empty when it read no article."""
    total = _count(stats, ARTICLES)
    if not total:
        return {}
    return {name: _count(stats, FILLED + name) / total for name in FIELDS}


def dropped_for_missing_fields(stats: Mapping[str, Any]) -> int:
    return sum(
        int(value)
        for key, value in stats.items()
        if key.startswith("kompas/dropped/missing_") and isinstance(value, int | float)
    )


def articles_stored(stats: Mapping[str, Any]) -> int:
    return sum(_count(stats, f"kompas/store/{kind}") for kind in ("new", "updated", "unchanged"))


@dataclass(frozen=True)
class Floors:
    """The fill rate each field must reach, and where the floors come from."""

    rates: dict[str, float]
    source: str  # "fixed floors" or "the last N clean runs"


def floors(history: Sequence[Mapping[str, Any]]) -> Floors:
    """Floors from past clean runs' stats (newest first): each field's median rate less MARGIN;
    the fixed floors when no run read enough articles to go by."""
    usable = [
        fill_rates(stats) for stats in history if _count(stats, ARTICLES) >= HISTORY_MIN_ARTICLES
    ]
    usable = usable[:HISTORY_RUNS]
    if not usable:
        return Floors(dict(FIXED_FLOORS), "fixed floors")
    rates = {
        name: max(0.0, statistics.median(rates[name] for rates in usable) - MARGIN)
        for name in FIELDS
    }
    return Floors(rates, f"the last {len(usable)} clean runs")


def _percent(share: float) -> str:
    return f"{share * 100:.0f}%"


def degraded_reasons(stats: Mapping[str, Any], floor: Floors) -> list[str]:
    """Why this run's extraction is worse than it should be; empty when it is healthy."""
    reasons = []
    total = _count(stats, ARTICLES)
    for name, rate in fill_rates(stats).items():
        wanted = floor.rates.get(name)
        if wanted is not None and _below(_count(stats, FILLED + name), total, wanted):
            reasons.append(
                f"{name} filled in {_percent(rate)} of {total} articles "
                f"(floor {_percent(wanted)}, from {floor.source})"
            )
    dropped = dropped_for_missing_fields(stats)
    if _at_least(dropped, total, MAX_DROPPED_SHARE):
        reasons.append(f"{dropped} of {total} articles dropped for a missing field")
    fallback = _count(stats, FALLBACK)
    if _at_least(fallback, total, MAX_FALLBACK_SHARE):
        fields = [
            f"{name} {_count(stats, FALLBACK_FIELD + name)}"
            for name in FIELDS
            if _count(stats, FALLBACK_FIELD + name)
        ]
        reasons.append(
            f"{fallback} of {total} articles ({_percent(fallback / total)}) read by fallback"
            + (f" ({', '.join(fields)})" if fields else "")
        )
    unrecognised = _count(stats, LISTING_UNRECOGNISED)
    if unrecognised:
        reasons.append(f"indeks pages with neither a listing nor an article: {unrecognised}")
    return reasons


@dataclass(frozen=True)
class RunSeen:
    """What the quiet-site rule needs of a run."""

    started_at: datetime | None  # naive UTC
    status: str
    new: int


def quiet_reason(now: datetime, this_run_new: int, past: Sequence[RunSeen]) -> str | None:
    """Degraded when this and the runs before it (newest first) found nothing new for
    QUIET_HOURS, over at least QUIET_MIN_RUNS finished runs: Global publishes every day."""
    if this_run_new:
        return None
    runs = 1
    oldest = now
    for run in past:
        if run.status not in ("ok", DEGRADED) or run.started_at is None:
            continue
        if run.new:
            break
        runs += 1
        oldest = run.started_at
    quiet = now - oldest
    if runs >= QUIET_MIN_RUNS and quiet >= timedelta(hours=QUIET_HOURS):
        return f"nothing new in {quiet.total_seconds() / 3600:.0f} hours over {runs} runs"
    return None


def blocked_reason(stats: Mapping[str, Any]) -> str | None:
    """Why the site is blocking this run, if it is."""
    asked = stats.get(RETRY_AFTER_ASKED)
    if asked:
        return (
            f"the site asked to wait {float(asked):.0f}s (Retry-After), "
            "more than KOMPAS_RETRY_AFTER_MAX allows"
        )
    challenged = _count(stats, BLOCKED_PAGES)
    gave_up = _count(stats, BLOCKED_GAVE_UP)
    pages_ok = _count(stats, "kompas/run/pages_ok")
    if gave_up or challenged > pages_ok:
        return (
            f"the site answered {challenged} pages with a WAF challenge "
            f"({gave_up} still challenged after every retry; {pages_ok} answered)"
        )
    return None


def failure_reason(stats: Mapping[str, Any]) -> str | None:
    """A total failure that is not the site's markup: store errors, nearly every article lost."""
    failed = _count(stats, STORE_FAILED)
    if failed:
        return f"{failed} articles could not be stored (database error, e.g. a full disk)"
    requested = _count(stats, ARTICLES_REQUESTED)
    read = _count(stats, ARTICLES) or articles_stored(stats)
    lost = requested - read
    if _at_least(lost, requested, LOST_SHARE_FAILED):
        return f"{lost} of {requested} articles requested could not be downloaded or read"
    return None


def run_health(stats: Mapping[str, Any]) -> dict[str, Any]:
    """What ``kompas-crawler health`` shows of one run, from its stored stats."""
    total = _count(stats, ARTICLES)
    return {
        "articles": total,
        "fill_rates": fill_rates(stats),
        "fallback": _count(stats, FALLBACK),
        "dropped_missing_field": dropped_for_missing_fields(stats),
        "empty_listings": _count(stats, LISTING_EMPTY),
        "unrecognised_listings": _count(stats, LISTING_UNRECOGNISED),
        "blocked_pages": _count(stats, BLOCKED_PAGES),
        "summary": stats.get(SUMMARY),
    }
