"""Crawl run records, the crawl lock they double as, and the index days a backfill completed.

The lock is the incremental ``crawl_runs`` row with status ``running``: a partial unique index
lets the database hold at most one, so two newest-first crawls starting together cannot both get
it, on SQLite as on PostgreSQL. Backfill runs (kind ``backfill``) take no lock: any number run at
once, sharing the days out through ``storage.claims``, and neither kind blocks the other. A
running row whose process is gone (killed, crashed) is closed as ``died`` by the next crawl of
its kind, which then takes the lock. Liveness can only be checked on the same host: a row from
another host counts as live.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, delete, func, insert, inspect, select, update
from sqlalchemy.exc import IntegrityError

from kompas_crawler.errors import KompasError
from kompas_crawler.storage.archive import to_naive_utc
from kompas_crawler.storage.models import CrawlRun, IndexDay
from kompas_crawler.urls import DEFAULT_SITE

RUNNING = "running"
OK = "ok"
FAILED = "failed"
DIED = "died"  # finish reason of a run whose process ended without closing it
INCREMENTAL = "incremental"  # kinds of run: the newest-first walk, one at a time
BACKFILL = "backfill"  # a range of days, any number at once

runs = cast(Table, CrawlRun.__table__)
index_days = cast(Table, IndexDay.__table__)


class CrawlLocked(KompasError):
    """Another crawl is writing to this archive."""

    exit_code = 3


@dataclass(frozen=True)
class RunOwner:
    """The process holding (or that held) a running crawl_runs row."""

    run_id: int
    pid: int | None
    host: str | None
    process_started: str | None
    started_at: datetime

    def describe(self) -> str:
        where = f"pid {self.pid}" + (
            "" if self.host == socket.gethostname() else f" on {self.host}"
        )
        return f"crawl run {self.run_id} ({where}, started {self.started_at:%Y-%m-%d %H:%M:%S} UTC)"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def process_started(pid: int) -> str | None:
    """The kernel's start time of a process (Linux), to tell it from a later one with its pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 2 (comm) may hold spaces and parentheses: split after its closing parenthesis.
    fields = stat.rsplit(")", 1)[-1].split()
    if len(fields) < 20 or fields[0] == "Z":  # a zombie has already died
        return None
    return fields[19]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    state = Path(f"/proc/{pid}/stat")
    if state.exists():
        try:
            return state.read_text().rsplit(")", 1)[-1].split()[0] != "Z"
        except (OSError, IndexError):
            return True
    return True


def owner_alive(owner: RunOwner) -> bool:
    """False when the row's process is known to be gone; True when alive or unknowable."""
    if owner.host != socket.gethostname() or owner.pid is None:
        return True
    if not _pid_alive(owner.pid):
        return False
    if owner.process_started is not None:
        current = process_started(owner.pid)
        if current is not None and current != owner.process_started:
            return False  # the pid now belongs to another process
    return True


def _has_runs_table(engine: Engine) -> bool:
    return inspect(engine).has_table(CrawlRun.__tablename__)


def running_owners(engine: Engine, kind: str = INCREMENTAL) -> list[RunOwner]:
    """The owners of the running crawls of a kind (alive or not), oldest first. Reads only."""
    if not _has_runs_table(engine):
        return []
    query = (
        select(runs.c.id, runs.c.pid, runs.c.host, runs.c.process_started, runs.c.started_at)
        .where(runs.c.status == RUNNING, runs.c.kind == kind)
        .order_by(runs.c.id)
    )
    with engine.connect() as connection:
        return [RunOwner(*row) for row in connection.execute(query)]


def running_owner(engine: Engine) -> RunOwner | None:
    """The running incremental crawl's owner, if any (alive or not). Reads only."""
    owners = running_owners(engine, INCREMENTAL)
    return owners[0] if owners else None


def _is_me(owner: RunOwner) -> bool:
    return owner.pid == os.getpid() and owner.host == socket.gethostname()


def check_unlocked(engine: Engine) -> None:
    """Raise CrawlLocked if a live incremental crawl other than this process holds the archive.
    Reads only. (Backfill runs need not ask: they never wait for the lock.)"""
    owner = running_owner(engine)
    if owner is not None and not _is_me(owner) and owner_alive(owner):
        raise CrawlLocked(f"another crawl is running on this archive: {owner.describe()}")


def _close_dead(engine: Engine, owner: RunOwner) -> bool:
    """Mark a dead owner's row failed/died; False if someone else changed it first."""
    with engine.begin() as connection:
        result = connection.execute(
            update(runs)
            .where(runs.c.id == owner.run_id, runs.c.status == RUNNING)
            .values(status=FAILED, finish_reason=DIED)
        )
    return result.rowcount == 1


def close_dead_backfills(engine: Engine) -> list[RunOwner]:
    """Close as ``died`` the running backfill rows whose process is known to be gone."""
    return [
        owner
        for owner in running_owners(engine, BACKFILL)
        if not _is_me(owner) and not owner_alive(owner) and _close_dead(engine, owner)
    ]


def _run_values(
    spider: str, arguments: Mapping[str, Any], kind: str, started_at: datetime | None
) -> dict[str, Any]:
    pid = os.getpid()
    return {
        "spider": spider,
        "kind": kind,
        "started_at": to_naive_utc(started_at) or _now(),
        "arguments": dict(arguments),
        "status": RUNNING,
        "pid": pid,
        "host": socket.gethostname(),
        "process_started": process_started(pid),
        "responses_by_status": {},
        "dropped_by_reason": {},
        "stats": {},
    }


def start_run(
    engine: Engine,
    spider: str,
    arguments: Mapping[str, Any],
    started_at: datetime | None = None,
    kind: str = INCREMENTAL,
) -> tuple[int, RunOwner | None]:
    """Insert this process's running row; returns (run id, the dead owner taken over or None).

    An incremental run takes the crawl lock doing so: reentrant within a process, CrawlLocked,
    writing nothing, when a live incremental crawl holds it. A backfill run takes no lock; it
    closes the dead backfill runs it can tell are dead (same host) and returns the first."""
    if kind == BACKFILL:
        dead = close_dead_backfills(engine)
        with engine.begin() as connection:
            result = connection.execute(
                insert(runs).values(**_run_values(spider, arguments, kind, started_at))
            )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0]), (dead[0] if dead else None)
    taken_over: RunOwner | None = None
    for _attempt in range(3):
        owner = running_owner(engine)
        if owner is not None:
            if _is_me(owner):
                return owner.run_id, taken_over
            if owner_alive(owner):
                raise CrawlLocked(f"another crawl is running on this archive: {owner.describe()}")
            if _close_dead(engine, owner):
                taken_over = owner
            continue
        values = _run_values(spider, arguments, kind, started_at)
        try:
            with engine.begin() as connection:
                result = connection.execute(insert(runs).values(**values))
        except IntegrityError:
            continue  # another crawl inserted its row between our read and our write
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0]), taken_over
    owner = running_owner(engine)
    raise CrawlLocked(
        "another crawl is running on this archive"
        + (f": {owner.describe()}" if owner is not None else "")
    )


def jsonable(value: Any) -> Any:
    """Crawl stats as JSON values: datetimes as ISO strings, anything odd as its str()."""
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _prefixed(stats: Mapping[str, Any], prefix: str) -> dict[str, int]:
    return {
        key[len(prefix) :]: int(value)
        for key, value in sorted(stats.items())
        if key.startswith(prefix) and isinstance(value, int | float)
    }


def finish_run(
    engine: Engine,
    run_id: int,
    *,
    status: str,
    finish_reason: str,
    stats: Mapping[str, Any],
    finished_at: datetime | None = None,
) -> None:
    """Store a run's end: status, finish reason, the headline counts and every stat."""
    values = {
        "status": status,
        "finish_reason": finish_reason,
        "finished_at": to_naive_utc(finished_at) or _now(),
        "requests": int(stats.get("downloader/request_count", 0)),
        "responses_by_status": _prefixed(stats, "downloader/response_status_count/"),
        "articles_new": int(stats.get("kompas/store/new", 0)),
        "articles_updated": int(stats.get("kompas/store/updated", 0)),
        "articles_unchanged": int(stats.get("kompas/store/unchanged", 0)),
        "dropped_by_reason": _prefixed(stats, "kompas/dropped/"),
        "errors": int(stats.get("log_count/ERROR", 0)),
        "stats": jsonable(stats),
    }
    with engine.begin() as connection:
        connection.execute(update(runs).where(runs.c.id == run_id).values(**values))


@dataclass(frozen=True)
class PastRun:
    id: int
    status: str
    finish_reason: str | None
    arguments: dict[str, Any]
    stats: dict[str, Any]
    started_at: datetime | None = None  # naive UTC, as stored


_PAST_RUN_COLUMNS = (
    runs.c.id,
    runs.c.status,
    runs.c.finish_reason,
    runs.c.arguments,
    runs.c.stats,
    runs.c.started_at,
)


def _past_run(row: Any) -> PastRun:
    return PastRun(
        row.id, row.status, row.finish_reason, row.arguments or {}, row.stats or {}, row.started_at
    )


def recent_runs(
    engine: Engine,
    spider: str,
    before_id: int | None = None,
    limit: int = 50,
    site: str | None = None,
) -> list[PastRun]:
    """The latest runs of a spider, newest first (excluding ``before_id`` and later ones); with
    ``site``, only those of that indeks site (``-a site=``; runs without one were Global's)."""
    query = (
        select(*_PAST_RUN_COLUMNS)
        .where(runs.c.spider == spider)
        .order_by(runs.c.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(runs.c.id < before_id)
    if site is not None:
        given = runs.c.arguments[("spider", "site")].as_string()
        query = query.where(func.coalesce(given, DEFAULT_SITE) == site)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [_past_run(row) for row in rows]


def completed_days(engine: Engine, days: Iterable[date], site: str = DEFAULT_SITE) -> set[date]:
    """Those of these days whose index a previous backfill walked and stored completely."""
    wanted = list(days)
    if not wanted:
        return set()
    with engine.connect() as connection:
        query = select(index_days.c.day).where(
            index_days.c.site == site, index_days.c.day.in_(wanted)
        )
        return set(connection.execute(query).scalars())


def mark_days_complete(
    engine: Engine,
    article_counts: Mapping[date, int],
    completed_at: datetime | None = None,
    site: str = DEFAULT_SITE,
) -> None:
    """Record days whose index was walked to its last page with every article stored."""
    if not article_counts:
        return
    with engine.begin() as connection:
        write_complete_days(connection, article_counts, completed_at, site)


def write_complete_days(
    connection: Connection,
    article_counts: Mapping[date, int],
    completed_at: datetime | None = None,
    site: str = DEFAULT_SITE,
) -> None:
    """``mark_days_complete`` inside the caller's transaction."""
    when = to_naive_utc(completed_at) or _now()
    connection.execute(
        delete(index_days).where(
            index_days.c.site == site, index_days.c.day.in_(list(article_counts))
        )
    )
    connection.execute(
        insert(index_days),
        [
            {"site": site, "day": day, "completed_at": when, "article_count": count}
            for day, count in sorted(article_counts.items())
        ],
    )


def runs_of_jobs(engine: Engine, spider: str, jobs: Iterable[str]) -> dict[str, PastRun]:
    """The latest run of each of these Scrapyd jobs (the ``_job`` argument the run recorded)."""
    wanted = set(jobs)
    if not wanted or not _has_runs_table(engine):
        return {}
    job = runs.c.arguments[("spider", "_job")].as_string()
    query = (
        select(job.label("job"), *_PAST_RUN_COLUMNS)
        .where(runs.c.spider == spider, job.in_(wanted))
        .order_by(runs.c.id)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return {row.job: _past_run(row) for row in rows}
