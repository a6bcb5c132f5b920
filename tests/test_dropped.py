"""Dropped articles are remembered: why, when first and last tried, how often, when next; retried
hourly then daily for a week; forgotten once stored."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from kompas_crawler.offline import OfflineServer, Reply
from kompas_crawler.storage.archive import ArchiveWriter
from kompas_crawler.storage.database import open_archive
from kompas_crawler.storage.dropped import (
    dropped_counts,
    due,
    list_dropped,
    missing_captures,
    next_try,
    not_due,
    remember_dropped,
)
from tests.crawling import old_site, query, run_crawl
from tests.test_archive import make_article

T0 = datetime(2026, 12, 1, 0, 0)
URL = "https://www.kompas.com/global/read/2024/06/30/090600270/rusia-desak"


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'kompas.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = open_archive(url)
    yield engine
    engine.dispose()


@pytest.mark.parametrize(
    ("tries", "last_try", "expected"),
    [
        (1, T0, T0 + timedelta(hours=1)),
        (2, T0 + timedelta(hours=1), T0 + timedelta(hours=4)),
        (3, T0 + timedelta(hours=4), T0 + timedelta(hours=10)),
        (4, T0 + timedelta(hours=10), T0 + timedelta(hours=34)),
        (9, T0 + timedelta(days=6), T0 + timedelta(days=7)),
        (10, T0 + timedelta(days=6, hours=1), None),  # a week after the first try: given up
    ],
)
def test_retries_back_off_from_hours_to_days_for_a_week(
    tries: int, last_try: datetime, expected: datetime | None
) -> None:
    assert next_try(tries, T0, last_try) == expected


def test_each_try_is_counted_and_the_next_one_scheduled(engine: Engine) -> None:
    remember_dropped(engine, URL, "20240630-090600270", "missing_body", T0)
    remember_dropped(engine, URL, "20240630-090600270", "blocked", T0 + timedelta(hours=1))
    total, [row] = list_dropped(engine)
    assert total == 1
    assert (row.reason, row.tries, row.first_try) == ("blocked", 2, T0)
    assert row.next_try == T0 + timedelta(hours=4)
    assert not_due(engine, [URL, "https://other"], T0 + timedelta(hours=2)) == {URL}
    assert not_due(engine, [URL], T0 + timedelta(hours=5)) == set()
    assert due(engine, T0 + timedelta(hours=5)) == [URL]
    assert due(engine, T0 + timedelta(hours=2)) == []
    assert dropped_counts(engine) == {"remembered": 1, "given_up": 0}


def test_given_up_articles_are_kept_but_never_due(engine: Engine) -> None:
    for day in range(9):
        remember_dropped(engine, URL, None, "missing_body", T0 + timedelta(days=day))
    assert due(engine, T0 + timedelta(days=30)) == []
    assert not_due(engine, [URL], T0 + timedelta(days=30)) == {URL}
    assert dropped_counts(engine) == {"remembered": 1, "given_up": 1}


def test_missing_captures_counts_stored_articles_without_one(engine: Engine) -> None:
    assert missing_captures(engine) == 0
    ArchiveWriter(engine).save_batch([make_article(0)], datetime(2026, 4, 1))
    assert missing_captures(engine) == 1  # stored without a capture (WARC capture off)


def test_a_dropped_article_waits_then_is_stored_and_forgotten(tmp_path: Path) -> None:
    database = tmp_path / "kompas.db"
    site = old_site(10, per_day=10, per_page=10)
    target = sorted(site.articles)[3]
    with OfflineServer(site) as server:
        server.site.script(target, Reply(status=200, body=b""))
        run_crawl(tmp_path, server.url)
        remembered = query(database, "SELECT url, reason, tries FROM dropped_articles")
        server.site.unscript()
        server.clear_hits()
        waiting = run_crawl(tmp_path, server.url)
        waited = [hit.url for hit in server.hits if "/read/" in hit.url]
        with sqlite3.connect(database) as connection:  # an hour later
            connection.execute("UPDATE dropped_articles SET next_try = '2000-01-01 00:00:00'")
        server.clear_hits()
        retried = run_crawl(tmp_path, server.url)
        fetched = [hit.url for hit in server.hits if "/read/" in hit.url]
    assert remembered == [(target, "missing_title", 1)]
    assert waiting.returncode == 0, waiting.stderr
    assert waited == []
    assert retried.returncode == 0, retried.stderr
    assert fetched == [target]
    assert query(database, "SELECT count(*) FROM articles") == [(10,)]
    assert query(database, "SELECT count(*) FROM dropped_articles") == [(0,)]
