"""Day claims (storage.claims) on SQLite and on a real PostgreSQL server: each day to one live
worker, leases that run out, dead workers' days taken over, releases that a lost lease refuses."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from kompas_crawler.storage.claims import (
    DayResult,
    Worker,
    claim,
    claims,
    held_days,
    live_workers,
    now_utc,
    open_days,
    release,
    renew,
)
from kompas_crawler.storage.database import open_archive
from kompas_crawler.storage.meta import share_pause, shared_pause_until
from kompas_crawler.storage.runs import (
    completed_days,
    index_days,
    mark_days_complete,
    process_started,
)

DAYS = [date(2024, 6, 1) + timedelta(days=n) for n in range(10)]
LEASE = 60.0
PARTIAL_WALK = DayResult(False, 10, 9)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'kompas.db'}"
    else:  # a fresh database on the session's server (tests/postgres.py), or skipped
        url = request.getfixturevalue("postgres_url")
    engine = open_archive(url)
    open_days(engine, DAYS)
    yield engine
    engine.dispose()


@pytest.fixture
def alive() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process
    process.kill()
    process.wait()


def elsewhere(run_id: int) -> Worker:
    """A worker on another host: alive for all this host can tell."""
    return Worker(run_id, "elsewhere.example", 1, None)


def expire(engine: Engine, day: date) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(claims)
            .where(claims.c.day == day)
            .values(lease_until=now_utc() - timedelta(seconds=1))
        )


def status(engine: Engine, day: date) -> tuple[str, int | None]:
    with engine.connect() as connection:
        row = connection.execute(
            select(claims.c.status, claims.c.run_id).where(claims.c.day == day)
        ).one()
    return row.status, row.run_id


def test_workers_get_different_days_oldest_first(engine: Engine) -> None:
    first = claim(engine, elsewhere(1), DAYS, lease_seconds=LEASE, count=3)
    second = claim(engine, elsewhere(2), DAYS, lease_seconds=LEASE, count=3)
    assert first == DAYS[:3]
    assert second == DAYS[3:6]
    assert live_workers(engine) == 2
    assert held_days(engine)[("global", DAYS[4])] == 2


def test_complete_days_are_never_claimed_and_refresh_walks_them_once(engine: Engine) -> None:
    mark_days_complete(engine, {DAYS[0]: 5, DAYS[1]: 7})
    assert claim(engine, elsewhere(1), DAYS[:3], lease_seconds=LEASE, count=5) == [DAYS[2]]
    since = now_utc()  # the refreshing runs started now
    refreshed = claim(
        engine, elsewhere(2), DAYS[:3], lease_seconds=LEASE, count=5, refresh_since=since
    )
    assert refreshed == DAYS[:2]  # not DAYS[2]: held by a live worker
    assert release(engine, elsewhere(2), DAYS[0], DayResult(True, 6, 6))
    again = claim(engine, elsewhere(3), DAYS[:1], lease_seconds=LEASE, refresh_since=since)
    assert again == []  # released after the refresh started: not walked twice


def test_a_complete_release_marks_the_day_and_a_partial_one_lets_others_try(
    engine: Engine,
) -> None:
    worker = elsewhere(1)
    assert claim(engine, worker, DAYS[:2], lease_seconds=LEASE, count=2) == DAYS[:2]
    assert release(engine, worker, DAYS[0], DayResult(True, 12, 12))
    assert release(engine, worker, DAYS[1], PARTIAL_WALK)
    assert completed_days(engine, DAYS) == {DAYS[0]}
    with engine.connect() as connection:
        assert connection.execute(select(index_days.c.site, index_days.c.article_count)).all() == [
            ("global", 12)
        ]
    assert status(engine, DAYS[1]) == ("partial", 1)
    assert claim(engine, worker, DAYS[:2], lease_seconds=LEASE) == []  # tried once per run
    assert claim(engine, elsewhere(2), DAYS[:2], lease_seconds=LEASE) == [DAYS[1]]


def test_an_expired_lease_is_taken_over_and_its_old_holder_finds_out(engine: Engine) -> None:
    paused, other = elsewhere(1), elsewhere(2)
    assert claim(engine, paused, DAYS, lease_seconds=LEASE) == [DAYS[0]]
    assert claim(engine, other, DAYS[:1], lease_seconds=LEASE) == []  # held
    expire(engine, DAYS[0])
    assert live_workers(engine) == 0
    assert claim(engine, other, DAYS[:1], lease_seconds=LEASE) == [DAYS[0]]
    # The paused worker wakes up: its renewal and its release both say the day is gone.
    assert renew(engine, paused, [DAYS[0]], lease_seconds=LEASE) == set()
    assert not release(engine, paused, DAYS[0], DayResult(True, 10, 10))
    assert completed_days(engine, DAYS) == set()
    assert status(engine, DAYS[0]) == ("walking", 2)


def test_a_lease_that_ran_out_is_lost_even_when_nobody_took_it(engine: Engine) -> None:
    worker = elsewhere(1)
    claim(engine, worker, DAYS[:2], lease_seconds=LEASE, count=2)
    expire(engine, DAYS[0])
    assert renew(engine, worker, DAYS[:2], lease_seconds=LEASE) == {DAYS[1]}
    assert not release(engine, worker, DAYS[0], DayResult(True, 3, 3))
    assert claim(engine, worker, DAYS[:1], lease_seconds=LEASE) == []  # not its own again


def test_a_dead_worker_on_this_host_loses_its_days_at_once(
    engine: Engine, alive: subprocess.Popen[bytes]
) -> None:
    dead_process = subprocess.Popen([sys.executable, "-c", "pass"])
    dead_process.wait()
    me = Worker.this_process(3)
    dead = Worker(1, me.host, dead_process.pid, "1")
    live = Worker(2, me.host, alive.pid, process_started(alive.pid))
    claim(engine, dead, DAYS[:1], lease_seconds=LEASE)
    claim(engine, live, DAYS[1:2], lease_seconds=LEASE)
    assert claim(engine, me, DAYS[:2], lease_seconds=LEASE, count=2) == [DAYS[0]]


def test_claims_are_by_site(engine: Engine) -> None:
    open_days(engine, DAYS[:1], site="news")
    assert claim(engine, elsewhere(1), DAYS[:1], lease_seconds=LEASE) == [DAYS[0]]
    assert claim(engine, elsewhere(2), DAYS[:1], lease_seconds=LEASE, site="news") == [DAYS[0]]
    assert release(engine, elsewhere(2), DAYS[0], DayResult(True, 4, 4), site="news")
    assert completed_days(engine, DAYS, site="news") == {DAYS[0]}
    assert completed_days(engine, DAYS) == set()


def test_workers_claiming_at_once_never_get_the_same_day(engine: Engine) -> None:
    days = [date(2023, 1, 1) + timedelta(days=n) for n in range(60)]
    open_days(engine, days)
    taken: dict[int, list[date]] = {n: [] for n in range(4)}

    def work(number: int) -> None:
        worker = elsewhere(100 + number)
        while got := claim(engine, worker, days, lease_seconds=LEASE, count=2):
            taken[number].extend(got)
            for day in got:
                assert release(engine, worker, day, DayResult(True, 1, 1))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    every = [day for got in taken.values() for day in got]
    assert sorted(every) == days  # each day once, none lost
    assert completed_days(engine, days) == set(days)


def test_a_shared_pause_keeps_the_latest_end(engine: Engine) -> None:
    assert shared_pause_until(engine) is None
    later = share_pause(engine, 30)
    assert share_pause(engine, 5) == later
    assert shared_pause_until(engine) == later
    assert timedelta(seconds=29) < later - now_utc() <= timedelta(seconds=30)
