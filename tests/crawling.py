"""Helpers for tests that run real crawls (``kompas-crawler crawl`` in a subprocess) against an
`OfflineServer`, and compare the archives they leave."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from kompas_crawler.offline import (
    WIB,
    ArticleSpec,
    ListingEntry,
    OfflineSite,
    generated_site,
    make_article,
)

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
KOMPAS_CRAWLER = str(BIN / "kompas-crawler")
SCRAPY = str(BIN / "scrapy")
# Fast and local: the CI box has 2 cores and no reason to wait between requests.
FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=INFO"]


def crawl_env(mirror: str, database: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOMPAS_")}
    env.update(KOMPAS_MIRROR=mirror, KOMPAS_DATABASE_URL=f"sqlite:///{database}", **extra)
    return env


def crawl_command(*arguments: str, quiet: bool = False) -> list[str]:
    return [KOMPAS_CRAWLER, "crawl", *(["-q"] if quiet else []), *FAST, *arguments]


def run_crawl(
    workdir: Path, mirror: str, *arguments: str, timeout: float = 60, quiet: bool = False
) -> subprocess.CompletedProcess[str]:
    """``kompas-crawler crawl`` run to its end in ``workdir`` (archive: workdir/kompas.db)."""
    return subprocess.run(
        crawl_command(*arguments, quiet=quiet),
        cwd=workdir,
        env=crawl_env(mirror, workdir / "kompas.db"),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_crawl(workdir: Path, mirror: str, *arguments: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        crawl_command(*arguments),
        cwd=workdir,
        env=crawl_env(mirror, workdir / "kompas.db"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until(condition: Callable[[], bool], timeout: float = 30, step: float = 0.01) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(step)


def query(database: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database) as connection:
        return connection.execute(sql, params).fetchall()


def last_run(database: Path) -> dict[str, Any]:
    with sqlite3.connect(database) as connection:
        connection.row_factory = sqlite3.Row
        row = connection.execute("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
    return dict(row)


_ARTICLE_COLUMNS = (
    "url, article_id, title, published_at, updated_at, section, subsection, dateline, body, "
    "tag_list, image_url, image_caption, image_credit, word_count, content_hash"
)


def archive_snapshot(database: Path) -> dict[str, Any]:
    """Everything an archive holds about its articles, minus the times a crawl saw them."""
    return {
        "articles": query(database, f"SELECT {_ARTICLE_COLUMNS} FROM articles ORDER BY url"),
        "people": query(
            database,
            "SELECT a.url, p.name, ap.role, ap.position FROM article_people ap "
            "JOIN articles a ON a.id = ap.article_id JOIN people p ON p.id = ap.person_id "
            "ORDER BY 1, 3, 4",
        ),
        "sources": query(
            database,
            "SELECT a.url, s.name, x.position FROM article_sources x "
            "JOIN articles a ON a.id = x.article_id JOIN sources s ON s.id = x.source_id "
            "ORDER BY 1, 3",
        ),
        "tags": query(
            database,
            "SELECT a.url, t.name, x.position FROM article_tags x "
            "JOIN articles a ON a.id = x.article_id JOIN tags t ON t.id = x.tag_id ORDER BY 1, 3",
        ),
        "related": query(
            database,
            "SELECT a.url, r.url, r.position FROM related_links r "
            "JOIN articles a ON a.id = r.article_id ORDER BY 1, 3",
        ),
        "revisions": query(database, "SELECT count(*) FROM article_revisions"),
        "fts": query(database, "SELECT count(*) FROM articles_fts"),
    }


def table_counts(database: Path) -> dict[str, int]:
    names = [
        row[0]
        for row in query(
            database,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'articles_fts%'",
        )
    ]
    return {name: query(database, f'SELECT count(*) FROM "{name}"')[0][0] for name in names}


def hits_for(server: Any, needle: str) -> list[Any]:
    return [hit for hit in server.hits if needle in hit.url]


# -- sites ---------------------------------------------------------------------------------------


def old_site(articles: int = 40, per_day: int = 10, per_page: int = 10) -> OfflineSite:
    """A generated site of clean Global articles from 2024 (outside any revisit window)."""
    return generated_site(
        articles, per_day=per_day, per_page=per_page, last_day=date(2024, 6, 30), day_step=1
    )


def with_new_articles(site: OfflineSite, count: int, day: date, seed: int = 99) -> OfflineSite:
    """The same site with ``count`` more articles published on ``day`` (listed first)."""
    days = {d: list(entries) for d, entries in site.days.items()}
    fresh = [
        make_article(
            seed + n,
            datetime(day.year, day.month, day.day, 23, 50 - n, tzinfo=WIB),
            number=5000 + seed + n,
        )
        for n in range(count)
    ]
    days[day] = [ListingEntry(spec.url, spec) for spec in fresh] + days.get(day, [])
    return OfflineSite(days, per_page=site.per_page, newest_per_page=site.newest_per_page)


def recent_site(count: int = 6, per_page: int = 10) -> OfflineSite:
    """Articles published in the last hours, inside the default 48-hour revisit window."""
    now = datetime.now(UTC).astimezone(WIB).replace(second=0, microsecond=0)
    specs = [
        make_article(300 + n, now - timedelta(hours=1 + n), number=300 + n) for n in range(count)
    ]
    days: dict[date, list[ListingEntry]] = {}
    for spec in specs:
        days.setdefault(spec.day, []).append(ListingEntry(spec.url, spec))
    return OfflineSite(days, per_page=per_page)


def edited(site: OfflineSite, url: str, **changes: Any) -> OfflineSite:
    """The same site with one article changed (a correction, a new title...)."""
    days = {
        day: [
            ListingEntry(
                e.href, replace(e.article, **changes) if e.article.url == url else e.article
            )
            for e in entries
        ]
        for day, entries in site.days.items()
    }
    return OfflineSite(days, per_page=site.per_page, newest_per_page=site.newest_per_page)


def spec_titles(specs: Sequence[ArticleSpec]) -> list[tuple[str, str]]:
    return sorted((spec.url, spec.title) for spec in specs)
