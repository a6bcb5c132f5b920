"""A throwaway PostgreSQL server for the tests, and a fresh database on it for each test.

The session's server is, in order:

- ``KOMPAS_TEST_POSTGRES_URL`` when set (``postgresql+psycopg://user@host:port/db``; the user
  needs CREATEDB: the tests create databases of their own, dropped at the end, and never touch
  ``db`` itself);
- else a cluster of its own: ``initdb`` in a temp dir, started on a free 127.0.0.1 port (as the
  ``postgres`` OS user when the tests run as root, which PostgreSQL refuses), stopped and deleted
  at the end of the session. It takes about two seconds, and only a session that asks for it.

Tests that ask for it are skipped, with the reason, when psycopg or the server binaries are
missing; a server that is there but fails to start is an error, with its log.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

URL_VARIABLE = "KOMPAS_TEST_POSTGRES_URL"
OS_USER = "postgres"  # who runs the server when the tests run as root
_BINARIES = ("initdb", "pg_ctl", "postgres")
# Durability off: the cluster lives as long as the test session.
_SERVER_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


def _binary_folder() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres: from PATH, else Debian's newest."""
    folders = []
    if found := shutil.which("initdb"):
        folders.append(Path(found).resolve().parent)
    folders += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for folder in folders:
        if all(os.access(folder / name, os.X_OK) for name in _BINARIES):
            return folder
    return None


def _locale() -> str:
    """C.UTF-8 where the system has it: ILIKE then folds the case of any letter (É/é), as on the
    usual server; plain C folds only ASCII. Both sort by code point."""
    try:
        found = subprocess.run(["locale", "-a"], capture_output=True, text=True, timeout=10)
    except OSError:
        return "C"
    names = {name.lower().replace("-", "") for name in found.stdout.split()}
    return "C.UTF-8" if "c.utf8" in names else "C"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """A PostgreSQL cluster in a temp dir, run by ``owner`` (None: the current user)."""

    def __init__(self, binaries: Path, owner: pwd.struct_passwd | None) -> None:
        self.binaries = binaries
        self.owner = owner
        self.root = Path(tempfile.mkdtemp(prefix="kompas-postgres-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        if owner is not None:
            os.chown(self.root, owner.pw_uid, owner.pw_gid)

    def _run(self, *command: str) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", self.owner.pw_name, "--"] if self.owner else []
        return subprocess.run(
            [*prefix, *command], capture_output=True, text=True, timeout=60, cwd=self.root
        )

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def start(self) -> URL:
        initdb = self._run(
            str(self.binaries / "initdb"),
            *("-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8"),
            f"--locale={_locale()}",
            "--no-sync",
        )
        if initdb.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{initdb.stdout}{initdb.stderr}")
        for _attempt in range(3):  # another process may take the free port before the server
            self.port = _free_port()
            options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            started = self._run(
                str(self.binaries / "pg_ctl"),
                *("-D", str(self.data), "-l", str(self.log), "-w", "-t", "30"),
                *("-o", options + _SERVER_OPTIONS, "start"),
            )
            if started.returncode == 0:
                return URL.create(
                    "postgresql+psycopg",
                    username="postgres",
                    host="127.0.0.1",
                    port=self.port,
                    database="postgres",
                )
        raise RuntimeError(
            f"PostgreSQL did not start:\n{started.stdout}{started.stderr}\n{self._log_tail()}"
        )

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(
                    str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"
                )
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


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
    binaries = _binary_folder()
    if binaries is None:
        pytest.skip(
            "PostgreSQL: no initdb/pg_ctl/postgres on PATH or in /usr/lib/postgresql/*/bin "
            f"(install the server, or set {URL_VARIABLE} to a server's URL)"
        )
    owner = None
    if os.geteuid() == 0:  # postgres refuses to run as root
        try:
            owner = pwd.getpwnam(OS_USER)
        except KeyError:
            pytest.skip(f"PostgreSQL: running as root and there is no {OS_USER!r} user to run it")
        if shutil.which("runuser") is None:
            pytest.skip("PostgreSQL: running as root and runuser is missing")
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
