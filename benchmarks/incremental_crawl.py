"""What a scheduled run costs when nothing is new, on a small and a large archive.

    .venv/bin/python benchmarks/incremental_crawl.py        # 1,000 vs 100,000 articles
    .venv/bin/python benchmarks/incremental_crawl.py --sizes 1000 10000

For each size: an archive holding that many articles (the offline site's 100, plus older ones
written straight through ArchiveWriter) and the record of a previous clean run; then one
``kompas-crawler crawl`` against the site, in its own process. Printed side by side: HTTP requests
made, wall seconds of the run, and the run's peak memory. Target: the same number of requests, and
time and memory that do not grow with the archive.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from kompas_crawler.items import Article
from kompas_crawler.offline import OfflineServer, generated_site
from kompas_crawler.storage.archive import ArchiveWriter
from kompas_crawler.storage.database import open_archive
from kompas_crawler.storage.runs import runs

SITE_ARTICLES = 100
BATCH = 2000
# Runs the command in this process and reports its peak memory (ru_maxrss, KiB on Linux).
_MEASURED = (
    "import resource, sys\n"
    "from kompas_crawler.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def site_article(spec: object) -> Article:
    return Article(
        url=spec.url,  # type: ignore[attr-defined]
        title=spec.title,  # type: ignore[attr-defined]
        published_at=spec.published_utc,  # type: ignore[attr-defined]
        body=spec.body,  # type: ignore[attr-defined]
        writers=list(spec.writers),  # type: ignore[attr-defined]
        tags=list(spec.tags),  # type: ignore[attr-defined]
        section="Global",
        fetched_at=datetime.now(UTC),
    )


def filler(number: int) -> Article:
    """An older stored article (2010-2023), one id a minute."""
    published = datetime(2010, 1, 1, tzinfo=UTC) + timedelta(minutes=7 * number)
    local = published + timedelta(hours=7)
    url = (
        f"https://www.kompas.com/global/read/{local:%Y/%m/%d}/{local:%H%M%S}{number % 10}70/"
        f"artikel-arsip-{number}"
    )
    body = f"JAKARTA, KOMPAS.com - Artikel arsip nomor {number}. " * 30
    return Article(
        url=url,
        title=f"Artikel arsip {number}",
        published_at=published,
        body=body,
        writers=[f"Penulis {number % 50}"],
        tags=["Arsip", f"Topik {number % 200}"],
        section="Global",
        fetched_at=datetime.now(UTC),
    )


def build_archive(path: Path, size: int, site: object) -> float:
    """An archive of ``size`` articles with a clean previous run; seconds it took."""
    started = time.perf_counter()
    engine = open_archive(f"sqlite:///{path}")
    writer = ArchiveWriter(engine)
    seen = datetime.now(UTC)
    writer.save_batch([site_article(s) for s in site.articles.values()], seen)  # type: ignore[attr-defined]
    for start in range(0, size - SITE_ARTICLES, BATCH):
        count = min(BATCH, size - SITE_ARTICLES - start)
        writer.save_batch([filler(start + n) for n in range(count)], seen)
    with engine.begin() as connection:
        connection.execute(
            insert(runs).values(
                spider="kompas_global",
                started_at=datetime(2024, 7, 1),
                finished_at=datetime(2024, 7, 1, 0, 1),
                status="ok",
                finish_reason="finished",
                arguments={"spider": {}, "settings": {}},
                stats={"kompas/index/walk_complete": 1},
            )
        )
    engine.dispose()
    return time.perf_counter() - started


def no_new_run(folder: Path, mirror: str) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOMPAS_")}
    env.update(KOMPAS_MIRROR=mirror, KOMPAS_DATABASE_URL=f"sqlite:///{folder / 'kompas.db'}")
    command = [sys.executable, "-c", _MEASURED, "crawl", "-q"]
    command += ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0"]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"crawl failed ({result.returncode}): {result.stderr}")
    maxrss = next(
        int(line.split()[1]) for line in result.stderr.splitlines() if line.startswith("MAXRSS")
    )
    with sqlite3.connect(folder / "kompas.db") as connection:
        requests, new, articles = connection.execute(
            "SELECT requests, articles_new, (SELECT count(*) FROM articles) "
            "FROM crawl_runs ORDER BY id DESC LIMIT 1"
        ).fetchone()
    return {
        "articles": articles,
        "requests": requests,
        "new": new,
        "seconds": seconds,
        "peak_mib": maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000])
    args = parser.parse_args()
    site = generated_site(SITE_ARTICLES, per_day=20, per_page=20, day_step=1)
    results = {}
    with OfflineServer(site) as server, tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            folder = Path(tmp) / str(size)
            folder.mkdir()
            built = build_archive(folder / "kompas.db", size, site)
            print(f"archive of {size:,} articles built in {built:.1f}s", flush=True)
            results[size] = no_new_run(folder, server.url)
    print()
    print(f"{'no-new-articles run':<24}" + "".join(f"{size:>16,}" for size in args.sizes))
    rows = [
        ("articles in archive", "articles", "{:>16,.0f}"),
        ("HTTP requests", "requests", "{:>16.0f}"),
        ("new articles", "new", "{:>16.0f}"),
        ("wall seconds", "seconds", "{:>16.2f}"),
        ("peak memory (MiB)", "peak_mib", "{:>16.1f}"),
    ]
    for label, key, fmt in rows:
        print(f"{label:<24}" + "".join(fmt.format(results[s][key]) for s in args.sizes))


if __name__ == "__main__":
    main()
