"""A throwaway PostgreSQL server for the tests, and a fresh database on it for each test.

The session's server is, in order:

- ``KOMPAS_TEST_POSTGRES_URL`` when set (``postgresql+psycopg://user@host:port/db``; the user
  needs CREATEDB: the tests create databases of their own, dropped at the end, and never touch
  ``db`` itself);
- else a throwaway cluster of its own (``storage.pg_cluster``, which the benchmarks use too):
  ``initdb`` in a temp dir, started on a free 127.0.0.1 port (as the ``postgres`` OS user when
  the tests run as root, which PostgreSQL refuses), stopped and deleted at the end of the
  session. It takes about two seconds, and only a session that asks for it.

Tests that ask for it are skipped, with the reason, when psycopg or the server binaries are
missing; a server that is there but fails to start is an error, with its log.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from kompas_crawler.storage.pg_cluster import Cluster, binary_folder, server_owner

URL_VARIABLE = "KOMPAS_TEST_POSTGRES_URL"


class PostgresServer:
    """A server the tests get empty databases on.

    A database a test is done with is emptied (its ``public`` schema dropped and made again) and
    handed to the next test: CREATE DATABASE costs ~0.3 s, emptying one ~20 ms.
    """

    def __init__(self, url: URL) -> None:
        self.url = url
        self._admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self._created: list[str] = []
        self._free: list[str] = []

    def _url(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def database(self) -> str:
        """The SQLAlchemy URL (password included) of an empty database; give it back with
        ``release`` (or leave it: the cluster goes away with the session)."""
        if self._free:
            return self._free.pop()
        name = f"kompas_test_{uuid.uuid4().hex[:12]}"
        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
        self._created.append(name)
        return self._url(name)

    def release(self, url: str) -> None:
        """Empty a database from ``database()`` for reuse, closing what still connects to it."""
        name = make_url(url).database
        assert name in self._created, name
        with self._admin.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
        engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            with engine.connect() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        finally:
            engine.dispose()
        self._free.append(url)

    def close(self) -> None:
        """Drop every database made here (on a server of the session's own, it goes anyway)."""
        with self._admin.connect() as connection:
            for name in self._created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()


def _own_cluster() -> Cluster:
    """A Cluster ready to start, or a skip saying what is missing."""
    binaries = binary_folder()
    if binaries is None:
        pytest.skip(
            "PostgreSQL: no initdb/pg_ctl/postgres on PATH or in /usr/lib/postgresql/*/bin "
            f"(install the server, or set {URL_VARIABLE} to a server's URL)"
        )
    try:
        owner = server_owner()
    except LookupError as reason:
        pytest.skip(f"PostgreSQL: {reason}")
    return Cluster(binaries, owner)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server (see the module docstring)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("PostgreSQL: the psycopg driver is not installed (pip install -e '.[test]')")
    if configured := os.environ.get(URL_VARIABLE):
        server = PostgresServer(make_url(configured))
        yield server
        server.close()
        return
    cluster = _own_cluster()
    try:
        yield PostgresServer(cluster.start())  # no close(): the whole cluster goes
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL database, dropped after the test."""
    url = postgres_server.database()
    yield url
    postgres_server.release(url)
