"""WAF challenge pages and Retry-After over the cap: never parsed, retried with backoff, and a run
the site kept blocking ends ``blocked`` (exit 1), with the index walk broken, not complete."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from kompas_crawler.challenge import is_challenge, url_kind
from kompas_crawler.offline import OfflineServer, Reply, render_article, render_listing
from kompas_crawler.offline.listings import LISTING_2024
from kompas_crawler.urls import index_url
from tests.crawling import KOMPAS_CRAWLER, hits_for, last_run, old_site, query, run_crawl

# The shape of the AWS WAF page kompas.com hosts answered with in 2026 (KOMPAS_SITE.md).
CHALLENGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title></title>
<script type="text/javascript">window.awsWafCookieDomainList = [];
window.gokuProps = {"key": "AQIDAHjcYu", "iv": "A6weaQ", "context": "k8vQ"};</script>
<script src="https://3e3378af7cd0.edge.sdk.awswaf.com/3e3378af7cd0/challenge.js"></script>
</head><body><div id="challenge-container"></div>
<noscript><h1>JavaScript is disabled</h1></noscript></body></html>"""
GOKU_ONLY = CHALLENGE.replace("window.awsWafCookieDomainList = [];", "")
FAST_BACKOFF = ("-s", "KOMPAS_CHALLENGE_BACKOFF=0.05")


def challenge(status: int = 202) -> Reply:
    return Reply.html(CHALLENGE, status=status)


def stats_of(database: Path) -> dict[str, Any]:
    return dict(json.loads(last_run(database)["stats"]))


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (202, CHALLENGE, True),
        (403, CHALLENGE, True),
        (200, CHALLENGE, True),
        (202, GOKU_ONLY, True),  # a challenge script and no page markup
        (200, GOKU_ONLY.replace("<body>", '<body><div class="read__content">'), False),
        (200, "<html><body><div class='article__list'></div></body></html>", False),
        (404, CHALLENGE, False),  # not an answer a challenge comes with
        (200, "", False),
    ],
)
def test_challenge_pages_are_told_from_pages(status: int, body: str, expected: bool) -> None:
    assert is_challenge(status, body.encode()) is expected


def test_challenged_urls_are_counted_by_kind() -> None:
    assert url_kind(index_url(None, 3)) == "listing"
    assert url_kind("https://www.kompas.com/global/read/2024/06/30/090600270/x") == "article"
    assert url_kind("https://www.kompas.com/robots.txt") == "other"


def test_a_challenged_index_page_breaks_the_walk_and_the_next_run_fetches_everything(
    tmp_path: Path,
) -> None:
    """Issue 14 #1: one mid-walk index page answering 202 + challenge lost 140 of 200 articles."""
    database = tmp_path / "kompas.db"
    site = old_site(200, per_day=20, per_page=20)  # 10 newest-first pages of 20
    blocked_page = index_url(None, 4)
    with OfflineServer(site) as server:
        server.site.script(blocked_page, challenge())
        blocked = run_crawl(tmp_path, server.url, *FAST_BACKOFF)
        challenged = len([hit for hit in server.hits if hit.url.endswith("&page=4")])
        first = stats_of(database)
        assert query(database, "SELECT count(*) FROM articles") == [(60,)]
        server.site.unscript()
        healthy = run_crawl(tmp_path, server.url, *FAST_BACKOFF)
        server.clear_hits()
        after = run_crawl(tmp_path, server.url, *FAST_BACKOFF)
        listings_after = [hit.url for hit in server.hits if "indeks.kompas.com/?" in hit.url]
    assert blocked.returncode == 1, blocked.stderr
    assert "run blocked: the site answered 4 pages with a WAF challenge" in blocked.stderr
    assert challenged == 4  # asked, then 3 retries, never parsed
    assert (first["kompas/blocked/listing"], first["kompas/blocked/gave_up"]) == (4, 1)
    assert first["kompas/index/walk_broken"] == 1
    assert "kompas/index/walk_complete" not in first
    assert healthy.returncode == 0, healthy.stderr
    assert query(database, "SELECT count(*) FROM articles") == [(200,)]
    assert [row[0] for row in query(database, "SELECT status FROM crawl_runs ORDER BY id")] == [
        "blocked",
        "ok",
        "ok",
    ]
    assert after.returncode == 0, after.stderr
    assert len(listings_after) == 2  # the healthy run's walk was clean: trusted again


def test_a_blank_index_page_breaks_the_walk_too(tmp_path: Path) -> None:
    database = tmp_path / "kompas.db"
    site = old_site(60, per_day=20, per_page=20)
    with OfflineServer(site) as server:
        server.site.script(index_url(None, 2), Reply.html("<html><body></body></html>"))
        broken = run_crawl(tmp_path, server.url)
        server.site.unscript()
        healthy = run_crawl(tmp_path, server.url)
    assert broken.returncode == 4, broken.stderr  # degraded: an indeks page that is no listing
    assert "indeks pages with neither a listing nor an article: 1" in broken.stderr
    assert healthy.returncode == 0, healthy.stderr
    assert query(database, "SELECT count(*) FROM articles") == [(60,)]


def test_articles_challenged_on_every_try_end_the_run_blocked_and_wait(tmp_path: Path) -> None:
    database = tmp_path / "kompas.db"
    site = old_site(10, per_day=10, per_page=10)
    with OfflineServer(site) as server:
        for url in site.articles:
            server.site.script(url, challenge(403))
        blocked = run_crawl(tmp_path, server.url, *FAST_BACKOFF, quiet=True)
        server.clear_hits()
        again = run_crawl(tmp_path, server.url, *FAST_BACKOFF, quiet=True)
        article_hits = [hit for hit in server.hits if "/read/" in hit.url]
        health, stats = (
            subprocess.run(
                [KOMPAS_CRAWLER, command, "--db", f"sqlite:///{database}"],
                capture_output=True,
                text=True,
                timeout=30,
            )
            for command in ("health", "stats")
        )
    assert blocked.returncode == 1
    assert blocked.stderr.startswith("kompas-crawler crawl: run blocked: the site answered 40 ")
    assert query(database, "SELECT count(*) FROM articles") == [(0,)]
    rows = query(database, "SELECT reason, tries, next_try > last_try FROM dropped_articles")
    assert rows == [("blocked", 1, 1)] * 10
    assert article_hits == []  # the next run waits for their next try instead of asking again
    assert again.returncode == 0, again.stderr
    assert health.returncode == 0  # the last run was ok
    assert "Dropped articles remembered: 10" in health.stdout
    dropped_lines = [line for line in health.stdout.splitlines() if line.startswith("https://")]
    assert len(dropped_lines) == 10 and all("  blocked  " in line for line in dropped_lines)
    assert "  blocked  " in health.stdout.splitlines()[3]  # the first run, in the runs table
    assert "Dropped articles remembered: 10 (0 given up); `kompas-crawler health`" in stats.stdout


def test_a_page_challenged_once_is_asked_again_after_a_pause(tmp_path: Path) -> None:
    site = old_site(5, per_day=5, per_page=10)
    target = sorted(site.articles)[0]
    with OfflineServer(site) as server:
        server.site.script(target, challenge(), Reply.html(render_article(site.articles[target])))
        result = run_crawl(tmp_path, server.url, "-s", "KOMPAS_CHALLENGE_BACKOFF=1")
        times = [hit.time for hit in hits_for(server, target)]
    assert result.returncode == 0, result.stderr
    assert len(times) == 2 and times[1] - times[0] >= 0.95
    stats = stats_of(tmp_path / "kompas.db")
    assert (stats["kompas/blocked"], stats.get("kompas/blocked/gave_up")) == (1, None)
    assert query(tmp_path / "kompas.db", "SELECT count(*) FROM articles") == [(5,)]


@pytest.mark.parametrize("asked", ["99999", "Fri, 01 Jan 2100 00:00:00 GMT"])
def test_a_retry_after_over_the_cap_ends_the_run_blocked_at_once(
    tmp_path: Path, asked: str
) -> None:
    """Issue 14 #10: a Retry-After of a day (or a date in 2100) is not waited out."""
    site = old_site(10, per_day=10, per_page=10)
    target = sorted(site.articles)[0]
    with OfflineServer(site) as server:
        server.site.script(target, Reply.html("later", status=429, headers={"Retry-After": asked}))
        started = time.monotonic()
        result = run_crawl(tmp_path, server.url, "-s", "KOMPAS_RETRY_AFTER_MAX=5")
        took = time.monotonic() - started
    assert result.returncode == 1, result.stderr
    assert "run blocked: the site asked to wait " in result.stderr
    assert "s (Retry-After), more than KOMPAS_RETRY_AFTER_MAX allows" in result.stderr
    assert took < 30
    run = last_run(tmp_path / "kompas.db")
    assert (run["status"], run["finish_reason"]) == ("blocked", "blocked")
    assert json.loads(run["stats"])["kompas/blocked/retry_after_seconds"] >= 99999


def test_a_listing_that_never_ends_stops_at_repeats_and_at_the_page_limit(tmp_path: Path) -> None:
    """Issue 14 #8: pages listing nothing new twice in a row, or the page limit, end the walk."""
    site = old_site(100, per_day=20, per_page=10)  # 10 newest-first pages
    first_page = site.listing_pages()[0]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with OfflineServer(site) as server:
        for number in range(2, 11):  # every page repeats page 1 and links to the next
            server.site.script(
                index_url(None, number),
                Reply.html(render_listing(first_page, None, number, 99, LISTING_2024)),
            )
        looping = run_crawl(tmp_path / "a", server.url)
        loop_pages = len([hit for hit in server.hits if "indeks.kompas.com/?" in hit.url])
        server.site.unscript()
        server.clear_hits()
        limited = run_crawl(tmp_path / "b", server.url, "-s", "KOMPAS_INDEX_MAX_PAGES=3")
        limit_pages = len([hit for hit in server.hits if "indeks.kompas.com/?" in hit.url])
    assert looping.returncode == 0 and limited.returncode == 0, looping.stderr + limited.stderr
    assert loop_pages == 3
    loop_stats = stats_of(tmp_path / "a" / "kompas.db")
    assert loop_stats["kompas/index/stopped_repeating"] == 1
    assert "kompas/index/walk_complete" not in loop_stats
    assert limit_pages == 3
    limit_stats = stats_of(tmp_path / "b" / "kompas.db")
    assert limit_stats["kompas/index/stopped_page_limit"] == 1
    assert "kompas/index/walk_complete" not in limit_stats
    assert query(tmp_path / "b" / "kompas.db", "SELECT count(*) FROM articles") == [(30,)]
