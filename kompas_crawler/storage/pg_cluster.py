"""A PostgreSQL cluster of its own, for the tests and the benchmarks: ``initdb`` in a folder,
started on a free 127.0.0.1 port (as the ``postgres`` OS user when run as root, which
PostgreSQL refuses), stopped with ``stop()``.

A throwaway cluster (no folder given) lives in a temp dir deleted on stop, about two seconds
to make; one in a folder of the caller's stays there, and a later ``start()`` reuses its data.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy.engine import URL

OS_USER = "postgres"  # who runs the server when the caller is root
BINARIES = ("initdb", "pg_ctl", "postgres")
# Durability off: the cluster holds nothing that is not made again.
SERVER_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


def binary_folder() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres: from PATH, else Debian's newest."""
    folders = []
    if found := shutil.which("initdb"):
        folders.append(Path(found).resolve().parent)
    folders += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for folder in folders:
        if all(os.access(folder / name, os.X_OK) for name in BINARIES):
            return folder
    return None


def server_owner() -> pwd.struct_passwd | None:
    """Who must run the server: None for the current user, the postgres user under root.
    LookupError (saying why) when running as root without a postgres user or runuser."""
    if os.geteuid() != 0:
        return None
    try:
        owner = pwd.getpwnam(OS_USER)
    except KeyError:
        raise LookupError(f"running as root and there is no {OS_USER!r} user to run it") from None
    if shutil.which("runuser") is None:
        raise LookupError("running as root and runuser is missing")
    return owner


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
    """A PostgreSQL cluster in ``root`` (None: a temp dir, deleted on stop), run by ``owner``
    (None: the current user), with ``options`` for the server on top of SERVER_OPTIONS."""

    def __init__(
        self,
        binaries: Path,
        owner: pwd.struct_passwd | None,
        root: Path | None = None,
        options: str = "",
    ) -> None:
        self.binaries = binaries
        self.owner = owner
        self.kept = root is not None
        if root is None:
            root = Path(tempfile.mkdtemp(prefix="kompas-postgres-"))
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.options = options
        self.port = 0
        if owner is not None:
            os.chown(self.root, owner.pw_uid, owner.pw_gid)

    def _run(self, *command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", self.owner.pw_name, "--"] if self.owner else []
        return subprocess.run(
            [*prefix, *command], capture_output=True, text=True, timeout=timeout, cwd=self.root
        )

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def start(self) -> URL:
        """Start the server (making the cluster first unless it is there); its admin URL."""
        if not (self.data / "PG_VERSION").exists():
            shutil.rmtree(self.data, ignore_errors=True)
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
                *("-D", str(self.data), "-l", str(self.log), "-w", "-t", "120"),
                *("-o", f"{options}{SERVER_OPTIONS} {self.options}", "start"),
                timeout=180,
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
        """Stop the server; a throwaway cluster's folder goes too. A kept one stops cleanly,
        so its data is there for the next start."""
        try:
            if (self.data / "postmaster.pid").exists():
                mode = "fast" if self.kept else "immediate"
                self._run(
                    str(self.binaries / "pg_ctl"),
                    *("-D", str(self.data), "-m", mode, "stop"),
                    timeout=300,
                )
        finally:
            if not self.kept:
                shutil.rmtree(self.root, ignore_errors=True)
