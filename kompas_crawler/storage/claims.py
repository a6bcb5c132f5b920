"""Day claims: how any number of backfill workers share a range of days without a coordinator.

Each day of a site's index has a ``day_claims`` row (made ``open`` when a worker first asks for a
range holding it). A worker claims the next days nobody holds, oldest first, under a lease
(``lease_until``) it renews while it walks them, and releases each day when it is done: ``done``
(the day goes to ``index_days`` in the same transaction) or ``partial`` (walked, some article not
stored: another worker may try it). A worker that dies stops renewing; once its lease has passed,
the day is claimable again. A dead worker on the claimer's own host is recognised at once (its
pid is gone), as the crawl lock does.

The choice and the update are one transaction: PostgreSQL locks the candidate rows with ``SELECT
... FOR UPDATE SKIP LOCKED`` (two workers asking at once get different days), SQLite takes its
write lock first (``BEGIN IMMEDIATE``) and makes the same choice. A renewal or a release only
changes a row the worker still holds with an unexpired lease: a worker paused longer than its
lease (a laptop lid, SIGSTOP) learns at its next renewal that the day is no longer its own, and
never marks it complete.

Leases are compared with the workers' clocks (naive UTC): hosts sharing an archive keep their
clocks in sync (NTP), with a lease far longer than any drift.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import cast

from sqlalchemy import Connection, Engine, Table, and_, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from kompas_crawler.storage.database import writing
from kompas_crawler.storage.models import DayClaim, IndexDay
from kompas_crawler.storage.runs import (
    DEFAULT_SITE,
    RunOwner,
    owner_alive,
    process_started,
    write_complete_days,
)

claims = cast(Table, DayClaim.__table__)
index_days = cast(Table, IndexDay.__table__)

OPEN = "open"
WALKING = "walking"
PARTIAL = "partial"
DONE = "done"
_INSERT_CHUNK = 500
_CANDIDATES = 50  # rows looked at per claim: enough to step over live same-host workers


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Worker:
    """A backfill worker: its crawl run, and the process that runs it."""

    run_id: int
    host: str
    pid: int
    process_started: str | None

    @classmethod
    def this_process(cls, run_id: int) -> Worker:
        pid = os.getpid()
        return cls(run_id, socket.gethostname(), pid, process_started(pid))


def _insert_open(connection: Connection, rows: list[dict[str, object]]) -> None:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(claims).on_conflict_do_nothing(index_elements=["site", "day"])
    connection.execute(statement, rows)


def open_days(engine: Engine, days: Sequence[date], site: str = DEFAULT_SITE) -> None:
    """Make the ``open`` rows of these days that have none yet (a worker's range)."""
    wanted = sorted(set(days))
    if not wanted:
        return
    with engine.connect() as connection:
        have = set(
            connection.execute(
                select(claims.c.day).where(
                    claims.c.site == site, claims.c.day.between(wanted[0], wanted[-1])
                )
            ).scalars()
        )
    missing = [day for day in wanted if day not in have]
    for start in range(0, len(missing), _INSERT_CHUNK):
        chunk = missing[start : start + _INSERT_CHUNK]
        with writing(engine) as connection:
            _insert_open(
                connection,
                [{"site": site, "day": day, "status": OPEN, "walks": 0} for day in chunk],
            )


def _claimable(worker: Worker, now: datetime, refresh_since: datetime | None):  # type: ignore[no-untyped-def]
    """The SQL condition of a row this worker may claim (its own lost or partial days excepted:
    one run tries a day once)."""
    others = or_(claims.c.run_id.is_(None), claims.c.run_id != worker.run_id)
    free = or_(
        claims.c.status == OPEN,
        and_(claims.c.status == PARTIAL, others),
        and_(claims.c.status == WALKING, others, claims.c.lease_until < now),
        # Held, by a worker on this host: claimable if that process is gone (checked in Python).
        and_(claims.c.status == WALKING, others, claims.c.host == worker.host),
    )
    complete = exists().where(index_days.c.site == claims.c.site, index_days.c.day == claims.c.day)
    if refresh_since is None:
        return and_(free, ~complete)
    # Refreshing: days completed before this run started are walked again, once.
    return or_(free, and_(claims.c.status == DONE, claims.c.released_at < refresh_since))


def claim(
    engine: Engine,
    worker: Worker,
    days: Sequence[date],
    *,
    lease_seconds: float,
    count: int = 1,
    site: str = DEFAULT_SITE,
    refresh_since: datetime | None = None,
) -> list[date]:
    """Claim up to ``count`` of these days (oldest first) that are neither complete nor held
    by a live worker; the days claimed, [] when none is left. ``open_days`` first."""
    wanted = sorted(set(days))
    if not wanted or count < 1:
        return []
    now = now_utc()
    query = (
        select(
            claims.c.day,
            claims.c.status,
            claims.c.lease_until,
            claims.c.run_id,
            claims.c.pid,
            claims.c.host,
            claims.c.process_started,
            claims.c.claimed_at,
        )
        .where(
            claims.c.site == site,
            claims.c.day.between(wanted[0], wanted[-1]),
            _claimable(worker, now, refresh_since),
        )
        .order_by(claims.c.day)
        .limit(_CANDIDATES)
        .with_for_update(skip_locked=True)  # nothing on SQLite: its write lock is held already
    )
    chosen: list[date] = []
    in_range = set(wanted)
    with writing(engine) as connection:
        for row in connection.execute(query).all():
            if row.day not in in_range:
                continue
            held = row.status == WALKING and row.lease_until is not None and row.lease_until >= now
            if held and owner_alive(
                RunOwner(row.run_id, row.pid, row.host, row.process_started, row.claimed_at)
            ):
                continue
            chosen.append(row.day)
            if len(chosen) == count:
                break
        if chosen:
            connection.execute(
                update(claims)
                .where(claims.c.site == site, claims.c.day.in_(chosen))
                .values(
                    status=WALKING,
                    run_id=worker.run_id,
                    host=worker.host,
                    pid=worker.pid,
                    process_started=worker.process_started,
                    claimed_at=now,
                    lease_until=now + timedelta(seconds=lease_seconds),
                    released_at=None,
                    walks=claims.c.walks + 1,
                )
            )
    return chosen


def _mine(worker: Worker, site: str, days: Iterable[date], now: datetime):  # type: ignore[no-untyped-def]
    return and_(
        claims.c.site == site,
        claims.c.day.in_(list(days)),
        claims.c.run_id == worker.run_id,
        claims.c.status == WALKING,
        claims.c.lease_until >= now,
    )


def renew(
    engine: Engine,
    worker: Worker,
    days: Iterable[date],
    *,
    lease_seconds: float,
    site: str = DEFAULT_SITE,
) -> set[date]:
    """Extend the leases of these days; the days still held (a day missing from the answer was
    lost: its lease ran out before this renewal)."""
    wanted = set(days)
    if not wanted:
        return set()
    now = now_utc()
    until = now + timedelta(seconds=lease_seconds)
    with writing(engine) as connection:
        connection.execute(
            update(claims).where(_mine(worker, site, wanted, now)).values(lease_until=until)
        )
        held = connection.execute(
            select(claims.c.day).where(
                claims.c.site == site,
                claims.c.day.in_(list(wanted)),
                claims.c.run_id == worker.run_id,
                claims.c.status == WALKING,
                claims.c.lease_until == until,
            )
        ).scalars()
        return set(held)


@dataclass(frozen=True)
class DayResult:
    """What a worker's walk of a day found: complete (walked to its last page, every article
    stored or dropped) or not, and the articles listed and stored."""

    complete: bool
    listed: int = 0
    stored: int = 0


def release(
    engine: Engine,
    worker: Worker,
    day: date,
    result: DayResult,
    *,
    site: str = DEFAULT_SITE,
) -> bool:
    """Give a held day back: ``done`` (and into ``index_days``) or ``partial``. False, changing
    nothing, when the day's lease was lost meanwhile."""
    now = now_utc()
    with writing(engine) as connection:
        changed = connection.execute(
            update(claims)
            .where(_mine(worker, site, [day], now))
            .values(
                status=DONE if result.complete else PARTIAL,
                lease_until=None,
                released_at=now,
                listed=result.listed,
                stored=result.stored,
            )
        ).rowcount
        if changed != 1:
            return False
        if result.complete:
            write_complete_days(connection, {day: result.stored}, now, site)
    return True


def live_workers(engine: Engine, site: str | None = None) -> int:
    """How many workers (crawl runs) hold an unexpired lease, on one site or on all."""
    query = select(func.count(func.distinct(claims.c.run_id))).where(
        claims.c.status == WALKING, claims.c.lease_until >= now_utc()
    )
    if site is not None:
        query = query.where(claims.c.site == site)
    with engine.connect() as connection:
        return int(connection.execute(query).scalar() or 0)


def held_days(engine: Engine, site: str | None = None) -> dict[tuple[str, date], int]:
    """The days held now under an unexpired lease, with the run holding each."""
    query = select(claims.c.site, claims.c.day, claims.c.run_id).where(
        claims.c.status == WALKING, claims.c.lease_until >= now_utc()
    )
    if site is not None:
        query = query.where(claims.c.site == site)
    with engine.connect() as connection:
        return {(row.site, row.day): int(row.run_id) for row in connection.execute(query)}
