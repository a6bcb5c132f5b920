"""Upgrading an older archive's schema with Alembic, applied whenever an archive is opened.

The schema version is the number of the newest revision file in ``migrations/versions``
(``0002_captures.py``: version 2); ``archive_meta.schema_version`` holds the archive's. To change
the schema: change ``models.py`` and add ``NNNN_what.py`` there, revision ``"NNNN"`` revising the
one before (on SQLite, wrap a batch rebuild of ``articles`` in ``triggers_kept``); nothing else.

Before upgrading a SQLite archive, a copy is made beside it (``VACUUM INTO <db>.bak-schemaN``);
if it cannot be, nothing is changed and the open fails with a clear message. The upgrade runs in
one transaction, with the table locked against other writers (PostgreSQL's DDL is transactional
too), so a failure leaves the archive as it was.
"""

from __future__ import annotations

import atexit
import functools
import logging
import shutil
import tempfile
from importlib.abc import Traversable
from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, func, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError

from kompas_crawler.errors import ConfigError

logger = logging.getLogger(__name__)


def _copy(source: Traversable, target: Path) -> None:
    target.mkdir()
    for item in source.iterdir():
        if item.is_dir():
            if item.name != "__pycache__":
                _copy(item, target / item.name)
        else:
            (target / item.name).write_bytes(item.read_bytes())


@functools.cache
def _extracted() -> Path:
    """The migrations copied out to a temp folder, once a process, deleted at its exit."""
    folder = Path(tempfile.mkdtemp(prefix="kompas-migrations-"))
    atexit.register(shutil.rmtree, folder, True)
    _copy(files(__package__ or "kompas_crawler.storage") / "migrations", folder / "migrations")
    return folder / "migrations"


def migrations_folder() -> Path:
    """The Alembic scripts as a folder on disk, which Alembic needs: in place, or copied out
    when the package runs from a zip (the egg a Scrapyd node runs)."""
    here = Path(__file__).with_name("migrations")
    return here if here.is_dir() else _extracted()


_VERSIONS = migrations_folder() / "versions"
SCHEMA_VERSION = max(int(path.name[:4]) for path in _VERSIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))
# Held while PostgreSQL creates or upgrades the schema: crawls opening the archive at once would
# otherwise race on CREATE TABLE (duplicate key in pg_type). Any constant: it only has to match.
SCHEMA_LOCK = 0x6B6F6D706173  # "kompas"
_READ_VERSION = text("SELECT value FROM archive_meta WHERE key = 'schema_version'")
_SET_VERSION = text("UPDATE archive_meta SET value = :version WHERE key = 'schema_version'")


def revision(version: int) -> str:
    """The Alembic revision id of a schema version."""
    return f"{version:04d}"


def stored_version(connection: Connection) -> int:
    """The archive's schema version (1 for one made before archive_meta held it)."""
    if "archive_meta" not in inspect(connection).get_table_names():
        return 1
    found = connection.execute(_READ_VERSION).scalar()
    return int(found) if found is not None and str(found).isdigit() else 1


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_folder()))
    config.attributes["connection"] = connection
    return config


def stamp_newest(connection: Connection) -> None:
    """Mark a schema just made from the models as the newest revision."""
    command.stamp(_config(connection), revision(SCHEMA_VERSION))


def _upgrade(connection: Connection, version: int) -> None:
    """Apply every revision after ``version``, inside the caller's transaction."""
    if "alembic_version" not in inspect(connection).get_table_names():
        command.stamp(_config(connection), revision(version))
    command.upgrade(_config(connection), revision(SCHEMA_VERSION))
    connection.execute(_SET_VERSION, {"version": str(SCHEMA_VERSION)})


def backup_path(database: Path, version: int) -> Path:
    """``<db>.bak-schemaN``, or ``.bak-schemaN.2`` and on when that exists already."""
    candidate = database.with_name(f"{database.name}.bak-schema{version}")
    number = 1
    while candidate.exists():
        number += 1
        candidate = database.with_name(f"{database.name}.bak-schema{version}.{number}")
    return candidate


def upgrade_if_older(engine: Engine, label: str, database: Path | None) -> None:
    """Upgrade an archive made by an older kompas-crawler (``database``: its SQLite file, for
    the backup); a new, current or newer one is left alone. ConfigError when it cannot be."""
    # A database that cannot be reached fails here, for the caller to say so in its own words.
    with engine.connect() as connection:
        if "articles" not in inspect(connection).get_table_names():
            return
        version = stored_version(connection)
    if version >= SCHEMA_VERSION:
        return
    try:
        if engine.dialect.name == "sqlite":
            _upgrade_sqlite(engine, label, database, version)
        else:
            with engine.begin() as connection:
                if engine.dialect.name == "postgresql":
                    connection.execute(select(func.pg_advisory_xact_lock(SCHEMA_LOCK)))
                version = stored_version(connection)
                if version < SCHEMA_VERSION:
                    logger.warning(
                        "Upgrading %s from schema %d to %d", label, version, SCHEMA_VERSION
                    )
                    _upgrade(connection, version)
    except SQLAlchemyError as error:
        reason = " ".join(str(getattr(error, "orig", None) or error).split())
        raise ConfigError(
            f"{label}: cannot upgrade the archive to schema {SCHEMA_VERSION} ({reason}); "
            "it was left as it was"
        ) from error


def _upgrade_sqlite(engine: Engine, label: str, database: Path | None, version: int) -> None:
    backup = None
    if database is not None:
        backup = backup_path(database, version)
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql("VACUUM INTO ?", (str(backup),))
        except SQLAlchemyError as error:
            backup.unlink(missing_ok=True)
            reason = " ".join(str(getattr(error, "orig", None) or error).split())
            raise ConfigError(
                f"{label} needs an upgrade to schema {SCHEMA_VERSION}, but no backup could be "
                f"made first at {str(backup)!r} ({reason}); nothing was changed: free some space "
                "or make the folder writable, then run again"
            ) from error
    logger.warning(
        "Upgrading %s from schema %d to %d; the archive as it was is kept at %s",
        label,
        version,
        SCHEMA_VERSION,
        backup,
    )
    with engine.connect() as connection:
        # Off for the rebuild: dropping the old articles table would otherwise cascade-delete
        # every byline, tag and revision. Only settable outside a transaction.
        connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
        connection.commit()
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # other writers wait
            if stored_version(connection) < SCHEMA_VERSION:  # not upgraded meanwhile
                _upgrade(connection, version)
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise ConfigError(
                        f"{label}: the upgrade would break {len(broken)} references "
                        f"(first: {tuple(broken[0])}); it was rolled back"
                    )
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys = ON")
