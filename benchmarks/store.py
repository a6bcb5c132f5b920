"""Store throughput alone: ArchiveWriter.save_batch into a fresh SQLite file, no Scrapy.

    .venv/bin/python benchmarks/store.py [--articles 5000] [--batch 100] [--db PATH]

Prints articles/s for inserting new articles, re-saving them unchanged, and saving them all
edited (updates with revisions). Target for inserts: at least 2,000 articles/s.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kompas_crawler.items import Article
from kompas_crawler.storage.archive import ArchiveWriter, SaveCounts, count_articles
from kompas_crawler.storage.database import open_archive

WORDS = [
    "pemerintah",
    "presiden",
    "menteri",
    "luar",
    "negeri",
    "perang",
    "gencatan",
    "senjata",
    "bantuan",
    "kemanusiaan",
    "pemilu",
    "parlemen",
    "ekonomi",
    "inflasi",
    "dolar",
    "minyak",
    "diplomasi",
    "perbatasan",
    "pengungsi",
    "serangan",
    "militer",
    "rudal",
    "pasukan",
    "perdamaian",
    "konferensi",
    "pers",
    "Ukraina",
    "Rusia",
    "Gaza",
    "Israel",
    "Taiwan",
    "China",
]
WRITERS = [f"Penulis {n}" for n in range(40)]
EDITORS = [f"Editor {n}" for n in range(12)]
SOURCES = ["AFP", "Reuters", "AP", "Kompas TV", "BBC", "Al Jazeera"]
TAGS = [f"topik-{n}" for n in range(300)]
START = datetime(2024, 1, 1, tzinfo=UTC)


def synthetic_article(n: int, rng: random.Random, edited: bool = False) -> Article:
    """A Global-article-shaped item of about 500 words."""
    day = START + timedelta(minutes=17 * n)
    body = " ".join(rng.choices(WORDS, k=500))
    if edited:
        body += " Pembaruan: keterangan baru ditambahkan."
    return Article(
        url=f"https://www.kompas.com/global/read/{day:%Y/%m/%d}/{100000000 + n}/judul-{n}",
        article_id=f"{day:%Y%m%d}-{100000000 + n}",
        title=f"Judul berita nomor {n} tentang {rng.choice(WORDS)}",
        published_at=day,
        updated_at=day + timedelta(hours=2) if edited else None,
        writers=rng.sample(WRITERS, 2),
        editors=[rng.choice(EDITORS)],
        sources=rng.sample(SOURCES, rng.randint(0, 2)),
        section="Global",
        subsection="Internasional",
        tags=rng.sample(TAGS, 4),
        dateline="JAKARTA, KOMPAS.com",
        body=body,
        related_urls=[
            f"https://www.kompas.com/global/read/2023/12/31/{200000000 + n * 3 + k}/lain"
            for k in range(3)
        ],
        image_url=f"https://asset.kompas.com/crops/{n}.jpg",
        image_caption="Keterangan foto",
        image_credit="AFP",
        fetched_at=day + timedelta(hours=1),
    )


def timed(
    label: str, writer: ArchiveWriter, batches: list[list[Article]], seen: datetime
) -> SaveCounts:
    total = SaveCounts()
    count = sum(len(batch) for batch in batches)
    started, cpu_started = time.perf_counter(), time.process_time()
    for batch in batches:
        total += writer.save_batch(batch, seen)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    # Per CPU-second too: on a shared machine the wall-clock rate depends on the neighbours.
    print(
        f"{label:<22} {count:>7} articles  {elapsed:6.2f} s  {count / elapsed:>7,.0f} articles/s"
        f"  ({count / cpu:,.0f} per CPU-second)"
    )
    print(f"{'':<22} {total}")
    return total


def in_batches(articles: list[Article], size: int) -> list[list[Article]]:
    return [articles[start : start + size] for start in range(0, len(articles), size)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--db", type=Path, help="SQLite file to create (default: a temp folder)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        path = args.db or Path(folder) / "bench.db"
        path.unlink(missing_ok=True)
        engine = open_archive(f"sqlite:///{path}")
        writer = ArchiveWriter(engine)
        rng = random.Random(7)
        make: Callable[[int], Article] = lambda n: synthetic_article(n, rng)  # noqa: E731
        originals = [make(n) for n in range(args.articles)]
        rng = random.Random(7)
        edits = [synthetic_article(n, rng, edited=True) for n in range(args.articles)]
        now = datetime.now(UTC)
        print(f"store benchmark: SQLite {path}, batches of {args.batch}")
        timed("insert (new)", writer, in_batches(originals, args.batch), now)
        timed("re-save (unchanged)", writer, in_batches(originals, args.batch), now)
        timed("save edited (updated)", writer, in_batches(edits, args.batch), now)
        print(f"articles stored: {count_articles(engine)}, file {path.stat().st_size / 1e6:.1f} MB")
        engine.dispose()


if __name__ == "__main__":
    main()
