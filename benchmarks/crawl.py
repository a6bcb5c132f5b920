"""Crawl benchmark: the real spider, full extraction and storage, against a large offline mirror.

    .venv/bin/python benchmarks/crawl.py                 # 2,000 articles
    .venv/bin/python benchmarks/crawl.py --articles 10000

Prints, from one run on this machine:
- articles/s of ``scrapy crawl kompas_global`` (extraction + validation + dedup + SQLite storage)
  against a generated mirror, its peak memory, and memory sampled as the archive grows;
- ``scrapy bench``'s pages/s (Scrapy's own baseline: link-only pages, no parsing, no storage) and
  the ratio of the two (target >= 0.6);
- the store pipeline alone: articles/s written to a fresh archive (target >= 2,000).
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from scrapy.http import HtmlResponse, Request
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from kompas_crawler.offline import OfflineServer, OfflineSite, generated_site
from kompas_crawler.pages.article import parse_article
from kompas_crawler.pipelines.store import StorePipeline
from kompas_crawler.storage.database import open_archive

RATIO_TARGET = 0.6
STORE_TARGET = 2000
SAMPLE_SECONDS = 0.25
# Local mirror: no politeness delay, Scrapy's default concurrency (as scrapy bench uses).
CRAWL_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "LOG_LEVEL": "INFO",
    "KOMPAS_REVISIT_HOURS": "0",
}


@dataclass
class CrawlResult:
    articles: int
    seconds: float
    peak_rss_mb: float
    samples: list[tuple[float, int, float]] = field(default_factory=list)  # (t, stored, rss MB)
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.articles / self.seconds if self.seconds else 0.0


def final_stats(log: str) -> dict[str, float]:
    """The numeric stats Scrapy dumps when a crawl closes."""
    dump = log.rsplit("Dumping Scrapy stats:", 1)[-1]
    return {key: float(value) for key, value in re.findall(r"'([^']+)': ([\d.]+)[,}]", dump)}


def rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(match[1]) / 1024 if match else None


def stored_count(database: Path) -> int:
    if not database.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1) as connection:
            return int(connection.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.Error:
        return 0


def crawl(server: OfflineServer, workdir: Path) -> CrawlResult:
    """``scrapy crawl kompas_global`` into a fresh archive, sampling memory as it fills."""
    database = workdir / "bench.db"
    env = {
        **os.environ,
        "KOMPAS_MIRROR": server.url,
        "KOMPAS_DATABASE_URL": f"sqlite:///{database}",
        "SCRAPY_SETTINGS_MODULE": "kompas_crawler.settings",
    }
    settings = [arg for name, value in CRAWL_SETTINGS.items() for arg in ("-s", f"{name}={value}")]
    command = [sys.executable, "-m", "scrapy", "crawl", "kompas_global", *settings]
    process = subprocess.Popen(
        command, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(process.stdout or []), daemon=True)
    reader.start()
    started = time.monotonic()
    samples: list[tuple[float, int, float]] = []
    while process.poll() is None:
        rss = rss_mb(process.pid)
        if rss is not None:
            samples.append((time.monotonic() - started, stored_count(database), rss))
        time.sleep(SAMPLE_SECONDS)
    reader.join()
    log = "".join(output)
    if process.returncode != 0:
        sys.exit(f"crawl failed ({process.returncode}):\n{log[-4000:]}")
    stats = final_stats(log)
    return CrawlResult(
        articles=int(stats.get("kompas/store/new", 0)),
        seconds=stats["elapsed_time_seconds"],
        peak_rss_mb=max(stats.get("memusage/max", 0) / 2**20, max(s[2] for s in samples)),
        samples=samples,
        stats=stats,
    )


def scrapy_bench(workdir: Path) -> float:
    """pages/s of ``scrapy bench`` (default settings, outside any project)."""
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "bench", "-s", "LOG_LEVEL=INFO"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    stats = final_stats(result.stdout + result.stderr)
    return stats["response_received_count"] / stats["elapsed_time_seconds"]


def store_throughput(site: OfflineSite, workdir: Path, count: int) -> tuple[float, float]:
    """Pages parsed per second, and articles/s through the store pipeline alone."""
    specs = list(site.articles.values())[:count]
    fetched_at = datetime.now(UTC)
    started = time.perf_counter()
    articles = []
    for spec in specs:
        body = site.reply(spec.url).body
        response = HtmlResponse(spec.url, body=body, encoding="utf-8", request=Request(spec.url))
        articles.append(parse_article(response, fetched_at))
    parse_rate = len(articles) / (time.perf_counter() - started)

    engine = open_archive(f"sqlite:///{workdir / 'store.db'}")
    stats = MemoryStatsCollector(get_crawler())
    pipeline = StorePipeline(engine, stats, batch_size=100, flush_seconds=0)
    started = time.perf_counter()
    for article in articles:
        pipeline.process_item(article)
    pipeline.close_spider()
    store_rate = len(articles) / (time.perf_counter() - started)
    assert stats.get_value("kompas/store/new") == len(articles)
    return parse_rate, store_rate


def memory_table(result: CrawlResult, rows: int = 8) -> list[str]:
    """RSS at evenly spaced points of archive growth."""
    growing = [s for s in result.samples if s[1] > 0]
    if not growing:
        return []
    last = growing[-1][1]
    lines = []
    for step in range(1, rows + 1):
        target = last * step / rows
        sample = next(s for s in growing if s[1] >= target)
        lines.append(
            f"    {sample[1]:>7,d} stored   {sample[2]:7.1f} MB RSS   (t={sample[0]:5.1f}s)"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000, help="size of the mirror")
    parser.add_argument(
        "--days-2026", type=int, default=0, help="how many of its days are in the 2026 markup"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kompas-bench-") as tmp:
        workdir = Path(tmp)
        started = time.perf_counter()
        site = generated_site(args.articles, days_2026=args.days_2026)
        print(
            f"Mirror: {len(site.articles):,d} articles, {len(site.page_urls()):,d} URLs, "
            f"generated in {time.perf_counter() - started:.2f}s"
        )
        print(f"Machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")

        bench_rate = scrapy_bench(workdir)
        print(f"\nscrapy bench: {bench_rate:8.1f} pages/s")

        with OfflineServer(site) as server:
            result = crawl(server, workdir)
        requests = result.stats.get("downloader/request_count", 0)
        print(
            f"kompas crawl: {result.rate:8.1f} articles/s  "
            f"({result.articles:,d} articles, {requests:,.0f} requests in {result.seconds:.1f}s)"
        )
        ratio = result.rate / bench_rate
        verdict = "OK" if ratio >= RATIO_TARGET else "BELOW TARGET"
        print(f"ratio:        {ratio:8.2f}  (target >= {RATIO_TARGET}: {verdict})")
        if result.articles != args.articles:
            print(f"WARNING: stored {result.articles} of {args.articles} articles")

        print(f"\nPeak memory: {result.peak_rss_mb:.1f} MB RSS; as the archive grows:")
        print("\n".join(memory_table(result)))

        parse_rate, store_rate = store_throughput(site, workdir, min(args.articles, 2000))
        verdict = "OK" if store_rate >= STORE_TARGET else "BELOW TARGET"
        print(f"\nExtraction alone:     {parse_rate:8.1f} pages/s (parse_article, in process)")
        target = f"target >= {STORE_TARGET}: {verdict}"
        print(f"Store pipeline alone: {store_rate:8.1f} articles/s ({target})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
