"""The crawl run record: what the `crawl_runs` row of a real run holds, and how a run's status is
judged from its stats."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from kompas_crawler.extensions import run_outcome
from kompas_crawler.offline import OfflineServer, demo_site
from kompas_crawler.storage.runs import jsonable
from tests.crawling import last_run, run_crawl


@pytest.mark.parametrize(
    ("stats", "status", "says"),
    [
        ({"finish_reason": "finished", "kompas/run/pages_ok": 3, "kompas/store/new": 2}, "ok", ""),
        ({"finish_reason": "finished", "kompas/run/pages_ok": 2}, "ok", "0 new"),  # nothing new
        ({"finish_reason": "finished"}, "ok", ""),  # nothing to ask: every day complete
        ({"finish_reason": "shutdown", "kompas/run/pages_ok": 2}, "failed", "'shutdown'"),
        ({"finish_reason": "locked"}, "locked", "another crawl"),
        ({"finish_reason": "finished", "downloader/request_count": 4}, "failed", "unreachable"),
        (
            {"finish_reason": "finished", "kompas/run/pages_ok": 1, "log_count/ERROR": 3},
            "failed",
            "errors and no article",
        ),
        (
            {
                "finish_reason": "finished",
                "kompas/run/pages_ok": 9,
                "log_count/ERROR": 3,
                "kompas/store/unchanged": 1,
            },
            "ok",
            "3 errors",
        ),
    ],
)
def test_run_outcome(stats: dict[str, Any], status: str, says: str) -> None:
    outcome, summary = run_outcome(stats)
    assert outcome == status
    assert says in summary


def printed_stats(log: str) -> dict[str, Any]:
    """The stats Scrapy dumped at the end of a log, as Python values."""
    dump = log.split("Dumping Scrapy stats:\n", 1)[1]
    text = re.split(r"\n\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ", dump, maxsplit=1)[0]
    namespace = {"datetime": __import__("datetime"), "timezone": timezone}
    return eval(text, namespace)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("demo")
    with OfflineServer(demo_site()) as server:
        result = run_crawl(folder, server.url, "-a", "max_pages=9")
    assert result.returncode == 0, result.stderr
    log = folder / result.stdout.rsplit("log: ", 1)[1].strip()
    return {"row": last_run(folder / "kompas.db"), "log": log.read_text(encoding="utf-8")}


def test_the_stored_stats_are_the_ones_scrapy_prints(demo_run: dict[str, Any]) -> None:
    stored = json.loads(demo_run["row"]["stats"])
    assert stored == jsonable(printed_stats(demo_run["log"]))


def test_the_run_record_holds_the_headline_counts(demo_run: dict[str, Any]) -> None:
    row = demo_run["row"]
    stats = json.loads(row["stats"])
    assert (row["spider"], row["status"], row["finish_reason"]) == (
        "kompas_global",
        "ok",
        "finished",
    )
    assert datetime.fromisoformat(row["started_at"]) < datetime.fromisoformat(row["finished_at"])
    assert json.loads(row["arguments"])["spider"] == {"max_pages": "9"}
    assert json.loads(row["arguments"])["settings"]["AUTOTHROTTLE_ENABLED"] == "False"
    assert row["requests"] == stats["downloader/request_count"]
    assert json.loads(row["responses_by_status"]) == {
        "200": stats["downloader/response_status_count/200"]
    }
    assert (row["articles_new"], row["articles_updated"], row["articles_unchanged"]) == (29, 0, 0)
    assert json.loads(row["dropped_by_reason"]) == {"missing_body": 1}  # the broken page
    assert row["errors"] == stats.get("log_count/ERROR", 0) == 0
    assert row["pid"] and row["host"]
    assert f"Crawl run {row['id']}: run ok (29 new" in demo_run["log"]


def test_stats_are_stored_as_json(tmp_path: Path) -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert jsonable({"start_time": when, "n": 1, "x": {1, 2}, "p": tmp_path}) == {
        "start_time": "2026-01-02T03:04:05+00:00",
        "n": 1,
        "x": [1, 2],
        "p": str(tmp_path),
    }
