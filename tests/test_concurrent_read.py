"""Reading never blocks writing and writing never blocks reading (SQLite in WAL mode).

Searches, stats and a streaming export run in this process while another process writes: the real
``scrapy crawl kompas_global`` against the offline site, then ArchiveWriter saving batches nonstop.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from kompas_crawler.items import Article
from kompas_crawler.storage.archive import ArchiveWriter
from kompas_crawler.storage.database import open_archive, open_existing_archive
from kompas_crawler.storage.filters import Filters
from kompas_crawler.storage.rows import count_articles, iter_articles
from kompas_crawler.storage.search import search
from kompas_crawler.storage.stats import stats

ROOT = Path(__file__).resolve().parents[1]
SCRAPY = Path(sys.executable).with_name("scrapy")
# Generous for a 2-core machine shared with other test runs; a blocked side would wait for the
# 30 s busy timeout, or forever, so any pass here means no blocking.
BOUND_SECONDS = 3.0


def _read_once(engine: Engine) -> tuple[float, int]:
    """One round of what users do; the slowest call's seconds and the article count seen."""
    slowest = 0.0
    for call in (
        lambda: search(engine, "Ukraina OR NATO OR Rusia OR pemerintah", limit=10),
        lambda: search(engine, "pemerintah", Filters(sources=("AFP",)), sort="newest"),
        lambda: stats(engine, top=3),
    ):
        started = time.perf_counter()
        call()
        slowest = max(slowest, time.perf_counter() - started)
    return slowest, count_articles(engine)


def test_searches_while_a_real_crawl_writes(tmp_path: Path) -> None:
    pytest.importorskip("kompas_crawler.spiders.kompas_global")
    offline = pytest.importorskip("kompas_crawler.offline")
    database = tmp_path / "archive.db"
    # The reader opens the archive first: the crawl must not wait for it, nor it for the crawl.
    open_archive(f"sqlite:///{database}").dispose()
    engine = open_existing_archive(f"sqlite:///{database}")
    env = {
        **os.environ,
        "KOMPAS_DATABASE_URL": f"sqlite:///{database}",
        "SCRAPY_SETTINGS_MODULE": "kompas_crawler.settings",
    }
    fast = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0"]
    fast += ["-s", "KOMPAS_STORE_FLUSH_SECONDS=0", "-s", "LOG_LEVEL=INFO"]
    with offline.OfflineServer(offline.demo_site()) as server:
        env["KOMPAS_MIRROR"] = server.url
        crawl = subprocess.Popen(
            [str(SCRAPY), "crawl", "kompas_global", *fast],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        rounds, slowest, counts = 0, 0.0, []
        deadline = time.monotonic() + 120
        while crawl.poll() is None and time.monotonic() < deadline:
            seconds, count = _read_once(engine)
            rounds, slowest = rounds + 1, max(slowest, seconds)
            counts.append(count)
        log, _ = crawl.communicate(timeout=60)
    try:
        assert crawl.returncode == 0, log[-3000:]
        assert "database is locked" not in log and "Traceback" not in log
        assert rounds >= 3, "the crawl finished before the readers got going"
        assert slowest < BOUND_SECONDS
        assert counts == sorted(counts)  # every read saw a consistent, growing archive
        final = search(engine, "pemerintah", limit=50)
        assert final.total > 0 and count_articles(engine) >= max(counts)
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------- a busy writer


def _batch(start: int, size: int) -> list[Article]:
    published = datetime(2024, 1, 1, tzinfo=UTC)
    return [
        Article(
            url=f"https://www.kompas.com/global/read/2024/01/01/{start + i:09d}/uji-{start + i}",
            title=f"Uji tulis {start + i} Ukraina NATO",
            published_at=published + timedelta(minutes=start + i),
            body="Pemerintah Ukraina menyatakan kerja sama NATO berlanjut. " * 40,
            writers=[f"Penulis {i % 7}"],
            sources=["AFP" if i % 2 else "Reuters"],
            tags=["Ukraina", "NATO", f"Tag {i % 13}"],
            section="Global",
            fetched_at=published,
        )
        for i in range(size)
    ]


def write_batches(url: str, seconds: float, size: int) -> None:
    """Save batches nonstop for ``seconds``; print the slowest batch and the count as JSON."""
    writer = ArchiveWriter(open_archive(url))
    stop = time.monotonic() + seconds
    slowest, start = 0.0, 0
    while time.monotonic() < stop:
        started = time.perf_counter()
        writer.save_batch(_batch(start, size), seen_at=datetime.now(UTC))
        slowest = max(slowest, time.perf_counter() - started)
        start += size
    print(json.dumps({"slowest": slowest, "written": start}))


def test_reads_and_a_writer_never_block_each_other(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    ArchiveWriter(open_archive(url)).save_batch(_batch(0, 100), seen_at=datetime.now(UTC))
    engine = open_existing_archive(url)
    code = f"from tests.test_concurrent_read import write_batches; write_batches({url!r}, 4, 50)"
    writer = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    slowest, counts, exported = 0.0, [], 0
    try:
        while writer.poll() is None:
            seconds, count = _read_once(engine)
            slowest = max(slowest, seconds)
            counts.append(count)
            # A slow streaming export holds one read snapshot open while the writer commits.
            for exported, _row in enumerate(iter_articles(engine, batch_size=20), 1):
                if exported % 20 == 0:
                    time.sleep(0.002)
        out, _ = writer.communicate(timeout=60)
    except BaseException:
        writer.kill()
        raise
    finally:
        engine.dispose()
    assert writer.returncode == 0
    report = json.loads(out)
    assert report["slowest"] < BOUND_SECONDS, report
    assert slowest < BOUND_SECONDS
    assert len(counts) >= 3 and counts == sorted(counts) and counts[-1] > 100
    assert exported >= 100
