"""Scale-out benchmark: 1, 2 and 4 cooperating backfill workers on one archive, one range.

    .venv/bin/python benchmarks/scale_out.py                       # 2,000 articles, SQLite
    .venv/bin/python benchmarks/scale_out.py --postgres            # a throwaway PostgreSQL
    .venv/bin/python benchmarks/scale_out.py --articles 400 --polite-articles 40

Each round starts N real ``kompas-crawler crawl -a start_date=.. -a end_date=..`` processes on a
fresh archive against the offline mirror and times them from the first start to the last exit.
Printed for each N: articles/s and requests/s of all workers together, as ratios against the
1-worker round measured in the same run,

- with politeness off (no delay, no AutoThrottle): the speed-up of parallel parsing and storing;
- with the default politeness on (DOWNLOAD_DELAY, AutoThrottle): the total request rate should
  stay flat as workers are added (each worker's delay is scaled by the live workers).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kompas_crawler.offline import OfflineServer, generated_site  # noqa: E402

KOMPAS_CRAWLER = str(Path(sys.executable).parent / "kompas-crawler")
WORKERS = (1, 2, 4)
FAST = {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0"}
COMMON = {"KOMPAS_REVISIT_HOURS": "0", "LOG_LEVEL": "INFO"}


@dataclass
class Round:
    workers: int
    articles: int
    requests: int
    seconds: float

    @property
    def articles_per_second(self) -> float:
        return self.articles / self.seconds

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds


def totals(url: str) -> tuple[int, int]:
    """(articles stored, requests made by every run) in an archive."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            articles = connection.execute(text("SELECT count(*) FROM articles")).scalar_one()
            requests = connection.execute(text("SELECT sum(requests) FROM crawl_runs")).scalar()
    finally:
        engine.dispose()
    return int(articles), int(requests or 0)


def run_round(
    workers: int, mirror: str, url: str, days: tuple[str, str], settings: dict[str, str], tmp: Path
) -> Round:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOMPAS_")}
    env.update(KOMPAS_MIRROR=mirror, KOMPAS_DATABASE_URL=url)
    options = [
        arg for name, value in {**COMMON, **settings}.items() for arg in ("-s", f"{name}={value}")
    ]
    command = [
        KOMPAS_CRAWLER,
        "crawl",
        "-q",
        *options,
        *("-a", f"start_date={days[0]}", "-a", f"end_date={days[1]}"),
    ]
    started = time.monotonic()
    processes = []
    for number in range(workers):
        folder = tmp / f"worker{number}"
        folder.mkdir(parents=True, exist_ok=True)
        processes.append(
            subprocess.Popen(
                command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        )
    for process in processes:
        _, err = process.communicate()
        if process.returncode != 0:
            sys.exit(f"a worker failed ({process.returncode}): {err.decode()[-2000:]}")
    seconds = time.monotonic() - started
    articles, requests = totals(url)
    return Round(workers, articles, requests, seconds)


class Archives:
    """A fresh archive per round: SQLite files, or databases on a throwaway PostgreSQL."""

    def __init__(self, tmp: Path, postgres: bool) -> None:
        self.tmp = tmp
        self.count = 0
        self.server = None
        self.cluster = None
        if postgres:
            from tests.postgres import Cluster, PostgresServer, _binary_folder

            binaries = _binary_folder()
            if binaries is None:
                sys.exit("--postgres: no PostgreSQL server binaries (initdb, pg_ctl) found")
            owner = None
            if os.geteuid() == 0:
                import pwd

                owner = pwd.getpwnam("postgres")
            self.cluster = Cluster(binaries, owner)
            self.server = PostgresServer(self.cluster.start())

    def fresh(self) -> str:
        self.count += 1
        if self.server is not None:
            return self.server.database()
        return f"sqlite:///{self.tmp / f'archive{self.count}.db'}"

    def close(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()


def rounds(
    label: str, articles: int, settings: dict[str, str], archives: Archives, tmp: Path
) -> None:
    site = generated_site(articles, per_day=20, per_page=10, day_step=1)
    first, last = min(site.days), max(site.days)
    days = (first.isoformat(), last.isoformat())
    print(f"\n{label}: {len(site.articles):,d} articles over {len(site.days)} days")
    print(
        f"{'workers':>7}  {'seconds':>8}  {'articles/s':>10}  {'x1':>5}  "
        f"{'requests/s':>10}  {'x1':>5}"
    )
    base: Round | None = None
    with OfflineServer(site) as server:
        for workers in WORKERS:
            result = run_round(workers, server.url, archives.fresh(), days, settings, tmp / label)
            if result.articles != len(site.articles):
                print(f"WARNING: stored {result.articles} of {len(site.articles)} articles")
            base = base or result
            print(
                f"{workers:>7}  {result.seconds:>8.1f}  {result.articles_per_second:>10.1f}  "
                f"{result.articles_per_second / base.articles_per_second:>5.2f}  "
                f"{result.requests_per_second:>10.2f}  "
                f"{result.requests_per_second / base.requests_per_second:>5.2f}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000, help="mirror, politeness off")
    parser.add_argument(
        "--polite-articles", type=int, default=60, help="mirror, default politeness (slow)"
    )
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL archive")
    args = parser.parse_args()
    print(f"Machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="kompas-scale-") as folder:
        tmp = Path(folder)
        archives = Archives(tmp, args.postgres)
        print(f"Archive: {'PostgreSQL' if args.postgres else 'SQLite'}")
        try:
            rounds("politeness off", args.articles, FAST, archives, tmp)
            if args.polite_articles:
                rounds("default politeness", args.polite_articles, {}, archives, tmp)
        finally:
            archives.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
