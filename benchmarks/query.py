"""Search and export speed on a generated archive of 100,000 articles.

    .venv/bin/python benchmarks/query.py [--articles 100000] [--db PATH] [--fresh]

One run measures, on the same database: full-text search (``storage.search.search``: bm25 ranking,
snippets, bylines and the total count) against a plain LIKE scan, as median and p95 latency; and
``kompas-crawler export`` (JSON Lines and Parquet) throughput and peak memory for 10% of the
archive and for all of it (flat memory: both peaks should be about the same). Targets: search
>= 50x faster than the scan, median < 50 ms.

The archive is generated once (bulk inserts, FTS index rebuilt at the end) and reused from the
temp folder unless --fresh; its text draws words with a Zipf distribution over a 20,000-word
vocabulary of Indonesian function words, news words and syllable-made tail words, with topical
names (NATO, Ukraina, Gaza...) concentrated in the articles about them, as in real news.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq

from kompas_crawler.storage.database import open_archive
from kompas_crawler.storage.filters import Filters
from kompas_crawler.storage.search import Sort, search

COMMON = [
    "yang",
    "dan",
    "di",
    "itu",
    "dengan",
    "untuk",
    "tidak",
    "ini",
    "dari",
    "dalam",
    "akan",
    "pada",
    "juga",
    "ke",
    "karena",
    "oleh",
    "saat",
    "telah",
    "bahwa",
    "atau",
    "ada",
    "mereka",
    "kata",
    "para",
    "lebih",
    "sudah",
    "setelah",
    "tersebut",
    "dapat",
    "masih",
    "hingga",
    "menjadi",
    "namun",
    "secara",
    "seperti",
    "sebagai",
    "bisa",
    "antara",
    "kami",
    "kita",
    "hari",
    "tahun",
    "baru",
    "negara",
    "pemerintah",
    "presiden",
    "menteri",
    "warga",
    "pihak",
    "orang",
    "dua",
    "tiga",
    "pekan",
    "lalu",
    "kepada",
    "terhadap",
    "sejak",
    "tengah",
    "mengatakan",
    "menurut",
    "sebelumnya",
    "laporan",
    "berita",
    "resmi",
    "internasional",
    "kawasan",
    "kerja",
    "sama",
    "militer",
    "ekonomi",
    "harga",
    "keamanan",
    "perang",
    "serangan",
    "pasukan",
    "perbatasan",
    "bantuan",
    "korban",
    "wilayah",
    "dunia",
    "kota",
    "ibu",
    "besar",
    "utama",
    "keputusan",
    "kebijakan",
    "pertemuan",
    "diplomat",
    "perundingan",
    "sanksi",
    "kesepakatan",
    "rakyat",
    "partai",
    "pemilihan",
]
# Names and phrases of a story, inserted whole: "Laut China Selatan" is a phrase in real text too.
TOPICS = {
    topic: phrases.split(", ")
    for topic, phrases in {
        "ukraina": "NATO, Ukraina, Rusia, Kiev, Moskwa, Volodymyr Zelensky, Vladimir Putin, invasi",
        "gaza": "Gaza, Israel, Hamas, Palestina, Tepi Barat, gencatan senjata, Benjamin Netanyahu",
        "amerika": "Amerika Serikat, pemilu, Washington, Joe Biden, Donald Trump, Kongres",
        "china": "China, Beijing, Xi Jinping, Taiwan, Laut China Selatan, Partai Komunis",
        "pangan": "krisis pangan, gandum, beras, inflasi, pasokan, petani, harga pangan",
        "kesehatan": "vaksin, vaksinasi, wabah, pandemi, WHO, rumah sakit, virus corona",
        "iklim": "perubahan iklim, emisi karbon, banjir, kekeringan, COP28, gelombang panas",
        "asean": "ASEAN, Myanmar, junta militer, Filipina, Malaysia, Thailand, Singapura",
    }.items()
}
# People in the news now and then: each in about 0.5% of the articles.
MINOR = """Anwar Ibrahim, Recep Tayyip Erdogan, Fumio Kishida, Sergei Lavrov, Antony Blinken,
Emmanuel Macron, Olaf Scholz, Narendra Modi, Yoon Suk Yeol, Anthony Albanese, Rishi Sunak,
Lula da Silva, Ferdinand Marcos, Srettha Thavisin, Jacinda Ardern, Kim Jong Un, Antonio Guterres,
Ursula von der Leyen, Mohammed bin Salman, Abdel Fattah el-Sisi, Cyril Ramaphosa, Justin Trudeau,
Lee Hsien Loong, Ebrahim Raisi""".replace("\n", " ").split(", ")
SOURCES = ["AFP", "Reuters", "AP", "BBC", "Al Jazeera", "CNN", "Kyodo", "Xinhua"]
# (query, filters, sort): broad stories (~6% of the archive each), specific names (~0.5%), and
# the filtered and newest-first paths.
QUERIES: list[tuple[str, Filters, Sort]] = [
    ("NATO Ukraina", Filters(), "relevance"),
    ("Gaza", Filters(), "relevance"),
    ('"Laut China Selatan"', Filters(), "relevance"),
    ("vaksin*", Filters(), "relevance"),
    ("Anwar Ibrahim", Filters(), "relevance"),
    ("Erdogan", Filters(), "relevance"),
    ('"Sergei Lavrov"', Filters(), "relevance"),
    ("Kishida", Filters(), "relevance"),
    ("Antarktika", Filters(), "relevance"),  # no match: a common search too
    ("Gaza", Filters(since=date(2023, 1, 1), sources=("AFP",)), "relevance"),
    ("krisis pangan", Filters(), "newest"),
]
SYLLABLES = [
    "ba",
    "be",
    "bi",
    "bu",
    "da",
    "di",
    "du",
    "ga",
    "gi",
    "gu",
    "ka",
    "ki",
    "ku",
    "la",
    "li",
    "lu",
    "ma",
    "mi",
    "mu",
    "na",
    "ni",
    "nu",
    "pa",
    "pi",
    "pu",
    "ra",
    "ri",
    "ru",
    "sa",
    "si",
    "su",
    "ta",
    "ti",
    "tu",
    "ja",
    "ju",
    "ha",
    "ng",
    "ny",
]


def vocabulary(rng: random.Random, size: int = 20_000) -> tuple[list[str], list[float]]:
    """Words and their cumulative Zipf weights (s ~ 1.07, as in news text)."""
    words = list(COMMON)
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choices(SYLLABLES, k=rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words, list(itertools.accumulate(1 / rank**1.07 for rank in range(1, size + 1)))


def generate(path: Path, count: int, seed: int = 20220127) -> None:
    """Write ``count`` articles straight into a fresh archive, then build its FTS index."""
    rng = random.Random(seed)
    words, weights = vocabulary(rng)
    open_archive(f"sqlite:///{path}").dispose()  # schema, FTS table and triggers
    connection = sqlite3.connect(path)
    # Per-row trigger inserts are the crawl's path; a one-off bulk load rebuilds the index once.
    triggers = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'articles_fts%'"
    ).fetchall()
    for name, _ in triggers:
        connection.execute(f"DROP TRIGGER {name}")
    writers = [
        f"{rng.choice(COMMON).title()} {''.join(rng.choices(SYLLABLES, k=3)).title()}"
        for _ in range(150)
    ]
    tags = sorted({w for topic in TOPICS.values() for w in topic} | set(words[300:3000]))
    connection.executemany(
        "INSERT INTO people (id, name) VALUES (?, ?)", enumerate(dict.fromkeys(writers), 1)
    )
    connection.executemany("INSERT INTO sources (id, name) VALUES (?, ?)", enumerate(SOURCES, 1))
    connection.executemany("INSERT INTO tags (id, name) VALUES (?, ?)", enumerate(tags, 1))
    person_ids = {name: i for i, name in enumerate(dict.fromkeys(writers), 1)}
    tag_ids = {name: i for i, name in enumerate(tags, 1)}
    start = datetime(2019, 1, 1)
    now = datetime(2024, 6, 1)
    topic_names = list(TOPICS)
    batch: dict[str, list[tuple[object, ...]]] = {k: [] for k in ("a", "p", "s", "t")}

    def flush() -> None:
        connection.executemany(
            "INSERT INTO articles (id, article_id, url, title, published_at, section, body, "
            "tag_list, image_url, word_count, content_hash, fetched_at, first_seen_at, "
            "last_seen_at) VALUES (?, ?, ?, ?, ?, 'Global', ?, ?, ?, ?, ?, ?, ?, ?)",
            batch["a"],
        )
        connection.executemany(
            "INSERT INTO article_people (article_id, person_id, role, position) "
            "VALUES (?, ?, ?, ?)",
            batch["p"],
        )
        connection.executemany("INSERT INTO article_sources VALUES (?, ?, 0)", batch["s"])
        connection.executemany("INSERT INTO article_tags VALUES (?, ?, ?)", batch["t"])
        for rows in batch.values():
            rows.clear()

    for number in range(1, count + 1):
        published = start + timedelta(minutes=number * 26 + rng.randint(0, 20))
        # Half the articles are about one of these stories, the rest about countless others.
        topic = rng.choice(topic_names) if rng.random() < 0.5 else None
        topical = TOPICS[topic] if topic else rng.sample(words[300:3000], 8)
        length = max(80, int(rng.lognormvariate(5.8, 0.35)))  # ~330 words, Kompas-like
        body_words = rng.choices(words, cum_weights=weights, k=length)
        for _ in range(length // 12):  # topical names are frequent where they belong
            body_words[rng.randrange(length)] = rng.choice(topical)
        if rng.random() < 0.12:
            for _ in range(rng.randint(1, 4)):
                body_words[rng.randrange(length)] = rng.choice(MINOR)
        body = " ".join(body_words).capitalize() + "."
        title = " ".join([*rng.sample(topical, 3), *rng.choices(words[:300], k=4)]).title()
        article_tags = list(dict.fromkeys(rng.sample(topical, 2) + rng.sample(tags, 1)))
        day = published.strftime("%Y/%m/%d")
        key = f"{published:%H%M%S}{number:03d}"[-9:]
        batch["a"].append(
            (
                number,
                f"{published:%Y%m%d}-{key}",
                f"https://www.kompas.com/global/read/{day}/{key}/artikel-{number}",
                title,
                published,
                body,
                ", ".join(article_tags),
                None if number % 5 == 0 else f"https://asset.kompas.com/{number}.jpg",
                length,
                f"{number:064x}",
                now,
                now,
                now,
            )
        )
        writer = writers[int(rng.paretovariate(1.2)) % len(writers)]
        batch["p"].append((number, person_ids[writer], "writer", 0))
        batch["s"].append((number, 1 + int(rng.paretovariate(1.5)) % len(SOURCES)))
        batch["t"] += [(number, tag_ids[t], i) for i, t in enumerate(article_tags)]
        if number % 5000 == 0:
            flush()
    flush()
    connection.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")
    connection.commit()
    connection.execute("ANALYZE")
    connection.close()
    open_archive(f"sqlite:///{path}").dispose()  # triggers back, for a crawl on top


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def like_scan(path: Path, query: str) -> int:
    """The baseline: every article whose title, body or tags contain all the words (plain LIKE)."""
    terms = [
        t.strip('"*') for t in ([query.strip('"')] if query.startswith('"') else query.split())
    ]
    where = " AND ".join("(title LIKE ? OR body LIKE ? OR tag_list LIKE ?)" for _ in terms)
    params = [f"%{t}%" for t in terms for _ in range(3)]
    with sqlite3.connect(path) as connection:
        rows = connection.execute(f"SELECT id FROM articles WHERE {where}", params).fetchall()
    connection.close()
    return len(rows)


def export_run(url: str, target: Path, limit: int | None, form: str = "jsonl") -> dict[str, float]:
    """``kompas-crawler export`` in a fresh process: rows, seconds and its peak RSS."""
    code = """
import argparse, json, resource, sys, time
from kompas_crawler.commands import export
parser = argparse.ArgumentParser(); export.register(parser.add_subparsers())
args = parser.parse_args(json.loads(sys.argv[1]))
started = time.perf_counter(); args.run(args); seconds = time.perf_counter() - started
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb}))
"""
    argv = ["export", "--db", url, "--format", form, "-o", str(target)]
    argv += ["--limit", str(limit)] if limit else []
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(argv)], capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout)
    if form == "parquet":
        result["rows"] = pq.ParquetFile(target).metadata.num_rows
    else:
        with target.open("rb") as handle:
            result["rows"] = sum(1 for _ in handle)
    result["mb_written"] = target.stat().st_size / 1e6
    target.unlink()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="archive file (default: in the temp folder)")
    parser.add_argument("--fresh", action="store_true", help="regenerate even if it exists")
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per search query")
    parser.add_argument("--like-repeat", type=int, default=2, help="timed runs per LIKE scan")
    options = parser.parse_args()
    path = options.db or Path(tempfile.gettempdir()) / f"kompas-query-bench-{options.articles}.db"
    if options.fresh or not path.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        started = time.perf_counter()
        generate(path, options.articles)
        print(f"generated {options.articles:,} articles in {time.perf_counter() - started:.0f} s")
    url = f"sqlite:///{path}"
    print(f"archive: {path} ({path.stat().st_size / 1e6:.0f} MB)\n")

    engine = open_archive(url)
    fts_times: list[float] = []
    like_times: list[float] = []
    print(
        f"{'query':<22}{'matches':>9}{'search median':>15}{'p95':>9}{'LIKE scan':>11}{'ratio':>8}"
    )
    for query, filters, sort in QUERIES:
        result = search(engine, query, filters, sort=sort)  # warm-up, and the match count
        times = []
        for _ in range(options.repeat):
            started = time.perf_counter()
            search(engine, query, filters, sort=sort)
            times.append(time.perf_counter() - started)
        scans = []
        for _ in range(options.like_repeat):
            started = time.perf_counter()
            like_scan(path, query)
            scans.append(time.perf_counter() - started)
        fts_times += times
        like_times += scans
        median, scan = statistics.median(times), statistics.median(scans)
        label = (
            query
            + (" +filters" if filters != Filters() else "")
            + (f" ({sort})" if sort != "relevance" else "")
        )
        print(
            f"{label:<34}{result.total:>8,}{median * 1000:>9.1f} ms"
            f"{percentile(times, 0.95) * 1000:>6.1f} ms"
            f"{scan * 1000:>8.0f} ms{scan / median:>7.0f}x"
        )
    engine.dispose()
    median, p95 = statistics.median(fts_times), percentile(fts_times, 0.95)
    like_median = statistics.median(like_times)
    ratio = like_median / median
    print(
        f"\nsearch: median {median * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms "
        f"over {len(fts_times)} runs"
        f" | LIKE scan: median {like_median * 1000:.0f} ms | search is {ratio:.0f}x faster"
    )
    print(
        f"target >= 50x faster: {'met' if ratio >= 50 else 'MISSED'}; "
        f"target median < 50 ms: {'met' if median < 0.05 else 'MISSED'}"
    )

    print("\nexport (one process each):")
    for form, limit in itertools.product(("jsonl", "parquet"), (options.articles // 10, None)):
        run = export_run(url, path.with_suffix(f".export.{form}"), limit, form)
        print(
            f"  {form:<8}{run['rows']:>8,.0f} articles: {run['seconds']:.1f} s, "
            f"{run['rows'] / run['seconds']:,.0f} rows/s, "
            f"{run['mb_written'] / run['seconds']:.0f} MB/s written, "
            f"peak memory {run['peak_mb']:.0f} MB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
