"""The validate, deduplicate and store pipelines, alone and inside a real `scrapy` process."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from kompas_crawler.errors import ConfigError
from kompas_crawler.items import Article
from kompas_crawler.pipelines.deduplicate import DeduplicatePipeline
from kompas_crawler.pipelines.store import StorePipeline, archive_engine
from kompas_crawler.pipelines.validate import ValidatePipeline
from kompas_crawler.storage.archive import known_urls, load_article

ROOT = Path(__file__).resolve().parents[1]
URL = "https://www.kompas.com/global/read/2024/05/01/{n}/judul-{n}"


def article(n: int = 100000001, **changes: Any) -> Article:
    item = Article(
        url=URL.format(n=n),
        article_id=f"20240501-{n}",
        title=f"Judul {n}",
        published_at=datetime(2024, 5, 1, 2, 0, tzinfo=UTC),
        body=f"Isi berita {n}.",
        writers=["Ana"],
        fetched_at=datetime(2024, 5, 1, 3, 0, tzinfo=UTC),
    )
    for name, value in changes.items():
        setattr(item, name, value)
    return item


def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'archive.db'}"


def store_crawler(tmp_path: Path, **settings: Any):  # type: ignore[no-untyped-def]
    return get_crawler(
        settings_dict={
            "KOMPAS_DATABASE_URL": db_url(tmp_path),
            "KOMPAS_STORE_FLUSH_SECONDS": 0,
            **settings,
        }
    )


def stats_of(crawler) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {k: v for k, v in crawler.stats.get_stats().items() if k.startswith("kompas/")}


# -- validate -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("url", None), ("title", None), ("title", "  "), ("published_at", None), ("body", "")],
)
def test_validate_drops_an_article_missing_a_required_field(
    field: str, value: object, caplog: pytest.LogCaptureFixture
) -> None:
    crawler = get_crawler()
    pipeline = ValidatePipeline.from_crawler(crawler)
    item = article(**{field: value})
    with caplog.at_level(logging.WARNING), pytest.raises(DropItem, match=f"missing {field}"):
        pipeline.process_item(item)
    assert stats_of(crawler) == {f"kompas/dropped/missing_{field}": 1}
    expected_url = item.url or "(no url)"
    assert any(expected_url in r.getMessage() and field in r.getMessage() for r in caplog.records)


def test_validate_counts_an_article_once_under_its_first_missing_field() -> None:
    crawler = get_crawler()
    with pytest.raises(DropItem, match="missing title, body"):
        ValidatePipeline.from_crawler(crawler).process_item(article(title=None, body=None))
    assert stats_of(crawler) == {"kompas/dropped/missing_title": 1}


def test_validate_passes_a_complete_article_and_a_dict_item() -> None:
    crawler = get_crawler()
    pipeline = ValidatePipeline.from_crawler(crawler)
    complete = article()
    assert pipeline.process_item(complete) is complete
    assert pipeline.process_item(asdict(complete)) == asdict(complete)
    assert stats_of(crawler) == {}


# -- deduplicate ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "second",
    [
        article(),
        article(url="https://www.kompas.com/global/read/2024/05/01/100000001/slug-baru"),
        article(url="https://amp.kompas.com/global/read/2024/05/01/100000001/judul-100000001"),
        article(article_id=None),
    ],
    ids=["same", "other-slug", "amp-url", "no-article-id"],
)
def test_deduplicate_stores_an_article_once_per_run(second: Article) -> None:
    crawler = get_crawler()
    pipeline = DeduplicatePipeline.from_crawler(crawler)
    pipeline.process_item(article())
    with pytest.raises(DropItem, match="duplicate"):
        pipeline.process_item(second)
    assert stats_of(crawler) == {"kompas/dropped/duplicate": 1}


def test_deduplicate_passes_different_articles() -> None:
    crawler = get_crawler()
    pipeline = DeduplicatePipeline.from_crawler(crawler)
    for n in range(100000001, 100000004):
        pipeline.process_item(article(n))
    assert stats_of(crawler) == {}


# -- store ----------------------------------------------------------------------------------------


def stored_count(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "archive.db") as connection:
        return connection.execute("SELECT count(*) FROM articles").fetchone()[0]


def test_store_writes_in_batches_and_flushes_on_close(tmp_path: Path) -> None:
    crawler = store_crawler(tmp_path, KOMPAS_STORE_BATCH_SIZE=3)
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    for n in range(2):
        pipeline.process_item(article(100000000 + n))
    assert stored_count(tmp_path) == 0
    pipeline.process_item(article(100000002))
    assert stored_count(tmp_path) == 3
    for n in range(3, 5):
        pipeline.process_item(article(100000000 + n))
    assert stored_count(tmp_path) == 3
    pipeline.close_spider()
    assert stored_count(tmp_path) == 5
    assert stats_of(crawler) == {
        "kompas/store/new": 5,
        "kompas/store/updated": 0,
        "kompas/store/unchanged": 0,
    }


def test_store_counts_updated_and_unchanged_on_a_second_run(tmp_path: Path) -> None:
    first = StorePipeline.from_crawler(store_crawler(tmp_path))
    for n in range(3):
        first.process_item(article(100000000 + n))
    first.close_spider()

    crawler = store_crawler(tmp_path)
    second = StorePipeline.from_crawler(crawler)
    second.process_item(article(100000000))
    second.process_item(article(100000001, body="Isi yang diperbarui."))
    second.process_item(article(100000009))
    second.close_spider()
    assert stats_of(crawler) == {
        "kompas/store/new": 1,
        "kompas/store/updated": 1,
        "kompas/store/unchanged": 1,
    }


def test_store_accepts_dict_items(tmp_path: Path) -> None:
    pipeline = StorePipeline.from_crawler(store_crawler(tmp_path))
    pipeline.process_item(asdict(article()))
    pipeline.close_spider()
    stored = load_article(pipeline.engine, "20240501-100000001")
    assert stored is not None and stored.writers == ["Ana"]


def test_store_isolates_an_unstorable_article(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    crawler = store_crawler(tmp_path)
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.process_item(article(100000001))
    pipeline.process_item(article(100000002, body=None))  # validate was bypassed
    pipeline.process_item(article(100000003))
    with caplog.at_level(logging.ERROR):
        pipeline.close_spider()
    assert stored_count(tmp_path) == 2
    assert stats_of(crawler)["kompas/store/failed"] == 1
    assert any("100000002" in record.getMessage() for record in caplog.records)


def test_archive_engine_is_the_pipelines_and_answers_known_urls(tmp_path: Path) -> None:
    crawler = store_crawler(tmp_path)
    pipeline = StorePipeline.from_crawler(crawler)
    assert archive_engine(crawler) is pipeline.engine
    pipeline.process_item(article())
    pipeline.flush()
    assert known_urls(archive_engine(crawler), [article().url or "", URL.format(n=9)]) == {
        article().url
    }


@pytest.mark.parametrize(
    "url",
    ["nonsense://nowhere", "sqlite:///{tmp}/a-file/archive.db", "postgresql+nodriver://x/db"],
)
def test_store_refuses_an_unusable_database_url(
    tmp_path: Path, url: str, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    crawler = get_crawler(settings_dict={"KOMPAS_DATABASE_URL": url.format(tmp=tmp_path)})
    with caplog.at_level(logging.CRITICAL), pytest.raises(ConfigError, match="KOMPAS_DATABASE_URL"):
        StorePipeline.from_crawler(crawler)
    assert "KOMPAS_DATABASE_URL" in caplog.records[-1].getMessage()


# -- inside a real Scrapy process -----------------------------------------------------------------

SPIDER = '''
import asyncio, os, sys
from datetime import UTC, datetime
import scrapy
from kompas_crawler.items import Article
from kompas_crawler.pipelines.store import archive_engine
from kompas_crawler.storage.archive import count_articles

class ItemsSpider(scrapy.Spider):
    """Yields N articles (plus a duplicate and an incomplete one) with no request, then waits."""
    name = "items"

    async def start(self):
        n = int(os.environ["N_ITEMS"])
        for i in range(n):
            yield Article(url=f"https://www.kompas.com/global/read/2024/05/01/{100000000 + i}/s",
                          title=f"T{i}", published_at=datetime(2024, 5, 1, tzinfo=UTC), body="b")
        yield Article(url="https://amp.kompas.com/global/read/2024/05/01/100000000/s", title="t",
                      published_at=datetime(2024, 5, 1, tzinfo=UTC), body="b")
        yield Article(url="https://www.kompas.com/global/read/2024/05/01/100000999/s", title="t")
        await asyncio.sleep(0.1)
        self.logger.info("ALL YIELDED")
        await asyncio.sleep(float(os.environ.get("WAIT", "0")))
        stored = count_articles(archive_engine(self.crawler))
        self.logger.info("STORED BEFORE CLOSE %d", stored)
'''


def scrapy_run(tmp_path: Path, env: dict[str, str], *settings: str) -> subprocess.Popen[str]:
    spider = tmp_path / "items_spider.py"
    spider.write_text(SPIDER)
    args = [sys.executable, "-m", "scrapy", "runspider", str(spider)]
    for setting in ("LOG_LEVEL=INFO", "LOGSTATS_INTERVAL=0", *settings):
        args += ["-s", setting]
    return subprocess.Popen(
        args,
        cwd=ROOT,  # the project's settings.py, with its ITEM_PIPELINES
        env={**os.environ, "KOMPAS_DATABASE_URL": db_url(tmp_path), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_crawl_stores_everything_and_flushes_on_a_timer(tmp_path: Path) -> None:
    process = scrapy_run(
        tmp_path,
        {"N_ITEMS": "7", "WAIT": "1.5"},
        "KOMPAS_STORE_BATCH_SIZE=5",
        "KOMPAS_STORE_FLUSH_SECONDS=0.3",
    )
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert "STORED BEFORE CLOSE 7" in output  # the 2 past the last full batch, by the timer
    assert "'kompas/store/new': 7" in output
    assert "'kompas/dropped/duplicate': 1" in output
    assert "'kompas/dropped/missing_published_at': 1" in output
    assert stored_count(tmp_path) == 7


def test_ctrl_c_commits_what_was_scraped(tmp_path: Path) -> None:
    process = scrapy_run(tmp_path, {"N_ITEMS": "30", "WAIT": "60"}, "KOMPAS_STORE_FLUSH_SECONDS=0")
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if "ALL YIELDED" in line:
            break
    assert stored_count(tmp_path) == 0  # all 30 pending in one unfinished batch
    process.send_signal(signal.SIGINT)
    output = "".join(lines) + process.communicate(timeout=60)[0]
    assert stored_count(tmp_path) == 30, output
    assert "'kompas/store/new': 30" in output


def test_a_bad_database_url_stops_the_crawl_at_start(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    started = time.monotonic()
    process = scrapy_run(
        tmp_path,
        {"N_ITEMS": "1", "KOMPAS_DATABASE_URL": f"sqlite:///{tmp_path}/a-file/x.db"},
    )
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 1
    [critical] = [line for line in output.splitlines() if "CRITICAL" in line]
    assert "KOMPAS_DATABASE_URL=" in critical and "a-file" in critical
    assert "Spider opened" not in output
    assert time.monotonic() - started < 30
