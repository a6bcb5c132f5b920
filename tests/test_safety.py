"""Hostile input to the query commands (issue 14): escape sequences in stored text, passwords in
URLs, outputs that would overwrite the archive, huge numbers and queries, read-only archives."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kompas_crawler.archive import Archive
from kompas_crawler.cli import main
from kompas_crawler.errors import ConfigError
from kompas_crawler.masking import mask_credentials
from kompas_crawler.storage.filters import QueryError
from tests.test_query import make_archive

ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x1b[8m\x9b31m"
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive whose Baltik article holds escape sequences in title, writer name and body."""
    path = tmp_path_factory.mktemp("hostile") / "kompas.db"
    make_archive(path).dispose()
    with sqlite3.connect(path) as connection:
        connection.execute(
            "UPDATE articles SET title = 'Laut Baltik ' || ?, body = body || ' Baltik ' || ? "
            "WHERE title LIKE '%Baltik%'",
            (ESCAPES, ESCAPES),
        )
        connection.execute("UPDATE people SET name = name || ?", (ESCAPES,))
    connection.close()
    return path


def cli(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real command in a subprocess, output to a pipe."""
    return subprocess.run(
        [str(BIN / "kompas-crawler"), *argv],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={k: v for k, v in os.environ.items() if not k.startswith("KOMPAS_")},
    )


def no_controls(text: str) -> bool:
    return not any((ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F for c in text)


@pytest.mark.parametrize(
    "argv",
    [
        ["search", "Baltik"],
        ["show", "https://www.kompas.com/global/read/2022/01/28/003000070/nato-kirim-kapal"],
        ["stats"],
        ["export", "--format", "csv"],
    ],
)
def test_escape_sequences_are_never_printed(hostile: Path, argv: list[str]) -> None:
    result = cli(*argv, "--db", str(hostile))
    assert result.returncode == 0, result.stderr
    assert "\ufffd" in result.stdout  # the text is there, its control characters shown as such
    assert no_controls(result.stdout)


def test_json_output_keeps_the_text_exact(hostile: Path) -> None:
    result = cli("search", "Baltik", "--json", "--db", str(hostile))
    hits = json.loads(result.stdout)
    assert hits[0]["title"] == "Laut Baltik " + ESCAPES
    assert "\x1b" not in result.stdout  # escaped by JSON, never raw
    exported = cli("export", "--db", str(hostile)).stdout.splitlines()
    assert any(json.loads(line)["title"] == "Laut Baltik " + ESCAPES for line in exported)


def test_search_marks_still_bold_on_a_terminal(hostile: Path) -> None:
    from kompas_crawler.commands.search import PLACEHOLDER_MARK, marked

    snippet = f"a {PLACEHOLDER_MARK[0]}Baltik{PLACEHOLDER_MARK[1]} {ESCAPES}"
    assert marked(snippet, color=True).startswith("a \x1b[1mBaltik\x1b[0m \ufffd")
    assert marked(snippet, color=False).startswith("a **Baltik** \ufffd")


# ---------------------------------------------------------------------------- credentials


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("postgresql+psycopg://u:SECRET@h:5432/db", "postgresql+psycopg://u:***@h:5432/db"),
        ("u:SECRET@host/db", "u:***@host/db"),
        ("KOMPAS_DATABASE_URL='u:SECRET@h/db'", "KOMPAS_DATABASE_URL='u:***@h/db'"),
        ("sqlite:///data/kompas.db", "sqlite:///data/kompas.db"),
        ("http://127.0.0.1:8800/x at 12:30", "http://127.0.0.1:8800/x at 12:30"),
    ],
)
def test_credentials_are_masked(text: str, shown: str) -> None:
    assert mask_credentials(text) == shown


@pytest.mark.parametrize(
    "url", ["u:SECRET@host/db", "postgresql://u:SECRET@h:abc/db", "postgresql://u:SECRET@[::1/db"]
)
def test_a_bad_database_url_is_one_line_exit_2_password_masked(url: str, tmp_path: Path) -> None:
    result = cli("search", "x", "--db", url, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "--db=" in result.stderr  # the option the user used
    assert "SECRET" not in result.stderr
    with pytest.raises(ConfigError):
        Archive(url)


# ---------------------------------------------------------------------------- export -o


def test_export_refuses_the_archive_its_wal_and_non_regular_files(
    hostile: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "kompas.db"
    shutil.copy(hostile, archive)
    (tmp_path / "kompas.db-wal").write_bytes(b"")
    before = archive.read_bytes()
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for target, message in [
        (archive, "is the archive"),
        (tmp_path / "kompas.db-wal", "is the archive"),
        (fifo, "is not a regular file"),
        (Path("/dev/null"), "is not a regular file"),
    ]:
        result = cli("export", "--db", str(archive), "-o", str(target), "--force")
        assert result.returncode == 2, target
        assert message in result.stderr and result.stderr.count("\n") == 1
    assert archive.read_bytes() == before
    assert fifo.exists() and not fifo.is_file()


def test_export_replaces_an_existing_file_only_with_force(hostile: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("keep me")
    refused = cli("export", "--db", str(hostile), "-o", str(out))
    assert refused.returncode == 2 and "add --force" in refused.stderr
    assert out.read_text() == "keep me"
    forced = cli("export", "--db", str(hostile), "-o", str(out), "--force")
    assert forced.returncode == 0
    assert out.read_text().count("\n") > 1


# ---------------------------------------------------------------------------- huge input


@pytest.mark.parametrize(
    "argv",
    [
        ["search", "x", "--limit", "99999999999999999999"],
        ["stats", "--top", "99999999999999999999"],
        ["stats", "--runs", "99999999999999999999"],
        ["export", "--limit", "99999999999999999999"],
    ],
)
def test_huge_numbers_are_refused_in_one_line(hostile: Path, argv: list[str]) -> None:
    result = cli(*argv, "--db", str(hostile))
    assert result.returncode == 2
    assert "between 1 and" in result.stderr and "Traceback" not in result.stderr


def test_show_of_a_huge_row_id_is_not_found(hostile: Path) -> None:
    result = cli("show", "99999999999999999999999", "--db", str(hostile))
    assert result.returncode == 2
    assert "no article '99999999999999999999999'" in result.stderr
    assert result.stderr.count("\n") == 1


def test_the_python_api_raises_its_documented_errors(hostile: Path) -> None:
    with Archive(f"sqlite:///{hostile}") as archive:
        assert archive.count("Baltik") == 1
        assert archive.count("Bal\x00tik") == 0  # a control character is a space, not an error
        for malformed in ("NATO AND", "NEAR("):
            with pytest.raises(QueryError, match="is not valid"):
                archive.count(malformed)
        with pytest.raises(QueryError, match="between 1 and"):
            archive.search("Baltik", limit=10**20)
        with pytest.raises(QueryError, match="between 1 and"):
            archive.stats(top=10**20)


def test_long_queries_answer_quickly_or_are_refused(hostile: Path) -> None:
    with Archive(f"sqlite:///{hostile}") as archive:
        start = time.monotonic()
        assert archive.count(" ".join(["Baltik"] * 2000)) == 1  # each word once
        assert len(archive.search(" ".join(["nato", "NATO"] * 1000))) >= 1
        assert time.monotonic() - start < 5
        with pytest.raises(QueryError, match="at most 64 are searched"):
            archive.count(" ".join(f"word{i}" for i in range(2000)))
        with pytest.raises(QueryError, match="characters long"):
            archive.search("x" * 100_000)
    result = cli("search", "y" * 100_000, "--db", str(hostile))
    assert result.returncode == 2 and result.stderr.count("\n") == 1


# ---------------------------------------------------------------------------- read-only


@pytest.fixture
def read_only(tmp_path: Path, hostile: Path) -> Iterator[Path]:
    """A copy of the archive in a folder mounted read-only (as root) or without write bits."""
    folder = tmp_path / "snapshot"
    folder.mkdir()
    shutil.copy(hostile, folder / "kompas.db")
    if os.geteuid() == 0:  # root writes through permission bits: mount the folder read-only
        subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True)
        subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], check=True)
    else:
        (folder / "kompas.db").chmod(0o444)
        folder.chmod(0o555)
    try:
        yield folder / "kompas.db"
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", str(folder)], check=True)
        else:
            folder.chmod(0o755)


@pytest.mark.parametrize(
    "argv", [["search", "Baltik"], ["stats"], ["export", "--format", "csv"], ["show", "1"]]
)
def test_every_query_command_reads_a_read_only_archive(read_only: Path, argv: list[str]) -> None:
    with pytest.raises(OSError):
        (read_only.parent / "probe").write_text("x")  # the folder really is read-only
    result = cli(*argv, "--db", str(read_only))
    assert result.returncode == 0, result.stderr
    assert result.stdout


def test_a_read_only_file_in_a_writable_folder_is_read(tmp_path: Path, hostile: Path) -> None:
    archive = tmp_path / "kompas.db"
    shutil.copy(hostile, archive)
    archive.chmod(0o444)
    result = cli("search", "Baltik", "--db", str(archive))
    assert result.returncode == 0, result.stderr
    assert main(["stats", "--db", str(archive)]) == 0
