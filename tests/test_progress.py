"""Progress while a crawl runs: the line's content, the per-interval log line, and the live
status line on a terminal (a real pseudo-terminal), absent with -q."""

from __future__ import annotations

import os
import pty
import select
import subprocess
from datetime import timedelta
from pathlib import Path

from kompas_crawler.offline import OfflineServer, Reply
from kompas_crawler.progress import Snapshot
from tests.crawling import crawl_command, crawl_env, old_site, run_crawl


def test_a_backfill_line_has_pages_days_articles_rate_and_eta() -> None:
    now = Snapshot(
        elapsed=120,
        listing_pages=14,
        days_done=3,
        days_total=12,
        new=40,
        updated=2,
        unchanged=5,
        dropped=1,
        requests=90,
    )
    assert now.eta() == timedelta(minutes=6)  # 9 days left at 40 s a day
    assert now.line() == (
        "14 listing pages, 3/12 days, articles 40 new, 2 updated, 5 unchanged, 1 dropped, "
        "45 requests/min, ETA 0:06:00"
    )


def test_a_default_run_has_no_days_and_no_eta() -> None:
    now = Snapshot(0, 1, 0, 0, 0, 0, 0, 0, 0)
    assert now.eta() is None
    assert now.line() == (
        "1 listing pages, articles 0 new, 0 updated, 0 unchanged, 0 dropped, 0 requests/min"
    )


def slow_site() -> OfflineServer:
    site = old_site(4, per_day=2)
    for url in list(site.articles)[:2]:
        site.script(url, Reply.html("slow", status=404, delay=1.5))
    return OfflineServer(site)


def test_the_log_gets_a_progress_line_every_interval(tmp_path: Path) -> None:
    with slow_site() as server:
        result = run_crawl(
            tmp_path, server.url, "-a", "start_date=2024-06-29", "-a", "end_date=2024-06-30",
            "-s", "KOMPAS_PROGRESS_INTERVAL=0.5", quiet=True,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == ("", "")  # -q: nothing extra
    log = next((tmp_path / "data" / "logs").glob("crawl-*.log")).read_text()
    lines = [line for line in log.splitlines() if "Progress: " in line]
    assert len(lines) >= 2
    assert "/2 days" in lines[-1] and "requests/min" in lines[-1]


def run_on_a_terminal(tmp_path: Path, mirror: str, *arguments: str) -> str:
    """``kompas-crawler crawl`` with stdout and stderr on a pseudo-terminal; all it printed."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        crawl_command(*arguments),
        cwd=tmp_path,
        env={**crawl_env(mirror, tmp_path / "kompas.db"), "TERM": "xterm", "COLUMNS": "200"},
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    output = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the crawl ended
            break
        if not chunk:
            break
        output += chunk
    process.wait(timeout=60)
    os.close(leader)
    assert process.returncode in (0, 1)
    return output.decode("utf-8", "replace")


def test_a_terminal_shows_a_live_status_line(tmp_path: Path) -> None:
    with slow_site() as server:
        shown = run_on_a_terminal(tmp_path, server.url)
    assert "kompas-crawler: " in shown and "listing pages" in shown and "requests/min" in shown
    assert "kompas-crawler crawl: run ok" in shown  # the final summary stays


def test_quiet_shows_no_live_line_on_a_terminal(tmp_path: Path) -> None:
    with slow_site() as server:
        shown = run_on_a_terminal(tmp_path, server.url, "-q")
    assert "listing pages" not in shown
    assert shown.strip() == ""
