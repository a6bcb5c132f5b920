"""The coverage map: which days of a site's index the archive holds completely, day by day or
month by month, and the gaps left, as ranges a backfill can be given.

A day is ``complete`` when a backfill walked it to its last page with every article stored or
dropped (``index_days``), ``claimed`` while a live worker holds it, ``partial`` when walked
without being complete (or its worker's lease ran out), ``never`` when no worker walked it.
Articles: listed and stored by the day's last walk (``day_claims``; a day completed before
claims existed counts its stored articles as listed), and those remembered as dropped for the
day's date (``dropped_articles``, by the date in the article URL), with their reasons.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal, cast

from sqlalchemy import Engine, Table, func, select

from kompas_crawler.storage.claims import PARTIAL, WALKING, claims, now_utc
from kompas_crawler.storage.models import DroppedArticle
from kompas_crawler.storage.runs import DEFAULT_SITE, index_days

dropped = cast(Table, DroppedArticle.__table__)

COMPLETE = "complete"
CLAIMED = "claimed"
PARTIAL_DAY = "partial"
NEVER = "never"
STATES = (COMPLETE, PARTIAL_DAY, NEVER, CLAIMED)
By = Literal["day", "month"]


@dataclass
class Period:
    """One row of the map: a day or a month."""

    period: str  # YYYY-MM-DD or YYYY-MM
    first: date
    last: date
    days: Counter[str] = field(default_factory=Counter)  # state -> days
    listed: int = 0
    stored: int = 0
    dropped: int = 0
    dropped_reasons: Counter[str] = field(default_factory=Counter)

    @property
    def complete(self) -> bool:
        return self.days[COMPLETE] == (self.last - self.first).days + 1


@dataclass
class Coverage:
    site: str
    since: date | None
    until: date | None
    periods: list[Period]
    gaps: list[tuple[date, date]]  # days not complete, as first..last ranges

    @property
    def complete(self) -> bool:
        return self.since is not None and not self.gaps

    def total(self) -> Period:
        whole = Period("total", self.since or date.min, self.until or date.min)
        for period in self.periods:
            whole.days.update(period.days)
            whole.listed += period.listed
            whole.stored += period.stored
            whole.dropped += period.dropped
            whole.dropped_reasons.update(period.dropped_reasons)
        return whole


def known_range(engine: Engine, site: str = DEFAULT_SITE) -> tuple[date | None, date | None]:
    """The first and last day any backfill of this site completed or asked for."""
    with engine.connect() as connection:
        first_done, last_done = connection.execute(
            select(func.min(index_days.c.day), func.max(index_days.c.day)).where(
                index_days.c.site == site
            )
        ).one()
        first_claim, last_claim = connection.execute(
            select(func.min(claims.c.day), func.max(claims.c.day)).where(claims.c.site == site)
        ).one()
    firsts = [day for day in (first_done, first_claim) if day is not None]
    lasts = [day for day in (last_done, last_claim) if day is not None]
    return (min(firsts) if firsts else None, max(lasts) if lasts else None)


def _days(since: date, until: date) -> list[date]:
    return [since + timedelta(days=n) for n in range((until - since).days + 1)]


def gap_ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive days folded into (first, last) ranges."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(days):
        if ranges and day == ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def _day_states(
    engine: Engine, site: str, since: date, until: date
) -> dict[date, tuple[str, int, int]]:
    """Each day of the range that any backfill touched: (state, listed, stored)."""
    now = now_utc()
    found: dict[date, tuple[str, int, int]] = {}
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                claims.c.day,
                claims.c.status,
                claims.c.lease_until,
                claims.c.walks,
                claims.c.listed,
                claims.c.stored,
            ).where(claims.c.site == site, claims.c.day.between(since, until))
        ).all()
        complete = {
            row.day: row.article_count
            for row in connection.execute(
                select(index_days.c.day, index_days.c.article_count).where(
                    index_days.c.site == site, index_days.c.day.between(since, until)
                )
            )
        }
    for row in rows:
        live = row.status == WALKING and row.lease_until is not None and row.lease_until >= now
        if live:
            state = CLAIMED
        elif row.status == PARTIAL or row.walks:
            state = PARTIAL_DAY
        else:
            state = NEVER
        found[row.day] = (state, row.listed or 0, row.stored or 0)
    for day, count in complete.items():
        _, listed, stored = found.get(day, (COMPLETE, count, count))
        found[day] = (COMPLETE, listed or count, stored or count)
    return found


def _dropped_by_day(engine: Engine, since: date, until: date) -> dict[date, Counter[str]]:
    """Articles remembered as dropped, by the date in their URL: reasons counted."""
    first, last = since.strftime("%Y%m%d"), (until + timedelta(days=1)).strftime("%Y%m%d")
    query = select(dropped.c.article_id, dropped.c.reason).where(
        dropped.c.article_id >= first, dropped.c.article_id < last
    )
    found: dict[date, Counter[str]] = {}
    with engine.connect() as connection:
        for article_id, reason in connection.execute(query):
            try:
                day = date(int(article_id[:4]), int(article_id[4:6]), int(article_id[6:8]))
            except (TypeError, ValueError):
                continue
            found.setdefault(day, Counter())[str(reason)] += 1
    return found


def coverage(
    engine: Engine,
    site: str = DEFAULT_SITE,
    since: date | None = None,
    until: date | None = None,
    by: By = "month",
) -> Coverage:
    """The map of ``since``..``until`` (default: the days backfills of the site have touched)."""
    if since is None or until is None:
        first, last = known_range(engine, site)
        since = since or first
        until = until or last
    if since is None or until is None or until < since:  # nothing walked yet: nothing to map
        return Coverage(site, since, until, [], [])
    states = _day_states(engine, site, since, until)
    drops = _dropped_by_day(engine, since, until)
    periods: dict[str, Period] = {}
    gaps = []
    for day in _days(since, until):
        key = day.isoformat() if by == "day" else day.strftime("%Y-%m")
        period = periods.get(key)
        if period is None:
            period = periods[key] = Period(key, day, day)
        period.last = day
        state, listed, stored = states.get(day, (NEVER, 0, 0))
        period.days[state] += 1
        period.listed += listed
        period.stored += stored
        reasons = drops.get(day, Counter())
        period.dropped += sum(reasons.values())
        period.dropped_reasons.update(reasons)
        if state != COMPLETE:
            gaps.append(day)
    return Coverage(site, since, until, list(periods.values()), gap_ranges(gaps))
