"""Extraction health: fill rates, floors from the archive's history, the verdict of a run, and
`kompas-crawler health`; a crawl whose pages are read badly ends degraded with exit 4."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kompas_crawler import health
from kompas_crawler.extensions import run_outcome
from kompas_crawler.items import Article
from kompas_crawler.offline import OfflineServer, OfflineSite, Reply
from kompas_crawler.pipelines.health import HealthPipeline
from kompas_crawler.storage.database import open_archive
from tests.crawling import KOMPAS_CRAWLER, last_run, old_site, query, run_crawl

NOW = datetime(2026, 12, 1, 12, 0)


def run_stats(articles: int, **filled: int) -> dict[str, Any]:
    """Stats of a finished run that read ``articles`` articles, every field filled unless given."""
    stats: dict[str, Any] = {
        "finish_reason": "finished",
        "downloader/request_count": articles + 2,
        "kompas/run/pages_ok": articles + 1,
        health.ARTICLES: articles,
        health.ARTICLES_REQUESTED: articles,
        "kompas/store/new": articles,
    }
    for name in health.FIELDS:
        stats[health.FILLED + name] = filled.get(name, articles)
    return stats


def test_the_pipeline_counts_fields_and_fallbacks() -> None:
    from scrapy.statscollectors import MemoryStatsCollector
    from scrapy.utils.test import get_crawler

    stats = MemoryStatsCollector(get_crawler())
    pipeline = HealthPipeline(stats)
    pipeline.process_item(Article(title="A", body="x", writers=["W"], tags=[]))
    pipeline.process_item(Article(title=" ", body="y", layout="unknown", fallbacks=["body"]))
    counts = stats.get_stats()
    assert counts[health.ARTICLES] == 2
    assert (counts[health.FILLED + "title"], counts[health.FILLED + "body"]) == (1, 2)
    assert counts[health.FILLED + "writers"] == 1
    assert health.FILLED + "tags" not in counts
    assert (counts[health.FALLBACK], counts[health.FALLBACK_FIELD + "body"]) == (1, 1)


def test_fixed_floors_without_history() -> None:
    floors = health.floors([])
    assert floors.rates == {"title": 1.0, "body": 1.0, "published_at": 1.0, "writers": 0.9}
    assert floors.source == "fixed floors"
    # 8 of 20 without a writer: 60%, under 90%.
    reasons = health.degraded_reasons(run_stats(20, writers=12), floors)
    assert reasons == ["writers filled in 60% of 20 articles (floor 90%, from fixed floors)"]


def test_one_article_of_slack_in_small_runs() -> None:
    floors = health.floors([])
    assert health.degraded_reasons(run_stats(5, writers=4), floors) == []  # 80%, one short
    assert health.degraded_reasons(run_stats(5, writers=3), floors) != []  # 60%


def test_floors_follow_the_archive_history() -> None:
    # The archive's clean runs fill editors in about 95% and images in 50%.
    history = [run_stats(40, editors=38 + n % 2, image_url=20) for n in range(12)]
    floors = health.floors(history)
    assert floors.source == "the last 10 clean runs"
    assert floors.rates["editors"] == pytest.approx(0.95 - health.MARGIN, abs=0.02)
    assert floors.rates["image_url"] == pytest.approx(0.4)
    assert health.degraded_reasons(run_stats(40, image_url=18), floors) == []
    [reason] = health.degraded_reasons(run_stats(40, editors=10), floors)
    assert reason.startswith(
        "editors filled in 25% of 40 articles (floor 86%, from the last 10 clean runs)"
    )


def test_small_runs_set_no_baseline() -> None:
    assert health.floors([run_stats(3)]).source == "fixed floors"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"kompas/dropped/missing_body": 3}, "3 of 20 articles dropped for a missing field"),
        (
            {health.FALLBACK: 6, health.FALLBACK_FIELD + "body": 6},
            "6 of 20 articles (30%) read by fallback (body 6)",
        ),
        (
            {health.LISTING_UNRECOGNISED: 1},
            "indeks pages with neither a listing nor an article: 1",
        ),
    ],
)
def test_drops_fallbacks_and_broken_listings_degrade(extra: dict[str, int], expected: str) -> None:
    stats = run_stats(20) | extra
    assert health.degraded_reasons(stats, health.floors([])) == [expected]


def test_a_healthy_run_has_no_reason() -> None:
    stats = run_stats(20) | {"kompas/dropped/missing_body": 1, health.FALLBACK: 2}
    assert health.degraded_reasons(stats, health.floors([])) == []


def seen(hours_ago: float, new: int = 0, status: str = "ok") -> health.RunSeen:
    return health.RunSeen(NOW - timedelta(hours=hours_ago), status, new)


@pytest.mark.parametrize(
    ("past", "degraded"),
    [
        ([seen(12), seen(24), seen(37)], True),
        ([seen(12), seen(24), seen(37, new=3)], False),  # the run 37 h ago found something
        ([seen(40)], False),  # only two runs: too few to tell
        ([seen(12), seen(20)], False),  # quiet for 20 h only
        ([seen(12), seen(24, status="failed"), seen(37)], True),  # a failed run says nothing
    ],
)
def test_nothing_new_for_36_hours_over_several_runs(
    past: list[health.RunSeen], degraded: bool
) -> None:
    reason = health.quiet_reason(NOW, 0, past)
    assert (reason is not None) is degraded
    assert health.quiet_reason(NOW, 1, past) is None


def test_outcomes_of_total_failures_and_blocks() -> None:
    disk_full = run_stats(400) | {"kompas/store/failed": 1617, "log_count/ERROR": 1617}
    status, summary = run_outcome(disk_full)
    assert status == "failed"
    assert summary.startswith("run failed: 1617 articles could not be stored")
    lost = run_stats(0) | {health.ARTICLES_REQUESTED: 50, "kompas/run/pages_ok": 3}
    assert run_outcome(lost)[1].startswith(
        "run failed: 50 of 50 articles requested could not be downloaded or read"
    )
    challenged = run_stats(2) | {health.BLOCKED_PAGES: 40, health.BLOCKED_GAVE_UP: 10}
    assert run_outcome(challenged)[0] == "blocked"
    mostly = run_stats(2) | {health.BLOCKED_PAGES: 9, "kompas/run/pages_ok": 4}
    assert run_outcome(mostly)[1].startswith(
        "run blocked: the site answered 9 pages with a WAF challenge (0 still challenged"
    )
    now_and_then = run_stats(20) | {health.BLOCKED_PAGES: 3}  # each asked again and answered
    assert run_outcome(now_and_then)[0] == "ok"
    asked = run_stats(2) | {"finish_reason": "blocked", health.RETRY_AFTER_ASKED: 86400.0}
    assert run_outcome(asked)[1].startswith("run blocked: the site asked to wait 86400s")
    degraded = run_stats(20) | {health.DEGRADED_REASON: "writers filled in 0%"}
    assert run_outcome(degraded)[1].startswith("run degraded: writers filled in 0% (")
    assert run_outcome(run_stats(20))[0] == "ok"


def without_writers(site: OfflineSite) -> OfflineSite:
    days = {
        day: [replace(e, article=replace(e.article, writers=())) for e in entries]
        for day, entries in site.days.items()
    }
    return OfflineSite(days, per_page=site.per_page, newest_per_page=site.newest_per_page)


def health_command(database: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KOMPAS_CRAWLER, "health", "--db", f"sqlite:///{database}", *options],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_a_run_reading_no_writer_is_degraded_even_quietly(tmp_path: Path) -> None:
    database = tmp_path / "kompas.db"
    with OfflineServer(without_writers(old_site(12, per_day=12, per_page=20))) as server:
        result = run_crawl(tmp_path, server.url, quiet=True)
    assert result.returncode == 4
    [line] = result.stderr.splitlines()
    assert line.startswith(
        "kompas-crawler crawl: run degraded: writers filled in 0% of 12 articles "
        "(floor 90%, from fixed floors) (12 new, "
    )
    run = last_run(database)
    assert run["status"] == "degraded"
    stats = json.loads(run["stats"])
    assert stats["kompas/run/summary"].startswith("run degraded: writers filled in 0%")
    report = health_command(database, "--json")
    assert report.returncode == 4
    data = json.loads(report.stdout)
    assert data["verdict"] == "degraded"
    assert data["reason"].startswith("run degraded: writers filled in 0% of 12 articles")
    assert data["runs"][0]["fill_rates"]["writers"] == 0.0
    assert data["runs"][0]["fill_rates"]["body"] == 1.0
    assert data["missing_captures"] == 0  # every stored article has its raw capture


def test_health_of_a_clean_archive(tmp_path: Path) -> None:
    database = tmp_path / "kompas.db"
    with OfflineServer(old_site(12, per_day=12, per_page=20)) as server:
        result = run_crawl(tmp_path, server.url)
    assert result.returncode == 0, result.stderr
    report = health_command(database)
    assert report.returncode == 0, report.stderr
    assert "Verdict: ok: run ok (12 new," in report.stdout
    assert "No dropped articles remembered." in report.stdout
    assert "100.0%" in report.stdout.splitlines()[2]


def test_health_without_an_archive_is_one_line(tmp_path: Path) -> None:
    report = health_command(tmp_path / "none.db")
    assert report.returncode == 2
    assert report.stderr.startswith("kompas-crawler health: error: no archive at")
    assert len(report.stderr.splitlines()) == 1


def test_store_errors_fail_the_run(tmp_path: Path) -> None:
    """Issue 14 #3: a full disk ended `run ok (400 new ... 1617 errors)` with exit 0."""
    database = tmp_path / "kompas.db"
    open_archive(f"sqlite:///{database}").dispose()
    with sqlite3.connect(database) as connection:
        connection.execute(
            "CREATE TRIGGER disk_full BEFORE INSERT ON articles "
            "BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END"
        )
    with OfflineServer(old_site(12, per_day=12, per_page=20)) as server:
        result = run_crawl(tmp_path, server.url, quiet=True)
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("kompas-crawler crawl: run failed: 12 articles could not be stored")
    assert last_run(database)["status"] == "failed"


def test_nearly_every_article_lost_fails_the_run(tmp_path: Path) -> None:
    """Issue 14 #3: every article redirected off-site ended ok with exit 0."""
    site = old_site(10, per_day=10, per_page=20)
    with OfflineServer(site) as server:
        for url in site.articles:
            server.site.script(
                url, Reply(status=302, headers={"Location": "https://example.org/elsewhere"})
            )
        result = run_crawl(tmp_path, server.url, quiet=True)
    assert result.returncode == 1
    assert result.stderr.startswith(
        "kompas-crawler crawl: run failed: 10 of 10 articles requested could not be downloaded"
    )
    assert query(tmp_path / "kompas.db", "SELECT count(*) FROM articles") == [(0,)]
