"""A crawl killed with SIGKILL at any point, run again, leaves the archive a clean run leaves; a
long backfill paused (SIGINT) and resumed with JOBDIR does too."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from kompas_crawler.offline import OfflineServer, OfflineSite, Reply, render_article
from tests.crawling import (
    archive_snapshot,
    hits_for,
    last_run,
    old_site,
    query,
    run_crawl,
    start_crawl,
    wait_until,
)

DAYS = ["-a", "start_date=2024-06-28", "-a", "end_date=2024-06-30"]  # every day of the site
# Small batches, so commits happen all through the run and a kill lands between and inside them.
BATCHES = ["-s", "KOMPAS_STORE_BATCH_SIZE=7", "-s", "KOMPAS_STORE_FLUSH_SECONDS=0"]


def slow_site() -> OfflineSite:
    """60 articles over 3 days, each page answering after 20 ms, so a run can be caught mid-way."""
    site = old_site(60, per_day=20, per_page=10)
    for spec in site.articles.values():
        site.script(spec.url, Reply.html(render_article(spec), delay=0.02))
    return site


@pytest.fixture(scope="module")
def server() -> Any:
    with OfflineServer(slow_site()) as running:
        yield running


@pytest.fixture(scope="module")
def clean(server: OfflineServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("clean")
    result = run_crawl(folder, server.url, *BATCHES)
    assert result.returncode == 0, result.stderr
    snapshot = archive_snapshot(folder / "kompas.db")
    assert len(snapshot["articles"]) == 60
    return snapshot


def article_hits(server: OfflineServer) -> int:
    return len(hits_for(server, "/global/read/"))


@pytest.mark.parametrize(
    ("arguments", "kill_after"),
    [([], 3), ([], 45), (DAYS, 25)],
    ids=["newest-early", "newest-late", "backfill-middle"],
)
def test_a_killed_crawl_run_again_leaves_the_clean_archive(
    server: OfflineServer,
    clean: dict[str, Any],
    tmp_path: Path,
    arguments: list[str],
    kill_after: int,
) -> None:
    server.clear_hits()
    process = start_crawl(tmp_path, server.url, *BATCHES, *arguments)
    try:
        wait_until(lambda: article_hits(server) >= kill_after or process.poll() is not None)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL
    database = tmp_path / "kompas.db"
    stored = query(database, "SELECT count(*) FROM articles")[0][0]
    assert stored < 60  # killed part-way: the rerun has work to do
    assert query(database, "SELECT status FROM crawl_runs") == [("running",)]

    again = run_crawl(tmp_path, server.url, *BATCHES, *arguments)

    assert again.returncode == 0, again.stderr
    assert archive_snapshot(database) == clean
    assert query(database, "SELECT status, finish_reason FROM crawl_runs ORDER BY id") == [
        ("failed", "died"),
        ("ok", "finished"),
    ]
    log = tmp_path / again.stdout.rsplit("log: ", 1)[1].strip()
    # A backfill takes no lock: it closes the dead backfill's run and takes over its days.
    took_over = "a dead backfill" if arguments else "the crawl lock of a dead crawl"
    assert f"Took over {took_over}" in log.read_text(encoding="utf-8")
    assert last_run(database)["articles_new"] == 60 - stored


def test_a_backfill_paused_and_resumed_with_jobdir_completes_once(
    server: OfflineServer, clean: dict[str, Any], tmp_path: Path
) -> None:
    jobdir = ["-s", f"JOBDIR={tmp_path / 'job'}"]
    server.clear_hits()
    process = start_crawl(tmp_path, server.url, *BATCHES, *DAYS, *jobdir)
    try:
        wait_until(lambda: article_hits(server) >= 20 or process.poll() is not None)
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C: a graceful stop, the queue kept in JOBDIR
        process.wait(timeout=30)
    assert process.returncode == 1  # finish reason "shutdown": not a complete run
    first = {hit.url for hit in server.hits}
    server.clear_hits()

    resumed = run_crawl(tmp_path, server.url, *BATCHES, *DAYS, *jobdir)

    assert resumed.returncode == 0, resumed.stderr
    database = tmp_path / "kompas.db"
    assert archive_snapshot(database) == clean
    second = {hit.url for hit in server.hits if "robots.txt" not in hit.url}
    # Resumed from the queue: nothing downloaded in the first part is downloaded again, except
    # requests that were in flight when the pause came.
    assert len(first & second) <= 8
    runs = query(database, "SELECT status, finish_reason FROM crawl_runs ORDER BY id")
    assert runs == [("failed", "shutdown"), ("ok", "finished")]
