"""The notebook API (kompas_crawler.archive.Archive) and opening the archive in Datasette."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, date, timedelta, timezone
from pathlib import Path

import pytest

from kompas_crawler import settings
from kompas_crawler.archive import Archive, QueryError
from kompas_crawler.errors import ConfigError
from kompas_crawler.items import Article
from tests.test_query import make_archive

WIB = timezone(timedelta(hours=7))


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("api") / "kompas.db"
    make_archive(path).dispose()
    return path


@pytest.fixture
def archive(path: Path) -> Archive:
    with Archive(f"sqlite:///{path}") as archive:
        yield archive  # type: ignore[misc]


def test_search_returns_flat_dicts_in_wib(archive: Archive) -> None:
    hits = archive.search("NATO Ukraina", sort="newest", limit=2)
    assert [hit["article_id"] for hit in hits] == ["20220301-090000070", "20220128-003000070"]
    assert hits[0]["published_at"].utcoffset() == timedelta(hours=7)
    assert hits[0]["published_at"].hour == 9 and hits[0]["writers"] == ["Tito Hilmawan Reditya"]
    assert set(hits[0]) >= {"title", "url", "snippet", "score", "sources", "tags"}


def test_filters_take_strings_dates_and_lists(archive: Archive) -> None:
    assert archive.count("NATO OR Ukraina", since="2022-01-28", until=date(2022, 1, 28)) == 1
    assert archive.count(source=["AFP", "Reuters"]) == 1
    assert archive.count(writer="tito", section="Eropa") == 2
    assert archive.count(until="2022-02") == 5


def test_rows_stream_every_article_as_dicts(archive: Archive) -> None:
    rows = list(archive.rows(tag="Ukraina"))
    assert [row["title"][:8] for row in rows] == ["AS Tolak", "NATO Kir", "Pengungs"]
    assert rows[0]["first_seen_at"].tzinfo is not None
    assert rows[0]["published_at"].astimezone(WIB).isoformat() == "2022-01-27T21:06:00+07:00"


def test_rows_load_into_a_dataframe(archive: Archive) -> None:
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame(archive.rows())
    assert len(frame) == 8 and frame["published_at"].dt.month.tolist()[0] == 1


def test_articles_are_items(archive: Archive) -> None:
    (article,) = archive.articles("gandum")
    assert isinstance(article, Article) and article.title == "Harga Gandum Dunia Melonjak"
    assert article.published_at is not None and article.published_at.tzinfo == UTC


def test_one_article_and_its_revisions(archive: Archive) -> None:
    article = archive.article("20220127-210600070")
    assert article is not None and article.title and article.title.endswith("(diperbarui)")
    (revision,) = archive.revisions(article.url or "")
    assert revision.title == "AS Tolak Permintaan Rusia Larang Ukraina Gabung NATO"
    assert archive.article("20000101-000000070") is None


def test_stats(archive: Archive) -> None:
    report = archive.stats(by="day", source="AFP")
    assert report["totals"]["articles"] == 3 and len(report["per_period"]) == 3


def test_bad_input_raises_the_cli_errors(archive: Archive, tmp_path: Path) -> None:
    with pytest.raises(QueryError):
        archive.search("NATO AND")
    with pytest.raises(QueryError):
        archive.count(since="2022-02-30")
    with pytest.raises(ConfigError):
        Archive(f"sqlite:///{tmp_path / 'missing.db'}")


def test_default_url_is_the_setting(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "KOMPAS_DATABASE_URL", f"sqlite:///{path}")
    with Archive() as archive:
        assert archive.count() == 8


# ---------------------------------------------------------------------------- Datasette


def test_fts_index_is_declared_for_articles(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        (sql,) = connection.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'articles_fts'"
        ).fetchone()
    connection.close()
    assert "fts5" in sql.lower() and "articles" in sql and 'content_rowid="id"' in sql


def test_datasette_detects_full_text_search(path: Path) -> None:
    utils = pytest.importorskip("datasette.utils")
    with sqlite3.connect(path) as connection:
        assert utils.detect_fts(connection, "articles") == "articles_fts"
    connection.close()


def test_datasette_searches_the_archive(path: Path) -> None:
    app = pytest.importorskip("datasette.app")

    async def titles() -> list[str]:
        # No metadata: `datasette data/kompas.db` finds the full-text index by itself.
        datasette = app.Datasette([str(path)])
        await datasette.invoke_startup()
        response = await datasette.client.get(
            f"/{path.stem}/articles.json?_search=NATO+Ukraina&_shape=array&_col=title&_sort=id"
        )
        assert response.status_code == 200, response.text
        return [row["title"] for row in response.json()]

    assert asyncio.run(titles()) == [
        "AS Tolak Permintaan Rusia Larang Ukraina Gabung NATO (diperbarui)",
        "NATO Kirim Kapal Perang ke Laut Baltik",
        "Pengungsi Ukraina Tiba di Polandia",
    ]
