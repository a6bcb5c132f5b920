"""Cooperating backfill workers, as real `kompas-crawler crawl` processes on one archive against
the offline site: they share a range (or overlapping ranges) day by day, a worker killed mid-day
loses its day to the others, a worker paused past its lease leaves its day, and the incremental
run and the backfills never block each other. The archive they leave is the one a single clean
run leaves, and `kompas-crawler coverage` says so."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.pool import NullPool

from kompas_crawler.offline import OfflineServer, OfflineSite, Reply, render_article
from kompas_crawler.storage.models import ArticleRow
from tests.crawling import (
    KOMPAS_CRAWLER,
    crawl_command,
    crawl_env,
    old_site,
    wait_until,
)

FIRST, LAST = date(2024, 6, 19), date(2024, 6, 30)  # the site's 12 days
RANGE = ["-a", f"start_date={FIRST}", "-a", f"end_date={LAST}"]
# One day at a time, short leases, quick polls: a test sees claims change hands in seconds.
WORKER = [
    *("-s", "KOMPAS_CLAIM_DAYS=1"),
    *("-s", "KOMPAS_CLAIM_LEASE_SECONDS=6"),
    *("-s", "KOMPAS_WORKER_POLL_SECONDS=0.5"),
    *("-s", "KOMPAS_STORE_FLUSH_SECONDS=0.5"),
]
_COLUMNS = [
    *("url", "article_id", "title", "published_at", "updated_at", "section", "subsection"),
    *("dateline", "body", "tag_list", "image_url", "image_caption", "image_credit"),
    *("word_count", "content_hash"),
]


def slow_site(delay: float = 0.03) -> OfflineSite:
    """72 articles over 12 days (6 a day, 2 index pages each), each article answering late."""
    site = old_site(72, per_day=6, per_page=3)
    for spec in site.articles.values():
        site.script(spec.url, Reply.html(render_article(spec), delay=delay))
    return site


@pytest.fixture(scope="module")
def server() -> Iterator[OfflineServer]:
    with OfflineServer(slow_site()) as running:
        yield running


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'kompas.db'}"


def start_worker(folder: Path, mirror: str, url: str, *arguments: str) -> subprocess.Popen[str]:
    """A backfill worker in its own folder (logs, WARC files) on the archive at ``url``."""
    folder.mkdir(parents=True, exist_ok=True)
    env = {**crawl_env(mirror, folder / "unused.db"), "KOMPAS_DATABASE_URL": url}
    return subprocess.Popen(
        crawl_command(*WORKER, *arguments),
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(
    process: subprocess.Popen[str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    out, err = process.communicate(timeout=timeout)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def coverage(url: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KOMPAS_CRAWLER, "coverage", "--db", url, *arguments],
        capture_output=True,
        text=True,
        timeout=60,
    )


def snapshot(url: str) -> dict[str, Any]:
    """The articles an archive holds, field by field, with bylines and tags: any backend."""
    engine = create_engine(url, poolclass=NullPool)
    table = ArticleRow.__table__
    try:
        with engine.connect() as connection:
            articles = connection.execute(
                select(*[table.c[name] for name in _COLUMNS]).order_by(table.c.url)
            ).all()
            people = connection.execute(
                text(
                    "SELECT a.url, p.name, ap.role, ap.position FROM article_people ap "
                    "JOIN articles a ON a.id = ap.article_id JOIN people p ON p.id = ap.person_id "
                    "ORDER BY 1, 3, 4"
                )
            ).all()
            tags = connection.execute(
                text(
                    "SELECT a.url, t.name, x.position FROM article_tags x JOIN articles a "
                    "ON a.id = x.article_id JOIN tags t ON t.id = x.tag_id ORDER BY 1, 3"
                )
            ).all()
            days = connection.execute(
                text("SELECT site, day, article_count FROM index_days ORDER BY day")
            ).all()
    finally:
        engine.dispose()
    return {
        "articles": [tuple(row) for row in articles],
        "people": [tuple(row) for row in people],
        "tags": [tuple(row) for row in tags],
        "index_days": [(site, str(day), count) for site, day, count in days],
    }


def claim_rows(url: str) -> list[Any]:
    """The archive's day claims ([] while the first worker is still making the schema)."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return list(
                connection.execute(text("SELECT day, status, pid, walks FROM day_claims")).all()
            )
    except (OperationalError, ProgrammingError):
        return []
    finally:
        engine.dispose()


def walking(url: str, pid: int | None = None) -> bool:
    """Whether some worker (or the one with this pid) holds a day now."""
    return any(r.status == "walking" and pid in (None, r.pid) for r in claim_rows(url))


def first_page_hits(server: OfflineServer) -> Counter[str]:
    """How often each day's first index page was asked for."""
    return Counter(
        hit.url
        for hit in server.hits
        if "/?site=global&date=" in hit.url and "page=" not in hit.url
    )


@pytest.fixture(scope="module")
def clean(server: OfflineServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What one backfill of the range, alone and undisturbed, leaves."""
    folder = tmp_path_factory.mktemp("clean")
    done = finish(start_worker(folder, server.url, sqlite_url(folder), *RANGE))
    assert done.returncode == 0, done.stderr
    result = snapshot(sqlite_url(folder))
    assert len(result["articles"]) == 72 and len(result["index_days"]) == 12
    return result


def test_three_workers_one_killed_mid_day_leave_the_clean_archive(
    server: OfflineServer, clean: dict[str, Any], postgres_url: str, tmp_path: Path
) -> None:
    server.clear_hits()
    workers = [start_worker(tmp_path / f"w{n}", server.url, postgres_url, *RANGE) for n in range(3)]
    victim = workers[1]

    wait_until(lambda: walking(postgres_url, victim.pid), timeout=60, step=0.02)
    # Read before the kill: once it is dead, another worker may take its days over at once.
    held = {r.day for r in claim_rows(postgres_url) if r.pid == victim.pid}
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert held
    for worker in (workers[0], workers[2]):
        done = finish(worker)
        assert done.returncode == 0, done.stderr
    assert snapshot(postgres_url) == {
        **clean,
        "index_days": clean["index_days"],
    }
    # Every day walked by exactly one live worker: only the killed day's first page twice.
    hits = first_page_hits(server)
    assert len(hits) == 12
    twice = {url for url, count in hits.items() if count > 1}
    assert twice <= {f"https://indeks.kompas.com/?site=global&date={day}" for day in held}
    rows = claim_rows(postgres_url)
    assert {r.status for r in rows} == {"done"}
    assert all(r.pid != victim.pid for r in rows)  # the killed worker's day changed hands
    report = coverage(postgres_url, "--since", str(FIRST), "--until", str(LAST))
    assert report.returncode == 0, report.stdout + report.stderr
    assert "Complete" in report.stdout


def test_overlapping_ranges_cooperate(
    server: OfflineServer, clean: dict[str, Any], tmp_path: Path
) -> None:
    server.clear_hits()
    url = sqlite_url(tmp_path)
    early = ["-a", f"start_date={FIRST}", "-a", f"end_date={FIRST + timedelta(days=7)}"]
    late = ["-a", f"start_date={FIRST + timedelta(days=4)}", "-a", f"end_date={LAST}"]
    first = start_worker(tmp_path / "early", server.url, url, *early)
    second = start_worker(tmp_path / "late", server.url, url, *late)
    for worker in (first, second):
        done = finish(worker)
        assert done.returncode == 0, done.stderr
    assert snapshot(url) == clean
    hits = first_page_hits(server)
    assert len(hits) == 12 and set(hits.values()) == {1}  # no day twice
    report = coverage(url, "--json")
    assert report.returncode == 0
    assert json.loads(report.stdout)["complete"] is True


def test_a_worker_paused_past_its_lease_leaves_its_day(
    server: OfflineServer, tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path)
    days = ["-a", f"start_date={FIRST}", "-a", f"end_date={FIRST + timedelta(days=2)}"]
    worker = start_worker(
        tmp_path / "w", server.url, url, *days, "-s", "KOMPAS_CLAIM_LEASE_SECONDS=1.5"
    )
    wait_until(
        lambda: (
            os.path.exists(tmp_path / "kompas.db")
            and any(r.status == "walking" for r in claim_rows(url))
        ),
        timeout=60,
        step=0.01,
    )
    worker.send_signal(signal.SIGSTOP)
    time.sleep(3)  # twice the lease
    worker.send_signal(signal.SIGCONT)
    done = finish(worker)
    assert done.returncode == 0, done.stderr
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        stats = json.loads(
            connection.execute(text("SELECT stats FROM crawl_runs ORDER BY id DESC")).scalar()
        )
    engine.dispose()
    assert stats["kompas/claims/lost"] >= 1
    report = coverage(url, "--since", str(FIRST), "--until", str(FIRST + timedelta(days=2)))
    assert report.returncode == 1  # the day it left is not complete
    assert "kompas-crawler crawl -a start_date=" in report.stdout
    # The next worker walks what was left, and the range is complete.
    again = finish(start_worker(tmp_path / "w2", server.url, url, *days))
    assert again.returncode == 0, again.stderr
    assert (
        coverage(url, "--since", str(FIRST), "--until", str(FIRST + timedelta(days=2))).returncode
        == 0
    )


def test_incremental_and_backfill_runs_do_not_block_each_other(
    server: OfflineServer, tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path)
    backfill = start_worker(tmp_path / "backfill", server.url, url, *RANGE)
    wait_until(
        lambda: (
            os.path.exists(tmp_path / "kompas.db")
            and any(r.status == "walking" for r in claim_rows(url))
        ),
        timeout=60,
    )
    newest = start_worker(tmp_path / "newest", server.url, url, "-a", "max_pages=1")
    second_backfill = start_worker(tmp_path / "backfill2", server.url, url, *RANGE)
    for process in (newest, backfill, second_backfill):
        done = finish(process)
        assert done.returncode == 0, done.stderr
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        kinds = connection.execute(text("SELECT kind, status FROM crawl_runs ORDER BY id")).all()
    engine.dispose()
    assert sorted(kinds) == [("backfill", "ok"), ("backfill", "ok"), ("incremental", "ok")]


def test_coverage_of_a_partial_archive_names_the_gaps(
    server: OfflineServer, tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path)
    gone = next(spec for spec in server.site.articles.values() if spec.day == date(2024, 6, 22))
    server.site.script(gone.url, Reply.html("gone", status=404))
    try:
        days = ["-a", "start_date=2024-06-20", "-a", "end_date=2024-06-23"]
        done = finish(start_worker(tmp_path / "w", server.url, url, *days))
    finally:
        server.site.script(gone.url, Reply.html(render_article(gone), delay=0.03))
    assert done.returncode == 0, done.stderr
    report = coverage(url, "--since", "2024-06-18", "--until", "2024-06-24", "--by", "day")
    assert report.returncode == 1
    assert "kompas-crawler crawl -a start_date=2024-06-18 -a end_date=2024-06-19" in report.stdout
    assert "kompas-crawler crawl -a start_date=2024-06-22 -a end_date=2024-06-22" in report.stdout
    assert "kompas-crawler crawl -a start_date=2024-06-24 -a end_date=2024-06-24" in report.stdout
    data = json.loads(
        coverage(url, "--since", "2024-06-18", "--until", "2024-06-24", "--json").stdout
    )
    assert data["total"]["days"] == {"complete": 3, "partial": 1, "never": 3, "claimed": 0}
    assert data["total"]["dropped_reasons"] == {"http_404": 1}
    assert [(gap["first"], gap["last"]) for gap in data["gaps"]] == [
        ("2024-06-18", "2024-06-19"),
        ("2024-06-22", "2024-06-22"),
        ("2024-06-24", "2024-06-24"),
    ]
    bad = coverage(url, "--since", "2024-13-01")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_a_retry_after_seen_by_one_worker_pauses_every_worker(
    server: OfflineServer, tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path)
    listing = f"https://indeks.kompas.com/?site=global&date={FIRST + timedelta(days=2)}"
    throttled = Reply.text("slow down", status=429)
    throttled.headers["Retry-After"] = "3"
    server.site.script(listing, throttled, server.site.render(server.site.route(listing)))
    server.clear_hits()
    try:
        workers = [start_worker(tmp_path / f"w{n}", server.url, url, *RANGE) for n in range(2)]
        for worker in workers:
            done = finish(worker)
            assert done.returncode == 0, done.stderr
    finally:
        server.site.unscript(listing)
    (asked,) = [hit.time for hit in server.hits if hit.status == 429]
    # Both workers held back: nothing asked between the other's next poll and the pause's end.
    during = [hit for hit in server.hits if asked + 1.2 < hit.time < asked + 2.8]
    assert during == []
    assert len(first_page_hits(server)) == 12


def test_workers_share_the_configured_request_rate(server: OfflineServer, tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    days = ["-a", f"start_date={FIRST}", "-a", f"end_date={FIRST + timedelta(days=5)}"]
    polite = ["-s", "DOWNLOAD_DELAY=0.2", "-s", "DOWNLOAD_DELAY_JITTER=0"]
    server.clear_hits()
    workers = [start_worker(tmp_path / f"w{n}", server.url, url, *days, *polite) for n in range(2)]
    for worker in workers:
        done = finish(worker)
        assert done.returncode == 0, done.stderr
    articles = sorted(hit.time for hit in server.hits if "/global/read/" in hit.url)
    assert len(articles) == 36
    # Once both workers run (a poll or two), the two ask no faster than one with the delay.
    steady = [t for t in articles if t > articles[0] + 2]
    rate = (len(steady) - 1) / (steady[-1] - steady[0])
    assert rate < 1 / 0.2 * 1.25, rate
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        seen = [
            json.loads(stats).get("kompas/claims/workers_max")
            for stats in connection.execute(text("SELECT stats FROM crawl_runs")).scalars()
        ]
    engine.dispose()
    assert 2 in seen
