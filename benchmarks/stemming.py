"""What Indonesian stemming costs: write time per article and archive size, with and without.

    .venv/bin/python benchmarks/stemming.py [--articles 20000] [--written 2000]

Two measures. The write path: ``--written`` articles of the offline site's generator saved
through ``ArchiveWriter`` in batches of 100, once as it is and once with the stemmed shadow left
out, so the difference is what stemming adds to a crawl. Size and bulk stemming: an archive of
``--articles`` generated as ``benchmarks/query.py`` does (20,000-word Zipf vocabulary: a cold
stem cache meets new words all along), stemmed by ``stem_stored_articles`` (what revision 0003
runs on an existing archive), its file size compared with the same archive without the shadow.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.query import generate
from kompas_crawler.items import Article
from kompas_crawler.offline.text import as_article, make_article
from kompas_crawler.processors import WIB
from kompas_crawler.stemming import stem_word
from kompas_crawler.storage import archive
from kompas_crawler.storage.database import open_archive

START = datetime(2020, 1, 1, 8, 0, tzinfo=WIB)


def offline_articles(count: int) -> list[Article]:
    specs = [make_article(n, START + timedelta(hours=n), number=n) for n in range(1, count + 1)]
    return [as_article(spec) for spec in specs]


def write_ms(folder: Path, articles: list[Article], *, stems: bool) -> float:
    """Milliseconds per article through ArchiveWriter, with or without the stemmed shadow."""
    engine = open_archive(f"sqlite:///{folder / ('on.db' if stems else 'off.db')}")
    writer = archive.ArchiveWriter(engine)
    kept = archive.write_stems
    if not stems:
        archive.write_stems = lambda _connection, _rows: None  # type: ignore[assignment]
    stem_word.cache_clear()
    try:
        started = time.perf_counter()
        for at in range(0, len(articles), 100):
            writer.save_batch(articles[at : at + 100], START)
        return (time.perf_counter() - started) * 1000 / len(articles)
    finally:
        archive.write_stems = kept  # type: ignore[assignment]
        engine.dispose()


def without_stems(path: Path, target: Path) -> int:
    """The size of ``path`` with the stemmed shadow and its index dropped (then VACUUMed)."""
    shutil.copy(path, target)
    connection = sqlite3.connect(target)
    connection.executescript("DROP TABLE article_stems_fts; DROP TABLE article_stems; VACUUM;")
    connection.close()
    return target.stat().st_size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--written", type=int, default=2_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="kc-stems-"))
    try:
        articles = offline_articles(args.written)
        off, on = write_ms(folder, articles, stems=False), write_ms(folder, articles, stems=True)
        print(f"write path, {args.written:,} offline-site articles, batches of 100:")
        print(f"  without stems {off:.2f} ms/article, with stems {on:.2f} (+{on - off:.2f})")
        path = folder / "generated.db"
        generate(path, args.articles)
        engine = open_archive(f"sqlite:///{path}")
        stem_word.cache_clear()
        started = time.perf_counter()
        with engine.begin() as connection:
            archive.stem_stored_articles(connection)
        seconds = time.perf_counter() - started
        engine.dispose()
        with sqlite3.connect(path) as connection:
            connection.execute("VACUUM")
        connection.close()
        size, bare = path.stat().st_size, without_stems(path, folder / "bare.db")
        info = stem_word.cache_info()
        print(f"bulk stemming, {args.articles:,} generated articles (~330 words each):")
        print(
            f"  {seconds * 1000 / args.articles:.2f} ms/article, {info.currsize:,} distinct words "
            f"stemmed, cache hit rate {info.hits / (info.hits + info.misses):.1%}"
        )
        print(
            f"  archive {bare / 1e6:.1f} MB without stems, {size / 1e6:.1f} MB with "
            f"(+{(size - bare) / bare:.0%})"
        )
    finally:
        shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
