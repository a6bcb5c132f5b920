"""Search and export speed on a generated archive (100,000 articles unless told).

    .venv/bin/python benchmarks/query.py [--articles 460000] [--backend postgresql] [--fresh]

One run measures, on the same database, every kind of query the README's search section shows
(broad words, a phrase, a prefix, names, each filter, newest first, a broad query with filters)
through ``storage.search.search`` (ranking, snippets, bylines and the total count): median and
p95, next to the same SQL statements run by the bare driver (sqlite3, psycopg: the rest is
Python) and to a plain LIKE scan. Targets: p95 < 50 ms on SQLite, < 200 ms on PostgreSQL; a
kind that misses is named, with the step that costs most. Then ``kompas-crawler export`` (JSON
Lines and Parquet) throughput and peak memory for 10% of the archive and for all of it.

The archive is generated once and kept in the temp folder's ``kompas-query-bench/`` (named by
size, seed and generator version; --fresh makes it again): SQLite by bulk inserts with the FTS
index rebuilt at the end (460,000 articles: about 20 minutes on 2 shared cores), PostgreSQL by
COPY into a server of the benchmark's own (``storage.pg_cluster``), its data folder kept there
too, the GIN index built after the load. Its text draws words with a Zipf distribution over a
20,000-word vocabulary of Indonesian function words, news words and syllable-made tail words,
with topical names (NATO, Ukraina, Gaza...) concentrated in the articles about them, as in real
news.
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
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pyarrow.parquet as pq
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from kompas_crawler.storage.archive import stem_stored_articles
from kompas_crawler.storage.database import PG_VECTOR, open_archive
from kompas_crawler.storage.filters import Filters
from kompas_crawler.storage.pg_cluster import Cluster, binary_folder, server_owner
from kompas_crawler.storage.search import SearchResult, Sort, fts5, search
from kompas_crawler.storage.search import postgres as postgres_engine
from kompas_crawler.storage.search.expressions import fts_expression, websearch_text
from kompas_crawler.storage.search.relevance import add_judged, judged_top3, load_judged

JUDGED = Path(__file__).parent.parent / "tests" / "relevance" / "judged.json"
# Generated archives are kept here between runs, named by size, seed and GENERATOR (bump it when
# the corpus changes). PostgreSQL's are whole server data folders.
CACHE = Path(tempfile.gettempdir()) / "kompas-query-bench"
GENERATOR = 3  # 3: with the stemmed shadow (article_stems)
PG_SERVER_OPTIONS = (
    "-c shared_buffers=1GB -c work_mem=64MB -c max_wal_size=8GB -c checkpoint_timeout=30min"
)

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
# One or more queries of each kind the README's search section shows: broad stories (~6% of the
# archive each), a phrase, a prefix, names (~0.5%), no match, each filter, newest first, and a
# broad query with filters. WRITER stands for a writer of the generated archive.
WRITER = "{writer}"
QUERIES: list[tuple[str, str, Filters, Sort]] = [
    ("broad words", "NATO Ukraina", Filters(), "relevance"),
    ("broad word", "Gaza", Filters(), "relevance"),
    ("phrase", '"Laut China Selatan"', Filters(), "relevance"),
    ("prefix", "vaksin*", Filters(), "relevance"),
    ("names", "Anwar Ibrahim", Filters(), "relevance"),
    ("name", "Erdogan", Filters(), "relevance"),
    ("name phrase", '"Sergei Lavrov"', Filters(), "relevance"),
    ("name", "Kishida", Filters(), "relevance"),
    ("no match", "Antarktika", Filters(), "relevance"),
    ("--writer", "militer", Filters(writers=(WRITER,)), "relevance"),
    ("--source", "Gaza", Filters(sources=("Reuters",)), "relevance"),
    (
        "--since/--until",
        "NATO",
        Filters(since=date(2022, 1, 1), until=date(2022, 1, 31)),
        "relevance",
    ),
    ("--tag", "militer", Filters(tags=("Rusia",)), "relevance"),
    ("--sort newest", "krisis pangan", Filters(), "newest"),
    ("broad + filters", "Gaza", Filters(since=date(2023, 1, 1), sources=("AFP",)), "relevance"),
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


Rows = dict[str, list[tuple[object, ...]]]  # table -> rows, as inserted
ARTICLE_COLUMNS = (
    "id, article_id, url, title, published_at, section, body, tag_list, image_url, word_count, "
    "content_hash, fetched_at, first_seen_at, last_seen_at"
)
LINK_COLUMNS = {
    "article_people": "article_id, person_id, role, position",
    "article_sources": "article_id, source_id, position",
    "article_tags": "article_id, tag_id, position",
}
BATCH = 5000


def corpus(count: int, seed: int) -> Iterator[Rows]:
    """The archive's rows: first people, sources and tags, then articles and their links in
    batches of BATCH articles. The same (count, seed) gives the same rows on either backend."""
    rng = random.Random(seed)
    words, weights = vocabulary(rng)
    writers = [
        f"{rng.choice(COMMON).title()} {''.join(rng.choices(SYLLABLES, k=3)).title()}"
        for _ in range(150)
    ]
    tags = sorted({w for topic in TOPICS.values() for w in topic} | set(words[300:3000]))
    people = list(dict.fromkeys(writers))
    yield {
        "people": list(enumerate(people, 1)),
        "sources": list(enumerate(SOURCES, 1)),
        "tags": list(enumerate(tags, 1)),
    }
    person_ids = {name: i for i, name in enumerate(people, 1)}
    tag_ids = {name: i for i, name in enumerate(tags, 1)}
    start = datetime(2019, 1, 1)
    now = datetime(2024, 6, 1)
    topic_names = list(TOPICS)
    batch: Rows = {k: [] for k in ("articles", *LINK_COLUMNS)}
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
        batch["articles"].append(
            (
                number,
                f"{published:%Y%m%d}-{key}",
                f"https://www.kompas.com/global/read/{day}/{key}/artikel-{number}",
                title,
                published,
                "Global",
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
        batch["article_people"].append((number, person_ids[writer], "writer", 0))
        batch["article_sources"].append((number, 1 + int(rng.paretovariate(1.5)) % len(SOURCES), 0))
        batch["article_tags"] += [(number, tag_ids[t], i) for i, t in enumerate(article_tags)]
        if number % BATCH == 0 or number == count:
            yield batch
            batch = {k: [] for k in batch}


def _insert(table: str, columns: str) -> str:
    marks = ", ".join("?" for _ in columns.split(","))
    return f"INSERT INTO {table} ({columns}) VALUES ({marks})"


def generate(path: Path, count: int, seed: int) -> None:
    """Write ``count`` articles straight into a fresh SQLite archive, then build its FTS index."""
    open_archive(f"sqlite:///{path}").dispose()  # schema, FTS table and triggers
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous = OFF")
    # Per-row trigger inserts are the crawl's path; a one-off bulk load rebuilds the index once.
    triggers = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'articles_fts%'"
    ).fetchall()
    for name, _ in triggers:
        connection.execute(f"DROP TRIGGER {name}")
    columns = {"people": "id, name", "sources": "id, name", "tags": "id, name"}
    columns |= {"articles": ARTICLE_COLUMNS, **LINK_COLUMNS}
    for rows in corpus(count, seed):
        for table, values in rows.items():
            connection.executemany(_insert(table, columns[table]), values)
    connection.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")
    connection.commit()
    connection.close()
    stem(f"sqlite:///{path}")
    connection = sqlite3.connect(path)
    connection.execute("ANALYZE")
    connection.close()


def stem(url: str) -> None:
    """The stemmed shadow of the bulk-loaded articles (the writer makes it on a crawl), with
    the archive's triggers back on."""
    engine = open_archive(url)
    with engine.begin() as connection:
        stem_stored_articles(connection)
    engine.dispose()


def sqlite_archive(count: int, seed: int, fresh: bool, path: Path | None) -> Path:
    """The generated archive's file: from the cache (CACHE) unless fresh or missing. It is
    written under a temporary name first, so an interrupted run leaves nothing to reuse."""
    path = path or CACHE / f"sqlite-{count}-{seed}-v{GENERATOR}.db"
    if fresh or not path.exists():
        partial = path.with_name(path.name + ".partial")
        for name in (path, partial):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{name}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        generate(partial, count, seed)
        for suffix in ("-wal", "-shm"):
            Path(f"{partial}{suffix}").unlink(missing_ok=True)
        partial.rename(path)
        print(f"generated {count:,} articles in {time.perf_counter() - started:.0f} s")
    return path


# ---------------------------------------------------------------------------- PostgreSQL


def postgres_cluster(count: int, seed: int) -> Cluster:
    """The benchmark's own server, its data kept in CACHE between runs."""
    binaries = binary_folder()
    if binaries is None:
        raise SystemExit("PostgreSQL: no initdb/pg_ctl/postgres on PATH or in /usr/lib/postgresql")
    try:
        owner = server_owner()
    except LookupError as reason:
        raise SystemExit(f"PostgreSQL: {reason}") from None
    return Cluster(
        binaries, owner, CACHE / f"postgresql-{count}-{seed}-v{GENERATOR}", PG_SERVER_OPTIONS
    )


def postgres_archive(admin: URL, count: int, seed: int, fresh: bool) -> str:
    """The URL of the generated archive on the server: loaded unless there (and complete)."""
    engine = create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as connection:
        names = set(connection.execute(text("SELECT datname FROM pg_database")).scalars())
        if fresh or "bench_done" not in names:
            for name in ("bench", "bench_done"):
                connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            connection.execute(text("CREATE DATABASE bench TEMPLATE template0"))
            started = time.perf_counter()
            load_postgres(admin.set(database="bench"), count, seed)
            connection.execute(text("ALTER DATABASE bench RENAME TO bench_done"))
            print(f"loaded {count:,} articles in {time.perf_counter() - started:.0f} s")
    engine.dispose()
    return admin.set(database="bench_done").render_as_string(hide_password=False)


def load_postgres(url: URL, count: int, seed: int) -> None:
    """COPY the corpus in, then build the GIN index once (faster than row by row)."""
    open_archive(url.render_as_string(hide_password=False)).dispose()
    columns = {"people": "id, name", "sources": "id, name", "tags": "id, name"}
    columns |= {"articles": ARTICLE_COLUMNS, **LINK_COLUMNS}
    with psycopg.connect(_libpq(url), autocommit=True) as connection:
        connection.execute("DROP INDEX articles_search_idx")
        for rows in corpus(count, seed):
            with connection.transaction(), connection.cursor() as cursor:
                for table, values in rows.items():
                    with cursor.copy(f"COPY {table} ({columns[table]}) FROM STDIN") as copy:
                        for row in values:
                            copy.write_row(row)
        # COPY gave the rows their ids: the sequences start after them, or the archive writer's
        # next article (add_judged's) takes id 1 and its insert silently does nothing.
        for table in ("people", "sources", "tags", "articles"):
            connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
            )
        connection.execute("SET maintenance_work_mem = '1GB'")
        connection.execute(f"CREATE INDEX articles_search_idx ON articles USING GIN ({PG_VECTOR})")
    stem(url.render_as_string(hide_password=False))
    with psycopg.connect(_libpq(url), autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def _libpq(url: URL) -> str:
    """A SQLAlchemy URL as psycopg's connection string."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def like_terms(query: str) -> list[str]:
    return [t.strip('"*') for t in ([query.strip('"')] if query.startswith('"') else query.split())]


class Backend:
    """What a run measures against: the archive's engine, and the same database reached without
    kompas-crawler (sqlite3, psycopg) for the raw-SQL and LIKE baselines."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = open_archive(url)
        self.postgres = self.engine.dialect.name == "postgresql"
        self.statements: list[tuple[str, Any]] = []
        self.capturing = False
        event.listen(self.engine, "before_cursor_execute", self._capture)
        if self.postgres:
            self.raw: Any = psycopg.connect(_libpq(make_url(url)), autocommit=True)
            # As search runs them (its SET LOCAL does nothing outside a transaction).
            self.raw.execute("SET jit = off")
        else:
            self.raw = sqlite3.connect(url.removeprefix("sqlite:///"))

    def _capture(self, _c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if self.capturing:
            self.statements.append((statement, parameters))

    def sql_of(self, run: Callable[[], object]) -> list[tuple[str, Any]]:
        """The statements ``run`` sends to the database, with their parameters."""
        self.statements, self.capturing = [], True
        try:
            run()
        finally:
            self.capturing = False
        return self.statements

    def replay(self, statements: list[tuple[str, Any]]) -> list[float]:
        """Seconds each statement takes executed and fetched by the bare driver."""
        times = []
        for statement, parameters in statements:
            started = time.perf_counter()
            cursor = self.raw.execute(statement, parameters)
            if cursor.description is not None:  # not a SET
                cursor.fetchall()
            times.append(time.perf_counter() - started)
        return times

    def ids(self, statement: str, parameters: list[str]) -> tuple[list[int], float]:
        """The ids a statement selects, by the bare driver, and the seconds it took."""
        started = time.perf_counter()
        found = [row[0] for row in self.raw.execute(statement, parameters).fetchall()]
        return found, time.perf_counter() - started

    def like_scan(self, query: str) -> int:
        """The baseline: every article whose title, body or tags contain all the words (LIKE on
        SQLite, which ignores ASCII case; ILIKE on PostgreSQL)."""
        terms = like_terms(query)
        op, mark = ("ILIKE", "%s") if self.postgres else ("LIKE", "?")
        one = f"(title {op} {mark} OR body {op} {mark} OR tag_list {op} {mark})"
        where = " AND ".join(one for _ in terms)
        params = [f"%{t}%" for t in terms for _ in range(3)]
        return len(self.raw.execute(f"SELECT id FROM articles WHERE {where}", params).fetchall())

    def close(self) -> None:
        self.raw.close()
        self.engine.dispose()


# What each statement of a search does, by what its SQL holds (first match wins).
STEPS = (
    ("snippets", ("snippet(", "ts_headline(")),
    ("rank", ("bm25(", "ts_rank_cd(")),
    ("vocabulary", ("_terms", "_data WHERE")),
    ("filter sizes", ("LIMIT ? OFFSET ?) AS anon_1", "min(articles.published_at)")),
    ("count", ("count(",)),
    ("newest", ("ORDER BY",)),
    ("bylines", ("people", "sources", "tags")),
    ("fts check", ("PRAGMA", "sqlite_master", "pg_catalog", "information_schema")),
)


def step(statement: str) -> str:
    return next((name for name, marks in STEPS if any(m in statement for m in marks)), "rows")


def timed(run: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return times


def measure(backend: Backend, options: argparse.Namespace, writer: str) -> int:
    """Time every query kind; print the table and the targets. Exit status 1 if one missed."""
    target = 0.200 if backend.postgres else 0.050
    print(
        f"{'kind':<17}{'query':<23}{'matches':>8}{'median':>9}{'p95':>8}"
        f"{'raw SQL':>9}{'x raw':>7}{'snippets':>9}{'LIKE':>8}{'x faster':>9}"
    )
    missed: list[str] = []
    all_times: list[float] = []
    like_times: list[float] = []
    for kind, query, filters, sort in QUERIES:
        if filters.writers == (WRITER,):
            filters = replace(filters, writers=(writer,))

        def run(query: str = query, filters: Filters = filters, sort: Sort = sort) -> SearchResult:
            return search(backend.engine, query, filters, sort=sort)

        result = run()  # warm-up, and the match count
        times = timed(run, options.repeat)
        statements = backend.sql_of(run)
        raw_runs = [backend.replay(statements) for _ in range(options.repeat)]
        raw = statistics.median(sum(r) for r in raw_runs)
        by_step: dict[str, float] = {}
        for position, (statement, _) in enumerate(statements):
            share = statistics.median(r[position] for r in raw_runs)
            by_step[step(statement)] = by_step.get(step(statement), 0.0) + share
        scans = timed(lambda query=query: backend.like_scan(query), options.like_repeat)
        all_times += times
        like_times += scans
        median, p95, scan = statistics.median(times), percentile(times, 0.95), min(scans)
        print(
            f"{kind:<17}{query:<23}{result.total:>8,}{median * 1e3:>7.1f}ms{p95 * 1e3:>6.1f}ms"
            f"{raw * 1e3:>7.1f}ms{median / raw:>6.1f}x{by_step.get('snippets', 0) * 1e3:>7.1f}ms"
            f"{scan:>7.2f}s{scan / median:>8.0f}x"
        )
        if p95 >= target:
            slowest = max(by_step, key=by_step.__getitem__)
            python = median - raw
            engine_name = "PostgreSQL" if backend.postgres else "SQLite"
            why = (
                f"Python around the SQL takes {python * 1e3:.0f} ms"
                if python > by_step[slowest]
                else f"ranking its {result.total:,} matches takes {by_step[slowest] * 1e3:.0f} ms "
                f"in {engine_name} itself (raw SQL), the {slowest} statement"
                if slowest == "rank"
                else f"its {slowest} statement takes {by_step[slowest] * 1e3:.0f} ms in raw SQL"
            )
            missed.append(f"  {kind} ({query}): p95 {p95 * 1e3:.0f} ms; {why}")
    median, p95 = statistics.median(all_times), percentile(all_times, 0.95)
    print(
        f"\nall kinds: median {median * 1e3:.1f} ms, p95 {p95 * 1e3:.1f} ms "
        f"over {len(all_times)} runs | LIKE scan median {statistics.median(like_times):.2f} s"
    )
    print(
        "(x raw: search time over the same SQL run by the bare driver, the rest is Python; "
        "x faster: LIKE scan time over search time)"
    )
    if missed:
        print(f"target p95 < {target * 1e3:.0f} ms MISSED by:", *missed, sep="\n")
    else:
        print(f"target p95 < {target * 1e3:.0f} ms: met by every kind")
    return 1 if missed else 0


PG_CANDIDATES = 2000  # bounded ranking tried: the newest this many matches
PG_PRERANKED = 500  # or the best this many by their title and tags alone


def pg_overlap(backend: Backend) -> None:
    """Bounded ranking, two ways, measured, not shipped unless its top 20 is that of ranking
    every match (raw SQL on the exact index): ts_rank_cd over the newest PG_CANDIDATES matches
    only, and over the PG_PRERANKED best ranked by their title and tags (a cheap pre-rank)."""
    weights, normalization = postgres_engine.PG_RANK_WEIGHTS, postgres_engine.PG_RANK_NORMALIZATION

    def rank(vector: str) -> str:
        return f"ts_rank_cd('{weights}'::float4[], {vector}, q, {normalization})"

    head = (
        "setweight(to_tsvector('simple', title), 'A') || "
        "setweight(to_tsvector('simple', tag_list), 'B')"
    )
    match = f"FROM articles, websearch_to_tsquery('simple', %s) q WHERE {PG_VECTOR} @@ q"
    top = f"ORDER BY {rank(PG_VECTOR)} DESC, published_at DESC, id DESC LIMIT 20"
    every = f"SELECT id {match} {top}"
    trials = {
        f"newest {PG_CANDIDATES:,}": (
            f"SELECT id {match} ORDER BY published_at DESC, id DESC LIMIT {PG_CANDIDATES}"
        ),
        f"title+tags {PG_PRERANKED}": (
            f"SELECT id {match} ORDER BY {rank(head)} DESC, id DESC LIMIT {PG_PRERANKED}"
        ),
    }
    print("\nbounded ranking (ts_rank_cd over some matches only) vs every match:")
    print(f"{'kind':<17}{'query':<23}{'all':>9}" + "".join(f"{t:>23}" for t in trials))
    same = dict.fromkeys(trials, True)
    for kind, query, filters, sort in QUERIES:
        if filters != Filters() or sort != "relevance":
            continue
        text = websearch_text(query)
        best, all_time = backend.ids(every, [text])
        line = f"{kind:<17}{query:<23}{all_time * 1e3:>7.0f}ms"
        for trial, candidates in trials.items():
            few, bounded_time = backend.ids(
                f"SELECT id {match} AND id IN ({candidates}) {top}", [text, text]
            )
            same[trial] = same[trial] and few == best
            line += f"{bounded_time * 1e3:>10.0f}ms{len(set(few) & set(best)):>8}/{len(best):<3}"
        print(line)
    for trial, kept in same.items():
        print(
            f"{trial}: same top 20 on every query: "
            + ("yes" if kept else "no, so search keeps ranking every match with ts_rank_cd")
        )


TWO_STAGE = 200  # candidates the first stage keeps


def sqlite_two_stage(backend: Backend) -> None:
    """Two-stage ranking, measured, not shipped unless its top 20 is bm25's: rank the matches in
    titles and tags first (fewer, and where bm25 weighs most), then bm25 over TWO_STAGE of them."""
    weights = ", ".join(str(w) for w in fts5.BM25_WEIGHTS)
    full = (
        f"SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? "
        f"ORDER BY bm25(articles_fts, {weights}), rowid DESC LIMIT 20"
    )
    staged = (
        f"SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? AND rowid IN ("
        f"SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? "
        f"ORDER BY bm25(articles_fts, {weights}), rowid DESC LIMIT {TWO_STAGE}) "
        f"ORDER BY bm25(articles_fts, {weights}), rowid DESC LIMIT 20"
    )
    print(f"\ntwo-stage ranking (titles and tags first, {TWO_STAGE} candidates) vs bm25 over all:")
    print(f"{'kind':<17}{'query':<23}{'two-stage':>10}{'bm25':>9}{'top-20 same':>13}")
    shipped = True
    for kind, query, filters, sort in QUERIES:
        if filters != Filters() or sort != "relevance" or kind in ("no match", "name"):
            continue
        expression = fts_expression(query)
        first = f"{{title tag_list}} : ({expression})"
        best, full_time = backend.ids(full, [expression])
        two, two_time = backend.ids(staged, [expression, first])
        same = sum(a == b for a, b in zip(best, two, strict=False))
        shipped = shipped and two == best
        print(
            f"{kind:<17}{query:<23}{two_time * 1e3:>8.1f}ms{full_time * 1e3:>7.1f}ms"
            f"{same:>8}/{len(best)}"
        )
    print(
        "same top 20 in the same order on every query: "
        + ("yes" if shipped else "no, so search keeps ranking every match with bm25")
    )


def relevance(backend: Backend) -> None:
    """The judged queries (tests/relevance) among the generated articles: how many rank a
    relevant article in their top 3, with stemming on and off (their articles are added to the
    archive once; a later run finds them there)."""
    judged = load_judged(JUDGED)
    add_judged(backend.engine, judged)
    counts = judged_top3(backend.engine, judged)
    print(
        f"\nrelevance: {counts['stemmed']} of {counts['queries']} judged queries rank a relevant "
        f"article in their top 3 with stemming, {counts['exact']} with --exact"
    )


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
    parser.add_argument("--seed", type=int, default=20220127, help="of the generated corpus")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--db", type=Path, help=f"SQLite archive file (default: in {CACHE})")
    parser.add_argument("--fresh", action="store_true", help="regenerate even if cached")
    parser.add_argument("--generate-only", action="store_true", help="make the archive, stop")
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per search query")
    parser.add_argument("--like-repeat", type=int, default=2, help="timed runs per LIKE scan")
    parser.add_argument("--no-export", action="store_true", help="skip the export figures")
    options = parser.parse_args()
    cluster = None
    try:
        if options.backend == "postgresql":
            cluster = postgres_cluster(options.articles, options.seed)
            url = postgres_archive(cluster.start(), options.articles, options.seed, options.fresh)
            print(f"archive: PostgreSQL, data in {cluster.root}\n")
        else:
            path = sqlite_archive(options.articles, options.seed, options.fresh, options.db)
            url = f"sqlite:///{path}"
            print(f"archive: {path} ({path.stat().st_size / 1e6:.0f} MB)\n")
        if options.generate_only:
            return 0
        backend = Backend(url)
        try:
            writer = backend.raw.execute("SELECT name FROM people WHERE id = 5").fetchone()[0]
            status = measure(backend, options, writer)
            if backend.postgres:
                pg_overlap(backend)
            else:
                sqlite_two_stage(backend)
            relevance(backend)
        finally:
            backend.close()
        if not options.no_export:
            export(url, options.articles)
        return status
    finally:
        if cluster is not None:
            cluster.stop()


def export(url: str, articles: int) -> None:
    print("\nexport (one process each):")
    target = CACHE / "export"
    for form, limit in itertools.product(("jsonl", "parquet"), (articles // 10, None)):
        run = export_run(url, target.with_suffix(f".{form}"), limit, form)
        print(
            f"  {form:<8}{run['rows']:>9,.0f} articles: {run['seconds']:.1f} s, "
            f"{run['rows'] / run['seconds']:,.0f} rows/s, "
            f"{run['mb_written'] / run['seconds']:.0f} MB/s written, "
            f"peak memory {run['peak_mb']:.0f} MB"
        )


if __name__ == "__main__":
    sys.exit(main())
