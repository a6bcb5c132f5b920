"""PostgreSQL as the archive, through the real code: opening it, the store pipeline, the crawl lock
and run record, real crawls of the offline site, and the query commands on what they stored.

The server is the session's throwaway cluster (tests/postgres.py); without one these are skipped.
The write path's own tests run on PostgreSQL too (tests/test_archive.py, tests/test_lock.py).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy.utils.test import get_crawler
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url

from kompas_crawler.archive import Archive
from kompas_crawler.cli import main
from kompas_crawler.errors import ConfigError
from kompas_crawler.offline import OfflineServer, OfflineSite, demo_site
from kompas_crawler.pipelines.store import StorePipeline
from kompas_crawler.storage.archive import (
    ArchiveWriter,
    count_articles,
    load_article,
    load_revisions,
)
from kompas_crawler.storage.database import open_archive, open_existing_archive
from kompas_crawler.storage.filters import Filters, QueryError
from kompas_crawler.storage.models import (
    ArticlePerson,
    ArticleRow,
    ArticleSource,
    ArticleTag,
    CrawlRun,
    Person,
    RelatedLink,
    Source,
    Tag,
)
from kompas_crawler.storage.runs import (
    CrawlLocked,
    completed_days,
    finish_run,
    mark_days_complete,
    recent_runs,
    running_owner,
    start_run,
)
from kompas_crawler.storage.search import Sort, search
from kompas_crawler.storage.stats import stats
from tests.crawling import BIN, KOMPAS_CRAWLER, ROOT
from tests.postgres import PostgresServer
from tests.test_archive import make_article
from tests.test_pipelines import article as pipeline_article

SCRAPY = str(BIN / "scrapy")
FAST = [
    "-s", "AUTOTHROTTLE_ENABLED=False",
    "-s", "DOWNLOAD_DELAY=0",
    "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
    "-s", "KOMPAS_STORE_FLUSH_SECONDS=0",
    "-s", "LOG_LEVEL=INFO",
]  # fmt: skip
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def closed_port_url() -> str:
    """A PostgreSQL URL, with a password, on a local port where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"postgresql+psycopg://kompas:s3cret@127.0.0.1:{port}/kompas"


# -- opening --------------------------------------------------------------------------------------


@pytest.mark.parametrize("opener", [open_archive, open_existing_archive])
def test_an_unreachable_server_is_a_one_line_config_error(opener: Any) -> None:
    pytest.importorskip("psycopg")
    with pytest.raises(ConfigError) as raised:
        opener(closed_port_url())
    message = str(raised.value)
    assert "Connection refused" in message
    assert "\n" not in message
    assert "s3cret" not in message and "kompas:***@127.0.0.1" in message
    if opener is open_archive:
        assert message.startswith("KOMPAS_DATABASE_URL=")


def test_a_missing_driver_is_a_config_error_saying_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg now fails
    with pytest.raises(ConfigError, match=r"KOMPAS_DATABASE_URL=.*pip install 'psycopg\[binary\]'"):
        open_archive(closed_port_url())


def test_a_missing_database_is_a_config_error(postgres_server: PostgresServer) -> None:
    url = postgres_server.url.set(database="no_such_archive").render_as_string(False)
    with pytest.raises(ConfigError, match='database "no_such_archive" does not exist'):
        open_archive(url)
    with pytest.raises(ConfigError, match="cannot read the database"):
        open_existing_archive(url)


def test_an_empty_database_is_not_an_archive_until_opened_for_writing(postgres_url: str) -> None:
    with pytest.raises(ConfigError, match="not a kompas-crawler archive"):
        open_existing_archive(postgres_url)
    open_archive(postgres_url).dispose()
    open_archive(postgres_url).dispose()  # a second open finds the schema in place
    engine = open_existing_archive(postgres_url)
    assert count_articles(engine) == 0
    engine.dispose()


_RACER = """
import sys
from kompas_crawler.storage.database import open_archive
from kompas_crawler.storage.runs import CrawlLocked, start_run
print("ready", flush=True)
sys.stdin.readline()
engine = open_archive(sys.argv[1])
try:
    start_run(engine, "kompas_global", {})
    print("won", flush=True)
except CrawlLocked:
    print("locked", flush=True)
sys.stdin.read()  # alive, holding the lock if it won, until the test has every answer
"""


def test_crawls_starting_together_on_a_new_archive_create_it_once_and_one_crawls(
    postgres_url: str,
) -> None:
    """Concurrent CREATE TABLEs collide in PostgreSQL's catalog: open_archive serializes them."""
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", _RACER, postgres_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for _ in range(3)
    ]
    try:
        for racer in racers:
            assert racer.stdout is not None and racer.stdout.readline() == "ready\n"
        for racer in racers:  # go, all at once
            assert racer.stdin is not None
            racer.stdin.write("go\n")
            racer.stdin.flush()
        answers = [racer.stdout.readline().strip() for racer in racers]  # type: ignore[union-attr]
    finally:
        for racer in racers:
            racer.communicate(timeout=30)
    errors = [racer.stderr.read() for racer in racers if racer.returncode]  # type: ignore[union-attr]
    assert errors == []
    assert sorted(answers) == ["locked", "locked", "won"]


def test_the_readme_how_to_works(postgres_url: str) -> None:
    """The README's driver and URL form, pointed at the test server, open an archive."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    crawl = text.split("<!-- section: crawl -->")[1].split("<!-- /section: crawl -->")[0]
    assert "pip install 'psycopg[binary]'" in crawl
    assert "psycopg[binary]" in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    found = re.search(r"KOMPAS_DATABASE_URL=(postgresql\S+?)`", crawl)
    assert found is not None, "no PostgreSQL URL in the README's crawl section"
    documented, server = make_url(found.group(1)), make_url(postgres_url)
    assert documented.password  # a password in the URL (the test server ignores it)
    url = documented.set(
        username=server.username, host=server.host, port=server.port, database=server.database
    )
    engine = open_archive(url.render_as_string(hide_password=False))
    assert engine.dialect.name == "postgresql" and count_articles(engine) == 0
    engine.dispose()


# -- the crawl lock and run record ----------------------------------------------------------------


def test_run_records_round_trip(postgres_url: str) -> None:
    engine = open_archive(postgres_url)
    started = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    run_id, dead = start_run(engine, "kompas_global", {"max_pages": "2"}, started)
    assert dead is None and running_owner(engine) is not None
    stats = {
        "downloader/request_count": 7,
        "downloader/response_status_count/200": 6,
        "downloader/response_status_count/404": 1,
        "kompas/store/new": 3,
        "kompas/dropped/no_body": 1,
        "start_time": started,
        "finish_reason": "finished",
    }
    finish_run(engine, run_id, status="ok", finish_reason="finished", stats=stats)
    assert running_owner(engine) is None  # the lock is free again
    second, _ = start_run(engine, "kompas_global", {})
    assert second > run_id
    [past] = recent_runs(engine, "kompas_global", before_id=second)
    assert (past.id, past.status, past.finish_reason) == (run_id, "ok", "finished")
    assert past.arguments == {"max_pages": "2"}
    assert past.started_at == datetime(2024, 5, 1, 9, 0)  # naive UTC, as on SQLite
    assert past.stats["start_time"] == "2024-05-01T09:00:00+00:00"
    with engine.connect() as connection:
        row = connection.execute(select(CrawlRun).where(CrawlRun.id == run_id)).one()
    assert row.responses_by_status == {"200": 6, "404": 1}
    assert row.dropped_by_reason == {"no_body": 1}
    assert (row.requests, row.articles_new) == (7, 3)

    mark_days_complete(engine, {date(2024, 5, 1): 3, date(2024, 5, 2): 0})
    mark_days_complete(engine, {date(2024, 5, 2): 4})  # done again: replaced
    days = [date(2024, 5, n) for n in (1, 2, 3)]
    assert completed_days(engine, days) == {date(2024, 5, 1), date(2024, 5, 2)}
    engine.dispose()


def test_a_live_crawl_elsewhere_keeps_the_lock(postgres_url: str) -> None:
    engine = open_archive(postgres_url)
    crawl = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from kompas_crawler.storage.database import open_archive; "
            "from kompas_crawler.storage.runs import start_run; "
            "start_run(open_archive(sys.argv[1]), 'kompas_global', {}); "
            "print('locked', flush=True); sys.stdin.read()",
            postgres_url,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert crawl.stdout is not None and crawl.stdout.readline() == "locked\n"
        with pytest.raises(CrawlLocked, match=f"pid {crawl.pid}"):
            start_run(engine, "kompas_global", {})
    finally:
        crawl.communicate(timeout=30)
    _, dead = start_run(engine, "kompas_global", {})  # its process is gone: taken over
    assert dead is not None and dead.pid == crawl.pid
    engine.dispose()


# -- the store pipeline ---------------------------------------------------------------------------


def store_crawler(url: str, **settings: Any) -> Any:
    return get_crawler(
        settings_dict={"KOMPAS_DATABASE_URL": url, "KOMPAS_STORE_FLUSH_SECONDS": 0, **settings}
    )


def store_stats(crawler: Any) -> dict[str, Any]:
    return {k: v for k, v in crawler.stats.get_stats().items() if k.startswith("kompas/")}


def test_store_pipeline_batches_counts_and_isolates_a_bad_article(postgres_url: str) -> None:
    crawler = store_crawler(postgres_url, KOMPAS_STORE_BATCH_SIZE=3)
    first = StorePipeline.from_crawler(crawler)
    first.open_spider()
    for n in range(2):
        first.process_item(pipeline_article(100000000 + n))
    assert count_articles(first.engine) == 0
    first.process_item(pipeline_article(100000002))
    assert count_articles(first.engine) == 3
    first.process_item(pipeline_article(100000003, body=None))  # validate was bypassed
    first.close_spider()
    assert count_articles(first.engine) == 3
    assert store_stats(crawler) == {
        "kompas/store/new": 3,
        "kompas/store/updated": 0,
        "kompas/store/unchanged": 0,
        "kompas/store/failed": 1,
    }

    crawler = store_crawler(postgres_url)
    second = StorePipeline.from_crawler(crawler)
    second.process_item(pipeline_article(100000000))
    second.process_item(pipeline_article(100000001, body="Isi yang diperbarui."))
    second.process_item(pipeline_article(100000009))
    second.close_spider()
    assert store_stats(crawler) == {
        "kompas/store/new": 1,
        "kompas/store/updated": 1,
        "kompas/store/unchanged": 1,
    }
    [old] = load_revisions(second.engine, "20240501-100000001")
    assert old.body == "Isi berita 100000001."
    second.engine.dispose()


def test_stats_count_articles_per_wib_day(postgres_url: str) -> None:
    """18:00 UTC is already the next day in Jakarta: the PostgreSQL grouping says so too."""
    engine = open_archive(postgres_url)
    times = [datetime(2024, 5, 1, 16, 59, tzinfo=UTC), datetime(2024, 5, 1, 18, 0, tzinfo=UTC)]
    batch = [make_article(n, published_at=when) for n, when in enumerate(times)]
    ArchiveWriter(engine).save_batch(batch, T0)
    per_day = stats(engine, by="day")["per_period"]
    assert per_day == [
        {"period": "2024-05-01", "articles": 1},
        {"period": "2024-05-02", "articles": 1},
    ]
    assert stats(engine, by="month")["per_period"] == [{"period": "2024-05", "articles": 2}]
    engine.dispose()


def test_search_scan_ignores_case_and_escapes_wildcards(postgres_url: str) -> None:
    """The LIKE scan, still there for archives without the full-text column."""
    engine = open_archive(postgres_url)
    batch = [
        make_article(1, title="ÉLYSÉE menolak 100% tarif"),
        make_article(2, title="Tarif 100 persen", body="Isi biasa."),
    ]
    ArchiveWriter(engine).save_batch(batch, T0)
    result = search(engine, "élysée", use_fts=False)
    assert not result.used_fts
    assert [hit.title for hit in result.hits] == ["ÉLYSÉE menolak 100% tarif"]
    assert "**ÉLYSÉE**" not in result.hits[0].snippet  # the snippet comes from the body
    scan = search(engine, '"100%"', use_fts=False)
    assert [hit.article_id for hit in scan.hits] == ["20240501-100000001"]
    assert [hit.article_id for hit in search(engine, "TARIF", use_fts=False).hits] == [
        "20240501-100000002",
        "20240501-100000001",
    ]  # newest first
    engine.dispose()


def fts_archive(url: str) -> Engine:
    engine = open_archive(url)
    batch = [
        make_article(
            1,
            title="Diplomasi di Jenewa",
            body="Isi tentang Iran. Perundingan nuklir.",
            sources=["Kompas TV"],
        ),
        make_article(2, title="Nuklir Iran dibahas", body="Isi biasa.", sources=["AFP"]),
        make_article(3, title="Gencatan senjata", body="Korea Utara menguji rudal.", tags=["Asia"]),
        make_article(4, title="ÉLYSÉE menolak tarif", body="Prancis menolak nuklir Korea."),
    ]
    ArchiveWriter(engine).save_batch(batch, T0)
    return engine


def found(engine: Engine, query: str, **options: Any) -> list[int]:
    return [int(hit.article_id[-1]) for hit in search(engine, query, **options).hits]


def test_search_uses_the_full_text_index(postgres_url: str) -> None:
    engine = fts_archive(postgres_url)
    open_archive(postgres_url).dispose()  # opening again finds the column and index in place
    result = search(engine, "nuklir")
    assert result.used_fts and result.total == 3
    assert found(engine, "nuklir")[0] == 2  # a title match first, then body-only ones
    scores = [hit.score or 0.0 for hit in result.hits]
    assert scores[0] > scores[1] > 0
    assert found(engine, "nuklir", sort="newest") == [4, 2, 1]
    assert found(engine, "nuklir", sort="oldest") == [1, 2, 4]
    assert found(engine, "élysée") == [4]  # case-insensitive beyond ASCII
    assert sorted(found(engine, "nuklir iran")) == [1, 2]  # every word, anywhere
    assert found(engine, '"perundingan nuklir"') == [1]
    assert found(engine, '"nuklir perundingan"') == []
    assert sorted(found(engine, "rudal OR tarif")) == [3, 4]
    assert found(engine, "nuklir -iran") == found(engine, "nuklir NOT iran") == [4]
    assert found(engine, "nuklir AND korea") == [4]
    assert found(engine, "asia") == [3]  # tags are searched
    assert found(engine, "nuklir", filters=Filters(sources=("afp",))) == [2]
    assert found(engine, "nuklir", filters=Filters(since=date(2024, 5, 2))) == []
    limited = search(engine, "nuklir", limit=1)
    assert (len(limited.hits), limited.total) == (1, 3)
    engine.dispose()


def test_search_snippets_highlight_the_match(postgres_url: str) -> None:
    engine = fts_archive(postgres_url)
    [body] = search(engine, "perundingan").hits
    assert "**Perundingan**" in body.snippet and "Jenewa" not in body.snippet
    [title] = search(engine, "dibahas").hits
    assert "**dibahas**" in title.snippet  # no match in the body: from the title
    [marked] = search(engine, "rudal", mark=('<b class="x">', "</b>")).hits
    assert '<b class="x">rudal</b>' in marked.snippet
    engine.dispose()


@pytest.mark.parametrize(
    "query",
    [
        "'; DROP TABLE articles; --",
        "nuklir' OR '1'='1",
        "nuklir & | ! <-> :* (",
        "nuklir\x00",
        "-",
        "OR nuklir OR",
        "x" * 5000,
    ],
)
def test_odd_queries_are_harmless(postgres_url: str, query: str) -> None:
    engine = fts_archive(postgres_url)
    try:
        result = search(engine, query)
    except QueryError:
        pass
    else:
        assert result.used_fts
    assert count_articles(engine) == 4
    assert found(engine, "nuklir", sort="oldest") == [1, 2, 4]
    engine.dispose()


def test_search_finds_the_updated_text_not_the_old(postgres_url: str) -> None:
    engine = fts_archive(postgres_url)
    changed = make_article(2, title="Sanksi baru", body="Isi yang diperbarui.", sources=["AFP"])
    ArchiveWriter(engine).save_batch([changed], T0)
    assert found(engine, "sanksi") == [2]
    assert found(engine, "dibahas") == []
    assert sorted(found(engine, "nuklir")) == [1, 4]
    engine.dispose()


# -- a real crawl into PostgreSQL, next to the same crawl into SQLite -----------------------------


@dataclass
class Crawl:
    returncode: int
    log: str


def crawl_env(server: OfflineServer, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOMPAS_")}
    env.update(
        KOMPAS_MIRROR=server.url,
        KOMPAS_DATABASE_URL=database_url,
        SCRAPY_SETTINGS_MODULE="kompas_crawler.settings",
    )
    return env


def start(command: list[str], workdir: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    workdir.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        command, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def finish(process: subprocess.Popen[str]) -> Crawl:
    output, _ = process.communicate(timeout=120)
    return Crawl(process.returncode, output)


@dataclass
class Archives:
    site: OfflineSite
    postgres: str  # URL
    sqlite: str  # URL of the same crawl into SQLite
    crawls: dict[str, Crawl]


@pytest.fixture(scope="module")
def archives(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Archives]:
    """`scrapy crawl kompas_global` of the demo site into PostgreSQL and, at the same time, into
    SQLite; then `kompas-crawler crawl` again into PostgreSQL."""
    root = tmp_path_factory.mktemp("postgres-crawls")
    postgres = postgres_server.database()
    sqlite = f"sqlite:///{root / 'sqlite' / 'archive.db'}"
    site = demo_site()
    with OfflineServer(site) as server:
        scrapy = [SCRAPY, "crawl", "kompas_global", *FAST]
        started = {
            name: start(scrapy, root / name, crawl_env(server, url))
            for name, url in (("postgres", postgres), ("sqlite", sqlite))
        }
        crawls = {name: finish(process) for name, process in started.items()}
        again = [KOMPAS_CRAWLER, "crawl", *FAST]
        crawls["again"] = finish(start(again, root / "again", crawl_env(server, postgres)))
    yield Archives(site, postgres, sqlite, crawls)
    postgres_server.release(postgres)


def test_the_crawls_succeed(archives: Archives) -> None:
    for name, crawl in archives.crawls.items():
        assert crawl.returncode == 0, f"{name}: {crawl.log[-3000:]}"
    assert "'finish_reason': 'finished'" in archives.crawls["postgres"].log
    assert "Archive: postgresql+psycopg://postgres@127.0.0.1:" in archives.crawls["postgres"].log


def test_the_crawl_stores_exactly_the_global_articles(archives: Archives) -> None:
    engine = open_existing_archive(archives.postgres)
    expected = archives.site.expected_articles()
    assert count_articles(engine) == len(expected) == 29
    for spec in expected:
        article = load_article(engine, spec.url)
        assert article is not None, spec.url
        assert (article.url, article.title, article.body) == (spec.url, spec.title, spec.body)
        assert article.published_at == spec.published_utc
        assert (article.writers, article.editors) == (list(spec.writers), list(spec.editors))
        assert (article.sources, article.tags) == (list(spec.sources), list(spec.tags))
        assert article.related_urls == [url for url, _ in spec.related]
    engine.dispose()


def snapshot(url: str) -> dict[str, Any]:
    """Everything an archive holds about its articles (not when they were fetched), by URL."""
    a, ap, ax, at, rl = (
        table.__table__
        for table in (ArticleRow, ArticlePerson, ArticleSource, ArticleTag, RelatedLink)
    )
    columns = [
        c
        for c in a.c
        if c.name not in {"id", "fetched_at", "first_seen_at", "last_seen_at", "capture_id"}
    ]
    queries = {
        "articles": select(*columns),
        "people": select(a.c.url, Person.name, ap.c.role, ap.c.position)
        .join(ap, ap.c.article_id == a.c.id)
        .join(Person, Person.id == ap.c.person_id),
        "sources": select(a.c.url, Source.name, ax.c.position)
        .join(ax, ax.c.article_id == a.c.id)
        .join(Source, Source.id == ax.c.source_id),
        "tags": select(a.c.url, Tag.name, at.c.position)
        .join(at, at.c.article_id == a.c.id)
        .join(Tag, Tag.id == at.c.tag_id),
        "related": select(a.c.url, rl.c.url, rl.c.position).join(rl, rl.c.article_id == a.c.id),
    }
    engine = open_existing_archive(url)
    with engine.connect() as connection:
        found = {
            name: sorted(tuple(row) for row in connection.execute(query))
            for name, query in queries.items()
        }
    engine.dispose()
    return found


def test_postgres_holds_what_sqlite_holds(archives: Archives) -> None:
    on_postgres, on_sqlite = snapshot(archives.postgres), snapshot(archives.sqlite)
    assert len(on_postgres["articles"]) == 29
    assert on_postgres == on_sqlite


def run_records(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(select(CrawlRun).order_by(CrawlRun.id)))


def test_the_second_run_inserts_nothing_and_both_are_recorded(archives: Archives) -> None:
    engine = open_existing_archive(archives.postgres)
    first, again = run_records(engine)
    assert count_articles(engine) == 29
    engine.dispose()
    assert (first.status, first.finish_reason) == ("ok", "finished")
    assert (first.articles_new, first.articles_updated) == (29, 0)
    assert first.responses_by_status["200"] > 29 and first.stats["finish_reason"] == "finished"
    assert (again.status, again.articles_new, again.articles_updated) == ("ok", 0, 0)
    assert first.started_at < first.finished_at <= again.started_at < again.finished_at
    assert "kompas-crawler crawl: " in archives.crawls["again"].log


# -- the query commands on that archive -----------------------------------------------------------


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    return json.loads(cli(capsys, *argv, "--json"))


@pytest.mark.parametrize(
    ("query", "options", "filters", "sort", "limit"),
    [
        ("nuklir", [], Filters(), "relevance", 20),  # lower case: the titles say "Nuklir"
        ("angkat bicara", ["--source", "reuters"], Filters(sources=("reuters",)), "relevance", 20),
        ('"Wang Yi"', ["--since", "2022-01-27", "--sort", "oldest"],
         Filters(since=date(2022, 1, 27)), "oldest", 20),
        ("militer", ["--until", "2022-12", "--limit", "1"],
         Filters(until=date(2022, 12, 31)), "relevance", 1),
        ("tidak-ada-di-arsip", [], Filters(), "relevance", 20),
    ],
)  # fmt: skip
def test_search_finds_what_full_text_search_finds_on_sqlite(
    archives: Archives,
    capsys: pytest.CaptureFixture[str],
    query: str,
    options: list[str],
    filters: Filters,
    sort: Sort,
    limit: int,
) -> None:
    """The same articles, counted the same; the order only where it is by date (bm25 and
    ts_rank_cd weigh differently)."""
    hits = cli_json(capsys, "search", query, *options, "--db", archives.postgres)
    postgres = open_existing_archive(archives.postgres)
    everything = search(postgres, query, filters, sort=sort, limit=100)
    postgres.dispose()
    sqlite = open_existing_archive(archives.sqlite)
    expected = search(sqlite, query, filters, sort=sort, limit=100)
    sqlite.dispose()
    assert everything.used_fts and expected.used_fts
    assert bool(expected.hits) == (query != "tidak-ada-di-arsip")
    urls = [hit.url for hit in expected.hits]
    assert sorted(hit.url for hit in everything.hits) == sorted(urls)
    assert len(hits) == min(limit, len(urls))
    assert {hit["url"] for hit in hits} <= set(urls)
    if sort != "relevance":
        assert [hit["url"] for hit in hits] == urls[:limit]
    assert all("**" in hit["snippet"] and hit["score"] > 0 for hit in hits)


def fts_total(archives: Archives, query: str) -> int:
    sqlite = open_existing_archive(archives.sqlite)
    total = search(sqlite, query, limit=100).total
    sqlite.dispose()
    return total


def test_search_says_it_ranks(archives: Archives, capsys: pytest.CaptureFixture[str]) -> None:
    out = cli(capsys, "search", "nuklir", "--db", archives.postgres)
    n = fts_total(archives, "nuklir")
    assert out.splitlines()[0] == f"{n} of {n} articles matching 'nuklir' (most relevant first)"


def test_show_gives_what_it_gives_on_sqlite(
    archives: Archives, capsys: pytest.CaptureFixture[str]
) -> None:
    url = archives.site.expected_articles()[-1].url
    shown = cli_json(capsys, "show", url, "--db", archives.postgres)
    expected = cli_json(capsys, "show", url, "--db", archives.sqlite)
    for record in (shown, expected):
        for name in ("id", "fetched_at", "first_seen_at", "last_seen_at"):
            record.pop(name, None)
            record.get("article", {}).pop(name, None)
    assert shown == expected
    assert url in cli(capsys, "show", url, "--db", archives.postgres)


def test_stats_give_what_they_give_on_sqlite(
    archives: Archives, capsys: pytest.CaptureFixture[str]
) -> None:
    for by in ("day", "month"):
        report = cli_json(capsys, "stats", "--by", by, "--db", archives.postgres)
        expected = cli_json(capsys, "stats", "--by", by, "--db", archives.sqlite)
        assert len(report.pop("crawl_runs")) == 2
        assert len(expected.pop("crawl_runs")) == 1
        assert report == expected
        assert report["totals"]["articles"] == 29
    assert "29" in cli(capsys, "stats", "--db", archives.postgres)


def test_export_gives_what_it_gives_on_sqlite(
    archives: Archives, capsys: pytest.CaptureFixture[str]
) -> None:
    def records(url: str) -> list[dict[str, Any]]:
        lines = cli(capsys, "export", "--db", url).splitlines()
        found = [json.loads(line) for line in lines]
        for record in found:
            for name in ("id", "fetched_at", "first_seen_at", "last_seen_at"):
                record.pop(name)
        return found

    exported = records(archives.postgres)
    assert len(exported) == 29
    assert exported == records(archives.sqlite)
    matching = cli(capsys, "export", "--format", "csv", "-q", "nuklir", "--db", archives.postgres)
    rows = list(csv.DictReader(io.StringIO(matching)))
    assert len(rows) == fts_total(archives, "nuklir") > 0


def test_the_python_api_reads_it(archives: Archives) -> None:
    with Archive(archives.postgres) as archive:
        assert "postgresql+psycopg://postgres@127.0.0.1:" in repr(archive)
        hits = list(archive.search("nuklir", source="AFP"))
        assert hits and all("AFP" in hit["sources"] for hit in hits)


KEYS = ("id", "article_id", "url")


def test_an_article_whose_new_row_id_is_taken_is_not_lost_silently(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An id sequence behind its table (rows restored by COPY with their ids) made the writer's
    INSERT ... ON CONFLICT DO NOTHING skip a new article without a word. Now the batch fails
    with one line naming the cause, and the articles, saved again one by one, get new ids."""
    crawler = store_crawler(postgres_url)
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    pipeline.process_item(pipeline_article(100000000))
    pipeline.flush()
    with pipeline.engine.begin() as connection:  # a restored row at the sequence's next id
        next_id = connection.execute(text("SELECT last_value + 1 FROM articles_id_seq")).scalar()
        copied = [c.name for c in ArticleRow.__table__.columns if c.name not in KEYS]
        columns = ", ".join(copied)
        connection.execute(
            text(
                f"INSERT INTO articles (id, article_id, url, {columns}) SELECT :id, 'restored', "
                f"'https://www.kompas.com/global/read/2020/01/01/1/restored', {columns} "
                "FROM articles LIMIT 1"
            ),
            {"id": next_id},
        )
    pipeline.process_item(pipeline_article(100000001))
    pipeline.process_item(pipeline_article(100000002))
    with caplog.at_level("ERROR"):
        pipeline.close_spider()
    assert "their new row id is taken" in caplog.text
    assert store_stats(crawler)["kompas/store/new"] == 3
    assert "kompas/store/failed" not in store_stats(crawler)
    assert count_articles(pipeline.engine) == 4  # the three, and the restored row
    pipeline.engine.dispose()
