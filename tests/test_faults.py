"""Faults, against the offline site: retried when worth it, counted and logged when not, the rest
of the crawl completes, nothing wrong is stored; 429/503 Retry-After slow the crawl as asked."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kompas_crawler.offline import OfflineServer, Reply, render_article
from kompas_crawler.retry_after import DownloadPause, retry_after_seconds
from tests.crawling import hits_for, last_run, old_site, query, run_crawl

MAXSIZE = 100_000


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (b"3", 3.0),
        ("Wed, 25 Nov 2026 00:01:00 GMT", 60.0),
        ("Wed, 25 Nov 2026 00:00:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_values(value: Any, seconds: float | None) -> None:
    now = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    assert retry_after_seconds(value, now) == seconds


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One crawl of a 16-article day where 9 articles misbehave."""
    site = old_site(16, per_day=16, per_page=20)
    specs = sorted(site.articles.values(), key=lambda spec: spec.url)
    page = {spec.url: render_article(spec) for spec in specs}
    transient = {  # fail once, then answer
        "500": Reply.html("oops", status=500),
        "503": Reply.html("busy", status=503),
        "timeout": Reply.html(page[specs[2].url], delay=2.0),
        "reset": Reply(reset=True),
    }
    for spec, reply in zip(specs, transient.values(), strict=False):
        site.script(spec.url, reply, Reply.html(page[spec.url]))
    permanent = {
        "truncated": Reply.html(page[specs[4].url], truncate_to=400),
        "empty": Reply(status=200, body=b""),
        "oversize": Reply.html(page[specs[6].url] + "<!--" + "x" * MAXSIZE + "-->"),
        "garbage": Reply.html("<html><body><div><p>\x00 <<< garbage >>> <scr"),
        "reset-always": Reply(reset=True),
    }
    for spec, reply in zip(specs[4:], permanent.values(), strict=False):
        site.script(spec.url, reply)
    folder = tmp_path_factory.mktemp("faults")
    with OfflineServer(site) as server:
        result = run_crawl(
            folder,
            server.url,
            "-s",
            "DOWNLOAD_TIMEOUT=1",
            "-s",
            f"DOWNLOAD_MAXSIZE={MAXSIZE}",
            "-s",
            "RETRY_TIMES=1",
        )
        hits = {spec.url: len(hits_for(server, spec.url)) for spec in specs}
    log = next((folder / "data" / "logs").glob("crawl-*.log")).read_text(encoding="utf-8")
    return {
        "result": result,
        "database": folder / "kompas.db",
        "specs": specs,
        "hits": hits,
        "log": log,
        "transient": list(transient),
        "permanent": list(permanent),
    }


def test_transient_faults_are_retried_and_their_articles_stored(faulty: dict[str, Any]) -> None:
    specs = faulty["specs"]
    for spec, _fault in zip(specs, faulty["transient"], strict=False):
        assert faulty["hits"][spec.url] == 2, _fault


def test_the_rest_completes_and_only_right_articles_are_stored(faulty: dict[str, Any]) -> None:
    # 2 of the 13 pages read had no article (the empty 200, the garbage): below the body floor.
    assert faulty["result"].returncode == 4, faulty["result"].stderr
    assert "run degraded: title filled in 85% of 13 articles" in faulty["result"].stderr
    specs = faulty["specs"]
    broken = {spec.url for spec in specs[4:9]}
    expected = sorted((s.url, s.title, s.body) for s in specs if s.url not in broken)
    stored = query(faulty["database"], "SELECT url, title, body FROM articles ORDER BY url")
    assert stored == expected


def test_permanent_faults_are_counted_and_logged(faulty: dict[str, Any]) -> None:
    run = last_run(faulty["database"])
    stats = json.loads(run["stats"])
    assert run["status"] == "degraded"  # articles stored, but 2 of 13 pages read had none
    assert (run["articles_new"], run["errors"]) == (11, stats["log_count/ERROR"])
    assert stats["retry/count"] >= 4
    assert stats["downloader/exception_type_count/scrapy.exceptions.ResponseDataLossError"] >= 1
    assert stats["downloader/exception_type_count/scrapy.exceptions.DownloadCancelledError"] == 1
    assert stats["downloader/exception_type_count/scrapy.exceptions.DownloadTimeoutError"] == 1
    assert json_dropped(run) == {"missing_title": 2}  # the empty 200 and the garbage page
    for spec in faulty["specs"][4:9]:
        assert spec.url.split("/read/")[1] in faulty["log"]


def json_dropped(run: dict[str, Any]) -> dict[str, int]:
    return json.loads(run["dropped_by_reason"])


def test_retry_after_pauses_the_crawl_as_long_as_asked(tmp_path: Path) -> None:
    site = old_site(10, per_day=10, per_page=10)
    first, second = sorted(site.articles)[:2]
    site.script(
        first,
        Reply.html("busy", status=503, headers={"Retry-After": "2"}),
        Reply.html(render_article(site.articles[first])),
    )
    site.script(
        second,
        Reply.html("slow down", status=429),
        Reply.html(render_article(site.articles[second])),
    )
    with OfflineServer(site) as server:
        result = run_crawl(tmp_path, server.url, "-s", "KOMPAS_RETRY_AFTER_DEFAULT=1")
        hits = server.hits
    assert result.returncode == 0, result.stderr
    times = {url: [hit.time for hit in hits if hit.url == url] for url in (first, second)}
    assert times[first][1] - times[first][0] >= 1.95
    assert times[second][1] - times[second][0] >= 0.95
    # Nothing at all was asked of the site while it said to wait (in-flight requests aside:
    # on a loaded machine those can reach the server most of a second after the 503/429).
    paused_from = min(times[first][0], times[second][0]) + 0.8
    assert [hit.url for hit in hits if paused_from < hit.time < times[first][0] + 1.95] == []
    run = last_run(tmp_path / "kompas.db")
    assert run["articles_new"] == 10
    assert '"kompas/retry_after/503": 1' in run["stats"]
    assert '"kompas/retry_after/429": 1' in run["stats"]


def test_a_pause_extended_while_waited_on_holds_until_its_new_end() -> None:
    # A 429 asks for 1 s, then a 503 for longer: a request already waiting must not go at 1 s.
    pause = DownloadPause()

    async def waited() -> float:
        pause.extend(0.2)
        started = time.monotonic()
        waiting = asyncio.ensure_future(pause.wait())
        await asyncio.sleep(0.05)
        pause.extend(0.5)
        await waiting
        return time.monotonic() - started

    assert asyncio.run(waited()) >= 0.5
