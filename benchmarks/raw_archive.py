"""Raw-archive benchmark: what keeping every page as WARC costs, and how fast reextract reads it.

    .venv/bin/python benchmarks/raw_archive.py                 # 2,000-article mirror
    .venv/bin/python benchmarks/raw_archive.py --articles 500 --rounds 1

Prints, from one run against one generated mirror (see benchmarks/crawl.py):
- bytes of WARC per article (and per page: listings, page 1 of multi-page articles included);
- crawl articles/s with capture on vs off, crawls alternated (target: on within 10% of off);
- crawl articles/s with CONCURRENT_ITEMS=4 vs Scrapy's default 100 (capture on);
- ``reextract`` articles/s into an empty archive, and over the crawled one (target >= 150/s).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from crawl import CRAWL_SETTINGS, final_stats

from kompas_crawler.offline import OfflineServer, generated_site
from kompas_crawler.reextract import Reextractor
from kompas_crawler.storage.database import open_archive

OVERHEAD_TARGET = 0.10
REEXTRACT_TARGET = 150.0


def crawl(server: OfflineServer, workdir: Path, **settings: str) -> tuple[float, int, Path]:
    """One crawl into a fresh archive: (articles/s, articles, WARC folder)."""
    workdir.mkdir(parents=True)
    warc = workdir / "warc"
    env = {
        **os.environ,
        "KOMPAS_MIRROR": server.url,
        "KOMPAS_DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
        "KOMPAS_WARC_DIR": str(warc),
        "SCRAPY_SETTINGS_MODULE": "kompas_crawler.settings",
    }
    chosen = {**CRAWL_SETTINGS, **settings}
    options = [arg for name, value in chosen.items() for arg in ("-s", f"{name}={value}")]
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "kompas_global", *options],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"crawl failed ({done.returncode}):\n{done.stderr[-4000:]}")
    stats = final_stats(done.stderr)
    articles = int(stats.get("kompas/store/new", 0))
    return articles / stats["elapsed_time_seconds"], articles, warc


def reextract_rate(warc: Path, database: Path) -> tuple[float, int]:
    """articles/s of a reextract run (in process, as the command does it)."""
    engine = open_archive(f"sqlite:///{database}")
    started = time.perf_counter()
    report = Reextractor(engine, warc).run()
    seconds = time.perf_counter() - started
    engine.dispose()
    return report.articles / seconds, report.articles


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000, help="size of the mirror")
    parser.add_argument("--rounds", type=int, default=2, help="crawls of each kind, alternated")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kompas-raw-bench-") as tmp:
        root = Path(tmp)
        site = generated_site(args.articles)
        print(
            f"Mirror: {len(site.articles):,d} articles; {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.2f}"
        )
        on = {"KOMPAS_WARC_ENABLED": "1"}
        kinds = {  # the project's CONCURRENT_ITEMS=4 with capture on and off, then Scrapy's 100
            "capture on, CONCURRENT_ITEMS=4": {**on, "CONCURRENT_ITEMS": "4"},
            "capture off, CONCURRENT_ITEMS=4": {
                "KOMPAS_WARC_ENABLED": "0",
                "CONCURRENT_ITEMS": "4",
            },
            "capture on, CONCURRENT_ITEMS=100": {**on, "CONCURRENT_ITEMS": "100"},
        }
        rates: dict[str, list[float]] = {kind: [] for kind in kinds}
        kept: Path | None = None
        with OfflineServer(site) as server:
            for round_number in range(args.rounds):
                for number, (kind, settings) in enumerate(kinds.items()):
                    workdir = root / f"crawl-{round_number}-{number}"
                    rate, articles, warc = crawl(server, workdir, **settings)
                    rates[kind].append(rate)
                    print(f"  {kind:<36} {rate:7.1f} articles/s ({articles:,d} articles)")
                    if kept is None and settings["KOMPAS_WARC_ENABLED"] == "1":
                        kept = workdir
        assert kept is not None
        warc = kept / "warc"
        total = sum(path.stat().st_size for path in warc.glob("*.warc.gz"))
        stored = args.articles
        print(
            f"\nWARC: {total / 2**20:.1f} MiB for {stored:,d} articles: "
            f"{total / stored / 1024:.1f} KiB per article"
        )

        median = {kind: statistics.median(values) for kind, values in rates.items()}
        on, off, hundred = median.values()
        overhead = 1 - on / off
        verdict = "met" if overhead <= OVERHEAD_TARGET else "MISSED"
        print(
            f"Crawl, capture on vs off: {on:.1f} vs {off:.1f} articles/s: "
            f"{overhead:+.1%} slower (target within {OVERHEAD_TARGET:.0%}: {verdict})"
        )
        print(
            f"Crawl, CONCURRENT_ITEMS=4 vs 100: {on:.1f} vs {hundred:.1f} articles/s: "
            f"{on / hundred - 1:+.1%}"
        )

        rate, count = reextract_rate(warc, root / "rebuilt.db")
        verdict = "met" if rate >= REEXTRACT_TARGET else "MISSED"
        print(
            f"\nreextract into an empty archive: {rate:.1f} articles/s ({count:,d} articles; "
            f"target >= {REEXTRACT_TARGET:.0f}: {verdict})"
        )
        rate, count = reextract_rate(warc, kept / "bench.db")
        print(f"reextract over the crawled archive (nothing changes): {rate:.1f} articles/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
