"""The archive's views (storage/views.py): WIB times with their offset, names as JSON arrays."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from kompas_crawler.storage.archive import ArchiveWriter
from kompas_crawler.storage.database import open_archive
from tests.test_query import SEEN, make_archive, sample_articles

FLAT = (
    "SELECT article_id, published_wib, updated_wib, month_wib, writers, editors, sources, tags "
    "FROM articles_flat ORDER BY article_id"
)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("views") / "kompas.db"
    make_archive(path).dispose()
    return path


def rows(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        found = connection.execute(text(FLAT)).all()
    # PostgreSQL hands json back decoded, SQLite as text: compare decoded.
    return [
        tuple(json.loads(v) if isinstance(v, str) and v.startswith("[") else v for v in row)
        for row in found
    ]


def test_wib_times_match_the_stored_utc(db: Path) -> None:
    with sqlite3.connect(db) as connection:
        found = connection.execute(
            "SELECT w.published_wib, a.published_at, w.published_utc FROM articles_wib w "
            "JOIN articles a USING (id)"
        ).fetchall()
    assert len(found) == 8
    for wib, stored, utc in found:
        assert wib.endswith("+07:00") and utc == stored
        instant = datetime.fromisoformat(stored).replace(tzinfo=UTC)
        assert datetime.fromisoformat(wib) == instant
        assert datetime.fromisoformat(wib).utcoffset() == timedelta(hours=7)


def test_flat_view_gathers_names_in_byline_order(db: Path) -> None:
    engine = open_archive(f"sqlite:///{db}")
    found = {row[0]: row for row in rows(engine)}
    engine.dispose()
    first = found["20220127-210600070"]
    assert first[1] == "2022-01-27T21:06:00+07:00" and first[3] == "2022-01"
    assert first[4:] == (
        ["Aditya Jaya Iswara"],
        ["Aditya Jaya Iswara"],
        ["AFP"],
        ["NATO", "Rusia", "Ukraina"],
    )
    # Published 00:30 WIB on 28 January, still the 27th in UTC: the WIB day and month count.
    assert found["20220128-003000070"][1] == "2022-01-28T00:30:00+07:00"
    assert found["20220128-003000070"][5] == []


def test_views_exist_for_plain_sqlite3_users(db: Path) -> None:
    with sqlite3.connect(db) as connection:
        views = {
            name
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'view'")
        }
    assert views == {"articles_wib", "articles_flat"}


def test_postgresql_views_say_the_same(postgres_url: str, tmp_path: Path) -> None:
    results = []
    for url in (postgres_url, f"sqlite:///{tmp_path / 'same.db'}"):
        open_archive(url).dispose()  # a second open finds the views in place
        engine = open_archive(url)
        ArchiveWriter(engine).save_batch(sample_articles(), seen_at=SEEN)
        results.append(rows(engine))
        engine.dispose()
    on_pg, on_sqlite = results
    assert len(on_pg) == 8 and on_pg == on_sqlite
