"""End to end: the real ``scrapy crawl kompas_global`` in a subprocess, against the offline site.

One server serves the bundled demo site for the whole module; the crawls run once, in parallel
where they are independent, and each test checks one thing about their archives and logs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from kompas_crawler.items import Article
from kompas_crawler.offline import (
    ROBOTS_TXT,
    ArticleSpec,
    OfflineServer,
    OfflineSite,
    Reply,
    demo_site,
)
from kompas_crawler.storage.archive import load_article
from kompas_crawler.storage.database import open_existing_archive
from kompas_crawler.storage.models import ArticleRow
from kompas_crawler.urls import canonical_url

SCRAPY = Path(sys.executable).with_name("scrapy")
FAST = [
    "-s", "AUTOTHROTTLE_ENABLED=False",
    "-s", "DOWNLOAD_DELAY=0",
    "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
    "-s", "KOMPAS_STORE_FLUSH_SECONDS=0",
    "-s", "LOG_LEVEL=INFO",
]  # fmt: skip
BACKFILL_DAYS = [date(2022, 1, 26), date(2022, 1, 27)]
FORBIDDEN_DAY = "/global/read/2024/06/13/"
NOISE = ["Baca juga", "ADVERTISEMENT", "SCROLL TO CONTINUE", "WhatsApp", "Tren lain"]


@dataclass
class Run:
    """A finished crawl: its exit code, log and archive."""

    returncode: int
    log: str
    database: Path

    def stats(self) -> dict[str, int]:
        """The integer stats Scrapy dumped at the end of the run."""
        dump = self.log.split("Dumping Scrapy stats:", 1)[-1]
        return {key: int(value) for key, value in re.findall(r"'([^']+)': (\d+)[,}]", dump)}

    def engine(self) -> Engine:
        return open_existing_archive(f"sqlite:///{self.database}")


def start_crawl(server: OfflineServer, workdir: Path, *args: str) -> subprocess.Popen[str]:
    workdir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "KOMPAS_DATABASE_URL": f"sqlite:///{workdir / 'archive.db'}",
        "KOMPAS_MIRROR": server.url,
        "SCRAPY_SETTINGS_MODULE": "kompas_crawler.settings",
    }
    return subprocess.Popen(
        [str(SCRAPY), "crawl", "kompas_global", *FAST, *args],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def start_demo(workdir: Path) -> subprocess.Popen[str]:
    """What ``make demo`` runs: its own server on a free port, crawled into a SQLite file."""
    workdir.mkdir(parents=True, exist_ok=True)
    command = ["-m", "kompas_crawler.offline", "--port", "0", "--crawl"]
    return subprocess.Popen(
        [sys.executable, *command, "sqlite:///archive.db", "--", "-s", "LOG_LEVEL=INFO"],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process: subprocess.Popen[str], workdir: Path) -> Run:
    output, _ = process.communicate(timeout=120)
    return Run(process.returncode, output, workdir / "archive.db")


@pytest.fixture(scope="module")
def site() -> OfflineSite:
    return demo_site()


@pytest.fixture(scope="module")
def server(site: OfflineSite) -> Iterator[OfflineServer]:
    with OfflineServer(site) as running:
        yield running


@pytest.fixture(scope="module")
def strict_server() -> Iterator[OfflineServer]:
    """The demo site with a robots.txt that forbids one day of articles."""
    site = demo_site()
    rules = ROBOTS_TXT.replace(
        "Disallow: /copy/*\n", f"Disallow: /copy/*\nDisallow: {FORBIDDEN_DAY}\n"
    )
    site.script("https://www.kompas.com/robots.txt", Reply.text(rules))
    with OfflineServer(site) as running:
        yield running


@pytest.fixture(scope="module")
def runs(
    server: OfflineServer, strict_server: OfflineServer, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Run]:
    """Every crawl of this module: independent ones in parallel, then the repeat of the first."""
    root = tmp_path_factory.mktemp("crawls")
    plans = {
        "full": (),
        "backfill": ("-a", "start_date=2022-01-26", "-a", "end_date=2022-01-27"),
        "first_page": ("-a", "max_pages=1", "-O", "out.jsonl"),
        "bad_date": ("-a", "start_date=2022-13-01", "-a", "end_date=2022-12-31"),
        "end_before_start": ("-a", "start_date=2022-01-27", "-a", "end_date=2022-01-26"),
        "bad_max_pages": ("-a", "max_pages=abc"),
    }
    started = {name: start_crawl(server, root / name, *args) for name, args in plans.items()}
    started["demo"] = start_demo(root / "demo")
    started["robots"] = start_crawl(strict_server, root / "robots")
    done = {name: finish(process, root / name) for name, process in started.items()}
    done["repeat"] = finish(start_crawl(server, root / "full"), root / "full")
    return done


def stored(run: Run) -> dict[str, Article]:
    engine = run.engine()
    try:
        with engine.connect() as connection:
            urls = connection.scalars(select(ArticleRow.url)).all()
        articles = {url: load_article(engine, url) for url in urls}
    finally:
        engine.dispose()
    return {url: article for url, article in articles.items() if article is not None}


def _naive_utc(spec: ArticleSpec) -> datetime:
    return spec.published_utc.replace(tzinfo=None)


# -- the full default crawl --------------------------------------------------------------------


def test_full_crawl_succeeds(runs: dict[str, Run]) -> None:
    run = runs["full"]
    assert run.returncode == 0, run.log[-3000:]
    assert "finish_reason': 'finished'" in run.log


def test_full_crawl_stores_exactly_the_global_articles(runs: dict[str, Run], site: OfflineSite):
    articles = stored(runs["full"])
    assert sorted(articles) == [spec.url for spec in site.expected_articles()]
    assert len(articles) == 29


def test_no_article_is_stored_twice(runs: dict[str, Run]) -> None:
    engine = runs["full"].engine()
    with engine.connect() as connection:
        total = connection.scalar(select(func.count()).select_from(ArticleRow))
        ids = connection.scalar(select(func.count(func.distinct(ArticleRow.article_id))))
    engine.dispose()
    assert total == ids == 29


@pytest.mark.parametrize(
    "field",
    [
        "title",
        "published_at",
        "writers",
        "editors",
        "sources",
        "tags",
        "section",
        "body",
        "related",
    ],
)
def test_stored_fields_match_the_pages(runs: dict[str, Run], site: OfflineSite, field: str):
    articles = stored(runs["full"])
    for spec in site.expected_articles():
        article = articles[spec.url]
        expected: object = {
            "title": spec.title,
            "published_at": _naive_utc(spec),
            "writers": list(spec.writers),
            "editors": list(spec.editors),
            "sources": list(spec.sources),
            "tags": list(spec.tags),
            "section": spec.section,
            "body": spec.body,
            "related": [url for url, _ in spec.related],
        }[field]
        value: object = {
            "published_at": article.published_at and article.published_at.replace(tzinfo=None),
            "related": article.related_urls,
        }.get(field, getattr(article, field, None))
        assert value == expected, f"{field} of {spec.url}"


def test_bodies_hold_no_page_noise(runs: dict[str, Run]) -> None:
    for article in stored(runs["full"]).values():
        assert article.body
        for noise in NOISE:
            assert noise not in article.body, article.url


def test_multi_page_article_is_stored_whole_under_its_canonical_url(
    runs: dict[str, Run], site: OfflineSite
) -> None:
    (spec,) = [spec for spec in site.articles.values() if spec.pages > 1]
    article = stored(runs["full"])[spec.url]
    assert article.body == spec.body
    assert article.body.endswith(spec.paragraphs[-1])
    assert article.title == spec.title  # not "... Halaman all"
    assert runs["full"].stats()["kompas/article/multi_page"] == 1


def test_updated_time_is_stored(runs: dict[str, Run], site: OfflineSite) -> None:
    (spec,) = [spec for spec in site.articles.values() if spec.updated is not None]
    article = stored(runs["full"])[spec.url]
    assert spec.updated is not None and article.updated_at is not None
    assert article.updated_at.astimezone(UTC) == spec.updated.astimezone(UTC)


def test_broken_page_is_counted_as_dropped(runs: dict[str, Run], site: OfflineSite) -> None:
    stats = runs["full"].stats()
    dropped = {key: value for key, value in stats.items() if key.startswith("kompas/dropped/")}
    assert sum(dropped.values()) == 1, dropped
    (broken,) = site.broken_articles()
    assert broken.url not in stored(runs["full"])
    assert f"Dropped article {broken.url}" in runs["full"].log


def test_non_global_and_duplicate_links_are_not_followed(
    runs: dict[str, Run], server: OfflineServer, site: OfflineSite
) -> None:
    stats = runs["full"].stats()
    assert stats["kompas/store/new"] == 29
    assert stats["kompas/listing/repeated"] >= 1  # the duplicate, listed under its AMP URL too
    requested = [hit.url for hit in server.hits]
    assert not [url for url in requested if "nasional.kompas.com" in url or "/hype/" in url]
    assert not [url for url in requested if "utm_source" in url or "amp.kompas.com" in url]


def test_robots_txt_is_fetched_through_the_mirror(runs: dict[str, Run], server: OfflineServer):
    requested = {hit.url for hit in server.hits}
    assert "https://indeks.kompas.com/robots.txt" in requested
    assert "https://www.kompas.com/robots.txt" in requested
    assert runs["full"].stats()["robotstxt/response_status_count/200"] == 2


def test_robots_txt_is_obeyed(
    runs: dict[str, Run], strict_server: OfflineServer, site: OfflineSite
) -> None:
    run = runs["robots"]
    assert run.returncode == 0, run.log[-3000:]
    expected = [spec.url for spec in site.expected_articles()]
    allowed = [url for url in expected if FORBIDDEN_DAY not in url]
    assert sorted(stored(run)) == allowed
    assert run.stats()["robotstxt/forbidden"] == len(expected) - len(allowed) > 0
    assert not [hit for hit in strict_server.hits if FORBIDDEN_DAY in hit.url]


def test_second_identical_run_inserts_nothing(runs: dict[str, Run]) -> None:
    repeat = runs["repeat"]
    assert repeat.returncode == 0, repeat.log[-3000:]
    stats = repeat.stats()
    assert stats.get("kompas/store/new", 0) == 0
    assert stats.get("kompas/store/updated", 0) == 0
    assert len(stored(repeat)) == 29


def test_demo_command_fills_an_archive(runs: dict[str, Run]) -> None:
    run = runs["demo"]
    assert run.returncode == 0, run.log[-3000:]
    # The demo site with 2026 days and other sections' indexes; the crawl stores Global's.
    assert "Serving 65 articles at http://127.0.0.1:" in run.log
    expected = demo_site(with_2026=True, with_sections=True).expected_articles()
    assert sorted(stored(run)) == [spec.url for spec in expected]


# -- arguments ---------------------------------------------------------------------------------


def test_backfill_walks_each_day_of_the_range(
    runs: dict[str, Run], server: OfflineServer, site: OfflineSite
) -> None:
    run = runs["backfill"]
    assert run.returncode == 0, run.log[-3000:]
    assert sorted(stored(run)) == [spec.url for spec in site.expected_articles(BACKFILL_DAYS)]
    indexes = {hit.url for hit in server.hits if "indeks.kompas.com/?" in hit.url}
    for day in BACKFILL_DAYS:  # every page of each day
        assert f"https://indeks.kompas.com/?site=global&date={day}&page=2" in indexes


def test_max_pages_bounds_the_listing(runs: dict[str, Run], site: OfflineSite) -> None:
    run = runs["first_page"]
    assert run.returncode == 0, run.log[-3000:]
    assert sorted(stored(run)) == [spec.url for spec in site.expected_articles(max_pages=1)]
    assert run.stats()["kompas/listing/pages"] == 1


def test_jsonl_feed_writes_the_same_fields(runs: dict[str, Run]) -> None:
    run = runs["first_page"]
    lines = (run.database.parent / "out.jsonl").read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines]
    archive = stored(run)
    assert sorted(item["url"] for item in items) == sorted(archive)
    for item in items:
        article = archive[item["url"]]
        assert set(item) == set(Article.__dataclass_fields__)
        assert item["url"] == canonical_url(item["url"])
        for field in ("title", "body", "writers", "editors", "sources", "tags", "related_urls"):
            assert item[field] == getattr(article, field), field
        assert item["published_at"].startswith(article.published_at.strftime("%Y-%m-%dT%H:%M"))  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("run_name", "message"),
    [
        ("bad_date", "start_date='2022-13-01' is not a date"),
        ("end_before_start", "end_date=2022-01-26 is before start_date=2022-01-27"),
        ("bad_max_pages", "max_pages='abc' must be a whole number"),
    ],
)
def test_bad_arguments_stop_the_run_with_a_message(
    runs: dict[str, Run], run_name: str, message: str
) -> None:
    run = runs[run_name]
    assert run.returncode != 0
    assert f"Cannot start: spider argument {message}" in run.log
    assert "Spider opened" not in run.log
    assert not run.database.exists() or not stored(run)
