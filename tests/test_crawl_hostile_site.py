"""End to end, issue 14's hostile sites through `kompas-crawler crawl -q`: each ends as the mode's
docstring says (kompas_crawler/offline/modes.py), in bounded time, with one line when it fails."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from kompas_crawler.offline import OfflineServer, demo_site
from tests.crawling import last_run, query, run_crawl

FEW_RETRIES = ["-s", "RETRY_TIMES=1", "-s", "KOMPAS_CHALLENGE_BACKOFF=0.05"]


def crawl(tmp_path: Path, mode: str | None, *arguments: str):  # type: ignore[no-untyped-def]
    site = demo_site()
    site.set_mode(mode)
    with OfflineServer(site) as server:
        started = time.monotonic()
        result = run_crawl(tmp_path, server.url, "-q", *FEW_RETRIES, *arguments, timeout=180)
        elapsed = time.monotonic() - started
        hosts = {hit.url.split("/", 4)[3] for hit in server.hits}
    return site, result, elapsed, hosts


def stored_count(tmp_path: Path) -> int:
    return int(query(tmp_path / "kompas.db", "SELECT count(*) FROM articles")[0][0])


@pytest.mark.parametrize(
    ("mode", "status"), [("gzip_bomb", "failed"), ("offsite_redirect", "failed")]
)
def test_total_failures_exit_non_zero_with_one_line(tmp_path, mode, status):
    _, result, _, hosts = crawl(tmp_path, mode)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"run {status}" in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert stored_count(tmp_path) == 0
    assert last_run(tmp_path / "kompas.db")["status"] == status
    assert "kompas.com.evil.example" not in hosts


def test_a_huge_retry_after_ends_blocked_at_once(tmp_path):
    _, result, elapsed, _ = crawl(tmp_path, "retry_after_huge")
    assert result.returncode == 1, result.stderr
    assert "run blocked" in result.stderr and "99999" in result.stderr
    assert elapsed < 60


def test_an_index_that_never_ends_is_walked_to_a_bound_and_said_so(tmp_path):
    site, result, elapsed, _ = crawl(tmp_path, "next_forever", "-s", "KOMPAS_INDEX_MAX_PAGES=30")
    assert stored_count(tmp_path) == len(site.expected_articles())
    log = next((tmp_path / "data" / "logs").glob("crawl-*.log")).read_text(encoding="utf-8")
    assert "two pages in a row list nothing new" in log or "KOMPAS_INDEX_MAX_PAGES" in log
    stats = json.loads(last_run(tmp_path / "kompas.db")["stats"])
    assert stats["kompas/listing/pages"] <= 30
    assert elapsed < 120
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("mode", ["deep_nesting", "bad_links"])
def test_deep_pages_and_bad_links_are_stored_exactly(tmp_path, mode):
    site, result, _, _ = crawl(tmp_path, mode)
    assert result.returncode == 0, result.stderr
    expected = sorted((spec.url, spec.title, spec.body) for spec in site.expected_articles())
    assert (
        query(tmp_path / "kompas.db", "SELECT url, title, body FROM articles ORDER BY url")
        == expected
    )


def test_a_challenged_index_page_mid_walk_loses_nothing_for_good(tmp_path):
    site, result, _, _ = crawl(tmp_path, "waf_midwalk")
    assert result.returncode == 1 and "run blocked" in result.stderr, result.stderr
    assert stored_count(tmp_path) < len(site.expected_articles())
    with OfflineServer(demo_site()) as server:
        healthy = run_crawl(tmp_path, server.url, "-q", timeout=180)
    assert healthy.returncode == 0, healthy.stderr
    assert stored_count(tmp_path) == len(site.expected_articles())
