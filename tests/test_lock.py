"""One crawl at a time per archive: a second exits at once touching nothing; a dead one's lock is
taken over."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.exc import IntegrityError

from kompas_crawler.offline import OfflineServer
from kompas_crawler.storage.database import open_archive
from kompas_crawler.storage.runs import (
    CrawlLocked,
    check_unlocked,
    process_started,
    runs,
    start_run,
)
from tests.crawling import (
    ROOT,
    SCRAPY,
    crawl_env,
    old_site,
    query,
    run_crawl,
    start_crawl,
    wait_until,
)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'kompas.db'}"
    else:  # a fresh database on the session's server (tests/postgres.py), or skipped
        url = request.getfixturevalue("postgres_url")
    engine = open_archive(url)
    yield engine
    engine.dispose()


@pytest.fixture
def other_process() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process
    process.kill()
    process.wait()


def running_row(
    engine: Engine, pid: int, host: str | None = None, started: str | None = None
) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(runs).values(
                spider="kompas_global",
                started_at=datetime(2026, 1, 1),
                status="running",
                pid=pid,
                host=host or socket.gethostname(),
                process_started=started or process_started(pid),
            )
        )


def statuses(engine: Engine) -> list[tuple[int, str, str | None]]:
    with engine.connect() as connection:
        rows = connection.execute(runs.select().order_by(runs.c.id)).all()
    return [(row.pid, row.status, row.finish_reason) for row in rows]


def test_the_lock_is_reentrant_within_a_process(engine: Engine) -> None:
    first, _ = start_run(engine, "kompas_global", {})
    assert start_run(engine, "kompas_global", {}) == (first, None)
    check_unlocked(engine)


def test_a_live_crawl_holds_the_lock_and_nothing_is_written(
    engine: Engine, other_process: subprocess.Popen[bytes]
) -> None:
    running_row(engine, other_process.pid)
    before = statuses(engine)
    with pytest.raises(CrawlLocked, match=f"pid {other_process.pid}"):
        start_run(engine, "kompas_global", {})
    with pytest.raises(CrawlLocked):
        check_unlocked(engine)
    assert statuses(engine) == before


def test_a_dead_crawl_s_lock_is_taken_over(engine: Engine) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    running_row(engine, dead.pid, started="1")
    _, taken_over = start_run(engine, "kompas_global", {})
    assert taken_over is not None and taken_over.pid == dead.pid
    assert statuses(engine) == [(dead.pid, "failed", "died"), (os.getpid(), "running", None)]


def test_a_reused_pid_does_not_keep_the_lock(
    engine: Engine, other_process: subprocess.Popen[bytes]
) -> None:
    running_row(engine, other_process.pid, started="12345")  # another process had this pid
    _, taken_over = start_run(engine, "kompas_global", {})
    assert taken_over is not None


def test_a_crawl_on_another_host_counts_as_live(engine: Engine) -> None:
    running_row(engine, 1, host="elsewhere.example")
    with pytest.raises(CrawlLocked, match=r"on elsewhere\.example"):
        start_run(engine, "kompas_global", {})


def test_the_database_allows_one_running_row(engine: Engine) -> None:
    running_row(engine, 1, host="a.example")
    with pytest.raises(IntegrityError):
        running_row(engine, 2, host="b.example")


def digest(folder: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.endswith("-shm")  # readers' shared memory
    }


def test_a_second_crawl_exits_at_once_touching_nothing(tmp_path: Path) -> None:
    site = old_site(10, per_day=10, per_page=10)
    slow = site.reply("https://indeks.kompas.com/?site=global")
    slow.delay = 30.0  # the first crawl waits on its first index page
    site.script("https://indeks.kompas.com/?site=global", slow)
    with OfflineServer(site) as server:
        first = start_crawl(tmp_path, server.url)
        try:
            database = tmp_path / "kompas.db"
            wait_until(lambda: len(server.hits) >= 2)  # robots.txt, then the slow index page
            assert query(database, "SELECT status FROM crawl_runs") == [("running",)]
            before = digest(tmp_path)
            hits = len(server.hits)

            started = time.monotonic()
            second = run_crawl(tmp_path, server.url)
            took = time.monotonic() - started

            env = crawl_env(server.url, database)
            plain = subprocess.run(
                [SCRAPY, "crawl", "kompas_global", "-s", "LOG_LEVEL=INFO"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            after = digest(tmp_path)
            assert len(server.hits) == hits  # neither asked the site anything
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
    assert second.returncode == 3
    assert "another crawl is running on this archive" in second.stderr
    assert f"pid {first.pid}" in second.stderr
    assert took < 10
    assert after == before  # no log file, no run record, not a byte of the archive
    # `scrapy crawl` respects the lock too: refused before any request, with exit status 3.
    assert "Cannot start: another crawl is running on this archive" in plain.stderr
    assert plain.returncode == 3
    assert "Traceback" not in plain.stderr
