"""The archive's first schema migration: an archive made by schema 1 (kept as its DDL in
tests/fixtures/schema) is upgraded when opened, keeps every row, stays searchable, and then
matches the current models exactly. On SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, text

from kompas_crawler.errors import ConfigError
from kompas_crawler.items import Article
from kompas_crawler.storage import migrate
from kompas_crawler.storage.archive import ArchiveWriter, load_article, load_revisions
from kompas_crawler.storage.database import SCHEMA_VERSION, open_archive, open_existing_archive
from kompas_crawler.storage.models import Base
from kompas_crawler.storage.search import search

FIXTURES = Path(__file__).parent / "fixtures" / "schema"
NOW = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)

# One article as schema 1 stored it, with a byline, a tag and an earlier version.
V1_ROWS = [
    "INSERT INTO articles (id, article_id, url, title, published_at, body, tag_list, word_count,"
    " content_hash, fetched_at, first_seen_at, last_seen_at) VALUES (1, '20240101-100000001',"
    " 'https://www.kompas.com/global/read/2024/01/01/100000001/vaksinasi-jepang',"
    " 'Vaksinasi di Jepang', '2024-01-01 03:00:00', 'Jepang memulai vaksinasi massal.',"
    " 'Jepang', 4, 'oldhash', '2024-01-01 04:00:00', '2024-01-01 04:00:00',"
    " '2024-01-01 04:00:00')",
    "INSERT INTO people (id, name) VALUES (1, 'Ana Lestari')",
    "INSERT INTO article_people (article_id, person_id, role, position) VALUES (1, 1, 'writer', 0)",
    "INSERT INTO tags (id, name) VALUES (1, 'Jepang')",
    "INSERT INTO article_tags (article_id, tag_id, position) VALUES (1, 1, 0)",
    "INSERT INTO article_revisions (article_id, content_hash, title, body, published_at,"
    " fields, fetched_at, replaced_at) VALUES (1, 'older', 'Vaksin di Jepang', 'Lama.',"
    " '2024-01-01 03:00:00', '{}', '2024-01-01 03:30:00', '2024-01-01 04:00:00')",
]


def v1_sqlite(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        connection.executescript((FIXTURES / "archive_v1.sqlite.sql").read_text())
        for statement in V1_ROWS:
            connection.execute(statement)
    connection.close()
    return f"sqlite:///{path}"


def new_article() -> Article:
    return Article(
        url="https://www.kompas.com/global/read/2026/01/05/090000002/gencatan-senjata",
        title="Gencatan senjata diumumkan",
        published_at=NOW,
        body="Kedua pihak sepakat gencatan senjata mulai hari ini.",
        writers=["Budi Santoso"],
        tags=["Perang"],
        layout="2026",
        fallbacks=["dateline"],
    )


def schema_differences(engine: Engine) -> list[Any]:
    """What alembic autogenerate would change to reach the models (FTS tables aside)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_name": lambda name, kind, _parent: (
                    not str(name).startswith(("articles_fts", "article_stems_fts", "alembic"))
                )
            },
        )
        differences = compare_metadata(context, Base.metadata)
    # The generated tsvector columns are made outside the models, by open_archive.
    made_outside = ("search_vector", "articles_search_idx", "stem_vector", "article_stems_search")
    return [d for d in differences if not any(name in repr(d) for name in made_outside)]


def titles(engine: Engine, words: str) -> list[str]:
    return [hit.title for hit in search(engine, words).hits]


def test_the_schema_version_is_the_newest_alembic_revision() -> None:
    config = migrate._config(None)  # type: ignore[arg-type]
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head == migrate.revision(SCHEMA_VERSION) == "0006"


def test_a_schema_1_archive_is_upgraded_on_open_with_a_backup(tmp_path: Path) -> None:
    url = v1_sqlite(tmp_path / "kompas.db")
    engine = open_existing_archive(url)  # a read command upgrades it too
    with engine.connect() as connection:
        assert connection.execute(text("SELECT value FROM archive_meta")).scalar() == str(
            SCHEMA_VERSION
        )
        assert connection.execute(
            text("SELECT version_num FROM alembic_version")
        ).scalar() == migrate.revision(SCHEMA_VERSION)
        triggers = connection.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        ).scalars()
        assert list(triggers) == [
            "article_stems_fts_delete",
            "article_stems_fts_insert",
            "article_stems_fts_update",
            "articles_fts_delete",
            "articles_fts_insert",
            "articles_fts_update",
        ]
        assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
    assert schema_differences(engine) == []
    old = load_article(engine, "20240101-100000001")
    assert old is not None and old.writers == ["Ana Lestari"] and old.tags == ["Jepang"]
    assert old.layout is None and old.fallbacks == []
    assert [r.title for r in load_revisions(engine, "20240101-100000001")] == ["Vaksin di Jepang"]
    engine.dispose()
    backup = tmp_path / "kompas.db.bak-schema1"
    with sqlite3.connect(backup) as connection:
        assert connection.execute("SELECT value FROM archive_meta").fetchone() == ("1",)
        assert connection.execute("SELECT count(*) FROM article_people").fetchone() == (1,)
    connection.close()


def test_old_and_new_rows_are_both_searchable_after_the_upgrade(tmp_path: Path) -> None:
    url = v1_sqlite(tmp_path / "kompas.db")
    engine = open_archive(url)
    ArchiveWriter(engine).save_batch([new_article()], NOW)
    assert titles(engine, "vaksinasi") == ["Vaksinasi di Jepang"]
    assert titles(engine, "gencatan") == ["Gencatan senjata diumumkan"]
    stored = load_article(engine, new_article().url or "")
    assert stored is not None and stored.layout == "2026" and stored.fallbacks == ["dateline"]
    with engine.begin() as connection:
        # rank=1 makes FTS5 compare the index with the table itself (without it, it passes anyway)
        connection.execute(
            text("INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)")
        )
        connection.execute(text("UPDATE articles SET title = 'Vaksinasi tahap dua' WHERE id = 1"))
    assert titles(engine, "tahap") == ["Vaksinasi tahap dua"]
    engine.dispose()


def test_a_schema_2_archive_gets_its_stored_articles_stemmed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'kompas.db'}"
    engine = open_archive(url)
    ArchiveWriter(engine).save_batch([new_article()], NOW)
    with engine.begin() as connection:  # back to schema 2, as kompas-crawler 0.2 left it
        command.downgrade(migrate._config(connection), "0002")
        connection.execute(text("UPDATE archive_meta SET value = '2'"))
    engine.dispose()
    with sqlite3.connect(tmp_path / "kompas.db") as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    connection.close()
    assert "article_stems" not in tables and "article_stems_fts" not in tables
    with caplog.at_level("WARNING", logger="kompas_crawler"):
        engine = open_existing_archive(url)
    assert "Stemming the archive for search: 1 of 1 articles" in caplog.text
    assert (tmp_path / "kompas.db.bak-schema2").exists()
    with engine.connect() as connection:
        stems = connection.execute(text("SELECT title, body FROM article_stems")).one()
    assert stems == ("gencat senjata umum", "dua pihak sepakat gencat senjata mulai hari ini")
    # "umumkan" is stored only as "diumumkan": found through the stems filled by the upgrade
    assert titles(engine, "umumkan") == ["Gencatan senjata diumumkan"]
    assert search(engine, "umumkan", exact=True).hits == []
    assert schema_differences(engine) == []
    engine.dispose()


def test_a_current_archive_is_not_touched_and_has_no_backup(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kompas.db'}"
    open_archive(url).dispose()
    open_archive(url).dispose()
    assert sorted(p.name for p in tmp_path.iterdir() if "bak" in p.name) == []
    engine = open_existing_archive(url)
    assert schema_differences(engine) == []
    engine.dispose()


def test_no_backup_means_no_upgrade(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = v1_sqlite(tmp_path / "kompas.db")
    monkeypatch.setattr(migrate, "backup_path", lambda _db, _v: tmp_path / "gone" / "backup.db")
    with pytest.raises(ConfigError, match=r"no backup could be made first .*nothing was changed"):
        open_archive(url)
    with sqlite3.connect(tmp_path / "kompas.db") as connection:
        assert connection.execute("SELECT value FROM archive_meta").fetchone() == ("1",)
        columns = [row[1] for row in connection.execute("PRAGMA table_info(articles)")]
    connection.close()
    assert "capture_id" not in columns


def test_a_second_backup_does_not_overwrite_the_first(tmp_path: Path) -> None:
    database = tmp_path / "kompas.db"
    (tmp_path / "kompas.db.bak-schema1").write_text("an older backup")
    assert migrate.backup_path(database, 1).name == "kompas.db.bak-schema1.2"


def test_postgresql_archive_of_schema_1_is_upgraded(postgres_url: str) -> None:
    raw = create_engine(postgres_url)
    ddl = (FIXTURES / "archive_v1.postgresql.sql").read_text().splitlines()
    script = "\n".join(line for line in ddl if not line.startswith("--"))
    with raw.begin() as connection:
        for statement in script.split(";\n"):
            if statement.strip():
                connection.exec_driver_sql(statement)
        for statement in V1_ROWS:
            connection.exec_driver_sql(statement.replace("'{}'", "'{}'::json"))
        for table in ("articles", "people", "tags"):  # rows above were given their ids
            connection.exec_driver_sql(f"SELECT setval('{table}_id_seq', 1)")
    raw.dispose()
    engine = open_archive(postgres_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT value FROM archive_meta")).scalar() == str(
            SCHEMA_VERSION
        )
        assert connection.execute(
            text("SELECT version_num FROM alembic_version")
        ).scalar() == migrate.revision(SCHEMA_VERSION)
    assert schema_differences(engine) == []
    ArchiveWriter(engine).save_batch([new_article()], NOW)
    assert titles(engine, "vaksinasi") == ["Vaksinasi di Jepang"]
    assert titles(engine, "gencatan") == ["Gencatan senjata diumumkan"]
    old = load_article(engine, "20240101-100000001")
    assert old is not None and old.writers == ["Ana Lestari"]
    engine.dispose()
