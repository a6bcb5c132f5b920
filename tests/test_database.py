"""Opening the archive: the errors a user sees, SQLite settings, the schema version."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from kompas_crawler.errors import ConfigError
from kompas_crawler.storage.database import SCHEMA_VERSION, open_archive, open_existing_archive


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def test_a_new_archive_is_in_wal_mode_with_its_schema_version(tmp_path: Path) -> None:
    engine = open_archive(sqlite_url(tmp_path / "data" / "kompas.db"))  # folder created
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
        version = connection.execute(
            text("SELECT value FROM archive_meta WHERE key = 'schema_version'")
        ).scalar()
    engine.dispose()
    assert version == str(SCHEMA_VERSION)


def test_opening_twice_keeps_one_version_row(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "kompas.db")
    open_archive(url).dispose()
    open_archive(url).dispose()
    with sqlite3.connect(tmp_path / "kompas.db") as connection:
        assert connection.execute("SELECT count(*) FROM archive_meta").fetchone() == (1,)
    connection.close()


def test_an_archive_from_a_newer_version_is_refused_for_writing_and_reading(
    tmp_path: Path,
) -> None:
    url = sqlite_url(tmp_path / "kompas.db")
    open_archive(url).dispose()
    with sqlite3.connect(tmp_path / "kompas.db") as connection:
        connection.execute("UPDATE archive_meta SET value = ?", (str(SCHEMA_VERSION + 1),))
    connection.close()
    for opener in (open_archive, open_existing_archive):
        with pytest.raises(ConfigError, match=r"newer kompas-crawler .*upgrade"):
            opener(url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("u:SECRET@host/db", "KOMPAS_DATABASE_URL='u:***@host/db' looks like a database URL"),
        ("postgresql://u@h:abc/db", "KOMPAS_DATABASE_URL='postgresql://u@h:abc/db' is not a"),
        ("postgresql://u:pw@[::1/db", "KOMPAS_DATABASE_URL='postgresql://u:***@[::1/db' is not"),
        ("nosuchdb://x", "KOMPAS_DATABASE_URL='nosuchdb://x' is not a usable database URL"),
        ("sqlite:////proc/no/such/kompas.db", "cannot create folder '/proc/no/such'"),
    ],
)
def test_an_unusable_url_or_path_names_the_setting(url: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        open_archive(url)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_reading_a_missing_file_or_a_foreign_database_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no archive at"):
        open_existing_archive(sqlite_url(tmp_path / "missing.db"))
    with sqlite3.connect(tmp_path / "other.db") as connection:
        connection.execute("CREATE TABLE notes (id INTEGER)")
    connection.close()
    with pytest.raises(ConfigError, match="not a kompas-crawler archive"):
        open_existing_archive(sqlite_url(tmp_path / "other.db"))
