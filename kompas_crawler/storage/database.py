"""Opening the archive: URL checks, SQLite pragmas, schema and full-text index."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from kompas_crawler.errors import ConfigError
from kompas_crawler.masking import mask_credentials
from kompas_crawler.storage.migrate import (
    SCHEMA_LOCK,
    SCHEMA_VERSION,
    stamp_newest,
    stored_version,
    upgrade_if_older,
)
from kompas_crawler.storage.models import Base
from kompas_crawler.storage.views import create_views

logger = logging.getLogger(__name__)

SETTING = "KOMPAS_DATABASE_URL"
BUSY_TIMEOUT_MS = 30_000
# A PostgreSQL server that does not answer is an error after this long, not a hung cron job
# (a connect_timeout in the URL wins).
CONNECT_TIMEOUT_S = 10

# External-content FTS5 index over articles, kept in sync by triggers. Datasette finds it by the
# double-quoted content="articles". (No prefix="..." index: it only serves prefixes of exactly the
# indexed lengths, not "vaksin*", and made the archive a third larger.)
_FTS_DDL = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
        title, body, tag_list, content="articles", content_rowid="id",
        tokenize="unicode61 remove_diacritics 2")""",
    """CREATE TRIGGER IF NOT EXISTS articles_fts_insert AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, body, tag_list)
        VALUES (new.id, new.title, new.body, new.tag_list);
    END""",
    """CREATE TRIGGER IF NOT EXISTS articles_fts_delete AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, body, tag_list)
        VALUES ('delete', old.id, old.title, old.body, old.tag_list);
    END""",
    """CREATE TRIGGER IF NOT EXISTS articles_fts_update AFTER UPDATE OF title, body, tag_list
        ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, body, tag_list)
        VALUES ('delete', old.id, old.title, old.body, old.tag_list);
        INSERT INTO articles_fts(rowid, title, body, tag_list)
        VALUES (new.id, new.title, new.body, new.tag_list);
    END""",
]

# The stemmed index: external-content FTS5 over article_stems (the stemmed shadow the archive
# writer keeps beside each article), the same columns and tokenizer as articles_fts, so the
# sqlite3 CLI and Datasette read it without any extension.
STEM_FTS_TABLE = "article_stems_fts"
_STEM_FTS_DDL = [
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS {STEM_FTS_TABLE} USING fts5(
        title, body, tag_list, content="article_stems", content_rowid="article_id",
        tokenize="unicode61 remove_diacritics 2")""",
    f"""CREATE TRIGGER IF NOT EXISTS {STEM_FTS_TABLE}_insert AFTER INSERT ON article_stems BEGIN
        INSERT INTO {STEM_FTS_TABLE}(rowid, title, body, tag_list)
        VALUES (new.article_id, new.title, new.body, new.tag_list);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {STEM_FTS_TABLE}_delete AFTER DELETE ON article_stems BEGIN
        INSERT INTO {STEM_FTS_TABLE}({STEM_FTS_TABLE}, rowid, title, body, tag_list)
        VALUES ('delete', old.article_id, old.title, old.body, old.tag_list);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {STEM_FTS_TABLE}_update AFTER UPDATE ON article_stems BEGIN
        INSERT INTO {STEM_FTS_TABLE}({STEM_FTS_TABLE}, rowid, title, body, tag_list)
        VALUES ('delete', old.article_id, old.title, old.body, old.tag_list);
        INSERT INTO {STEM_FTS_TABLE}(rowid, title, body, tag_list)
        VALUES (new.article_id, new.title, new.body, new.tag_list);
    END""",
]

# PostgreSQL's full-text index: a stored generated tsvector (kept in sync by the server on every
# INSERT and UPDATE) under a GIN index. Weights: title A, tags B, body C. The "simple"
# configuration (no stemming, no stop words): stems come from the stemmed shadow, made by
# Sastrawi as on SQLite (the built-in "indonesian" Snowball stemmer cuts words differently, so
# the two databases would answer differently).
PG_VECTOR = "search_vector"
# The stemmed index on PostgreSQL: the same generated tsvector and weights, over article_stems.
PG_STEM_VECTOR = "stem_vector"


def _pg_vector_column(table: str, vector: str) -> str:
    return f"""ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {vector} tsvector
    GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', coalesce(title, '')), 'A')
        || setweight(to_tsvector('simple', coalesce(tag_list, '')), 'B')
        || setweight(to_tsvector('simple', coalesce(body, '')), 'C')
    ) STORED"""


# Kept in the table's row (STORAGE MAIN), not TOAST: ranking reads the tsvector of every match,
# and a toasted one costs a TOAST index lookup and a chunk read each (the tsvector, ~3 KB for
# 330 words, does not compress, so EXTENDED leaves it out of line uncompressed). Inline, ranking
# 6,000 matches went from 90 ms to 27 ms at 100,000 articles. (A tsvector too big for a page
# still goes out of line.)
def _pg_vector_inline(table: str, vector: str) -> str:
    return f"ALTER TABLE {table} ALTER COLUMN {vector} SET STORAGE MAIN"


def _pg_gin_index(table: str, index: str, vector: str) -> str:
    return f"CREATE INDEX IF NOT EXISTS {index} ON {table} USING GIN ({vector})"


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_read_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # No journal_mode: setting it writes to the file, which a read-only archive refuses.
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.close()


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the write lock from its start (SQLite: BEGIN IMMEDIATE, so
    other writers wait their busy timeout, and DDL is part of it), committed at the end, rolled
    back on any error."""
    with engine.connect() as connection:
        if is_sqlite(engine):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.rollback()
            raise
        connection.commit()


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def shown(url: str) -> str:
    """The URL as error messages and logs show it: any password masked."""
    try:
        return repr(make_url(url).render_as_string(hide_password=True))
    except (ArgumentError, ValueError):
        return repr(mask_credentials(url))


def database_url(value: str, option: str = SETTING) -> str:
    """A database URL from what the user gave: a SQLAlchemy URL, or a plain path to a SQLite
    file (``data/demo.db``). ConfigError naming ``option`` (``--db``, the setting) otherwise."""
    text = value.strip()
    if not text:
        raise ConfigError(f"{option} is empty: give a database URL or the path of a SQLite file")
    if "://" not in text:
        if "@" in text.split("/", 1)[0]:  # user:password@host/db: a URL missing its scheme
            raise ConfigError(
                f"{option}={shown(text)} looks like a database URL without its scheme; "
                "use e.g. postgresql+psycopg://user@host/db"
            )
        return f"sqlite:///{text}"
    try:
        parsed = make_url(text)
        parsed.port  # noqa: B018 (parsed lazily: a bad port raises here, not later)
    except (ArgumentError, ValueError) as error:
        raise ConfigError(
            f"{option}={shown(text)} is not a usable database URL ({_reason(error)}); "
            "use e.g. sqlite:///data/kompas.db or postgresql+psycopg://user@host/db"
        ) from error
    return text


def archive_files(value: str) -> list[Path]:
    """The files a SQLite archive is made of (the database, its -wal, -shm and -journal); none
    for other databases."""
    path = _sqlite_path(database_url(value))
    if path is None:
        return []
    return [path, *(path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal"))]


def _read_only_url(url: str) -> tuple[str, bool]:
    """(URL, read-only?) for reading a SQLite archive: a file or folder that cannot be written
    (a snapshot, a shared drive, a read-only mount) is opened read-only, immutable when even the
    folder is (no -shm can be made there, and nobody can be writing)."""
    path = _sqlite_path(url)
    if path is None or (os.access(path, os.W_OK) and os.access(path.parent or Path("."), os.W_OK)):
        return url, False
    mode = "immutable=1" if not os.access(path.parent or Path("."), os.W_OK) else "mode=ro"
    return f"sqlite:///file:{path.resolve()}?{mode}&uri=true", True


def _reason(error: BaseException) -> str:
    """A database error's own message, on one line (PostgreSQL's span several)."""
    reason = str(getattr(error, "orig", None) or error) or type(error).__name__
    return " ".join(reason.split())


def _engine(url: str, option: str = SETTING, *, read_only: bool = False) -> Engine:
    options: dict[str, Any] = {}
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
            options["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S}
        engine = create_engine(parsed, **options)
    except (ArgumentError, NoSuchModuleError, ValueError) as error:
        raise ConfigError(
            f"{option}={shown(url)} is not a usable database URL ({_reason(error)}); "
            "use e.g. sqlite:///data/kompas.db or postgresql+psycopg://user@host/db"
        ) from error
    except ImportError as error:
        hint = (
            "; for PostgreSQL: pip install 'psycopg[binary]'"
            if url.startswith("postgresql")
            else ""
        )
        raise ConfigError(
            f"{option}={shown(url)} needs a database driver that is not installed ({error}){hint}"
        ) from error
    if is_sqlite(engine):
        event.listen(engine, "connect", _sqlite_read_pragmas if read_only else _sqlite_pragmas)
    return engine


# The layout of the archive's tables is SCHEMA_VERSION (storage.migrate): older archives are
# upgraded when opened, one written by a newer kompas-crawler is refused, not misread.
__all__ = ["SCHEMA_VERSION", "open_archive", "open_existing_archive"]
_WRITE_VERSION = text(
    "INSERT INTO archive_meta (key, value) VALUES ('schema_version', :version) "
    "ON CONFLICT (key) DO NOTHING"
)


def _check_schema_version(connection: Connection, url: str) -> None:
    """Refuse an archive whose tables a newer kompas-crawler laid out."""
    version = stored_version(connection)
    if version > SCHEMA_VERSION:
        raise ConfigError(
            f"{shown(url)} was written by a newer kompas-crawler (archive schema {version}, "
            f"this one knows {SCHEMA_VERSION}): upgrade kompas-crawler to use it"
        )


# Each table's tsvector column and GIN index.
_PG_INDEXES = {
    "articles": (PG_VECTOR, "articles_search_idx"),
    "article_stems": (PG_STEM_VECTOR, "article_stems_search_idx"),
}


def _pg_fts(connection: Connection, tables: tuple[str, ...] = tuple(_PG_INDEXES)) -> None:
    """The full-text columns and indexes, made only when missing: ALTER TABLE and CREATE INDEX
    lock the table even when there is nothing to do."""
    for table in tables:
        vector, index = _PG_INDEXES[table]
        if vector not in {column["name"] for column in inspect(connection).get_columns(table)}:
            connection.execute(text(_pg_vector_column(table, vector)))
            connection.execute(text(_pg_vector_inline(table, vector)))
        if connection.execute(select(func.to_regclass(index))).scalar() is None:
            connection.execute(text(_pg_gin_index(table, index, vector)))


def pg_inline_vectors(connection: Connection) -> list[str]:
    """Move the stored tsvectors into their rows (an upgrade): STORAGE MAIN, then each table
    rewritten (CLUSTER on its primary key, in id order, as rows are written) so the stored
    values move too; the tables rewritten."""
    rewritten = []
    for table, (vector, _index) in _PG_INDEXES.items():
        inspector = inspect(connection)
        if not inspector.has_table(table) or vector not in {
            column["name"] for column in inspector.get_columns(table)
        }:
            continue  # made, inline, when the archive is next opened for writing
        connection.execute(text(_pg_vector_inline(table, vector)))
        connection.execute(text(f"CLUSTER {table} USING {table}_pkey"))
        connection.execute(text(f"ANALYZE {table}"))
        rewritten.append(table)
    return rewritten


def create_stem_index(connection: Connection) -> None:
    """The stemmed full-text index over ``article_stems`` (made if missing): FTS5 and its
    triggers on SQLite, the tsvector column and its GIN index on PostgreSQL."""
    if connection.dialect.name == "sqlite":
        for statement in _STEM_FTS_DDL:
            connection.execute(text(statement))
    elif connection.dialect.name == "postgresql":
        _pg_fts(connection, ("article_stems",))


def open_archive(url: str, option: str = SETTING) -> Engine:
    """Open (creating if needed) the archive for writing; a clear ConfigError if it cannot be."""
    url = database_url(url, option)
    if url.startswith("sqlite"):
        path = _sqlite_path(url)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                folder = str(path.parent)
                raise ConfigError(
                    f"{option}={shown(url)}: cannot create folder {folder!r} ({error.strerror})"
                ) from error
    engine = _engine(url, option)
    try:
        upgrade_if_older(engine, shown(url), _sqlite_path(url))
        # Under the write lock: workers opening a new archive at once make it once, and none
        # sees it half made (SQLite would otherwise commit each CREATE on its own).
        with writing(engine) as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(select(func.pg_advisory_xact_lock(SCHEMA_LOCK)))
            new = "articles" not in inspect(connection).get_table_names()
            Base.metadata.create_all(connection)
            if is_sqlite(engine):
                for statement in _FTS_DDL:
                    connection.execute(text(statement))
                create_stem_index(connection)
            elif engine.dialect.name == "postgresql":
                _pg_fts(connection)
            create_views(connection)
            connection.execute(_WRITE_VERSION, {"version": str(SCHEMA_VERSION)})
            if new:
                stamp_newest(connection)
            _check_schema_version(connection, url)
    except ConfigError:
        engine.dispose()
        raise
    except SQLAlchemyError as error:
        engine.dispose()
        raise ConfigError(
            f"{option}={shown(url)}: cannot open the database for writing ({_reason(error)})"
        ) from error
    return engine


def open_existing_archive(url: str, option: str = SETTING) -> Engine:
    """Open an archive for reading (read-only where it cannot be written); a clear ConfigError
    if it is missing or not an archive. ``option`` names where the URL came from."""
    url = database_url(url, option)
    read_only = False
    if url.startswith("sqlite"):
        path = _sqlite_path(url)
        if path is not None and not path.is_file():
            raise ConfigError(f"no archive at {str(path)!r} (from {option})")
        url, read_only = _read_only_url(url)
    engine = _engine(url, option, read_only=read_only)
    try:
        tables = set(inspect(engine).get_table_names())
    except SQLAlchemyError as error:
        engine.dispose()
        raise ConfigError(f"cannot read the database at {shown(url)} ({_reason(error)})") from error
    if "articles" not in tables:
        engine.dispose()
        raise ConfigError(f"{shown(url)} is not a kompas-crawler archive (no articles table)")
    try:
        upgrade_if_older(engine, shown(url), _sqlite_path(url))
        with engine.connect() as connection:
            _check_schema_version(connection, url)
    except ConfigError:
        engine.dispose()
        raise
    except SQLAlchemyError as error:
        engine.dispose()
        raise ConfigError(f"cannot read the database at {shown(url)} ({_reason(error)})") from error
    return engine
