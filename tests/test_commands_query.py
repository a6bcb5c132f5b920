"""search, show, stats and export from the command line: output, filters and every bad input."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from kompas_crawler import settings
from kompas_crawler.cli import main
from kompas_crawler.storage.models import ArticleRow
from tests.test_query import make_archive

FIRST_URL = "https://www.kompas.com/global/read/2022/01/27/210600070/as-tolak-permintaan-rusia"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("cli") / "kompas.db"
    make_archive(path).dispose()
    return f"sqlite:///{path}"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


# ---------------------------------------------------------------------------- search


def test_search_terminal_output(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, _ = run(capsys, "search", "Baltik", "--db", db)
    assert code == 0
    assert "1 of 1 articles matching 'Baltik'" in out
    assert "NATO Kirim Kapal Perang ke Laut Baltik" in out
    assert "2022-01-28 00:30 +07:00 · Tito Hilmawan Reditya · Reuters" in out
    assert "https://www.kompas.com/global/read/2022/01/28/003000070/nato-kirim-kapal" in out
    assert "**Baltik**" in out or "**Baltik**" in out.replace("\n    ", " ")


def test_search_words_are_joined_and_all_required(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    hits = run_json(capsys, "search", "NATO", "Ukraina", "--db", db)
    assert isinstance(hits, list) and len(hits) == 3


def test_search_json(capsys: pytest.CaptureFixture[str], db: str) -> None:
    (hit,) = run_json(capsys, "search", "gandum", "--db", db)  # type: ignore[misc]
    assert hit["title"] == "Harga Gandum Dunia Melonjak"
    assert hit["published_at"] == "2022-03-02T09:00:00+07:00"
    assert "**gandum**" in hit["snippet"].lower() and hit["score"] > 0


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--since", "2022-01-28", "--until", "2022-01-28"], ["20220128-003000070"]),
        (["--until", "2022-01"], ["20220127-210600070", "20220128-003000070"]),
        (["--since", "2022-03"], ["20220301-090000070"]),
        (["--writer", "Tito", "--source", "AFP"], ["20220301-090000070"]),
        (["--tag", "nato", "--tag", "rusia"], ["20220127-210600070"]),
        (["--section", "eropa", "--limit", "1", "--sort", "newest"], ["20220301-090000070"]),
        (["--sort", "oldest", "--limit", "2"], ["20220127-210600070", "20220128-003000070"]),
    ],
)
def test_search_filters(
    capsys: pytest.CaptureFixture[str], db: str, options: list[str], expected: list[str]
) -> None:
    hits = run_json(capsys, "search", "NATO OR Ukraina", "--db", db, *options)
    found = [hit["article_id"] for hit in hits]  # type: ignore[attr-defined]
    assert found == expected if "--sort" in options else sorted(found) == sorted(expected)


def test_search_without_hits(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, _ = run(capsys, "search", "Antarktika", "--db", db)
    assert code == 0 and out.strip() == "No articles match 'Antarktika'."


def test_search_reads_the_default_database_setting(
    capsys: pytest.CaptureFixture[str], db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "KOMPAS_DATABASE_URL", db)
    assert len(run_json(capsys, "search", "Gaza")) == 1  # type: ignore[arg-type]


def test_environment_variable_names_the_archive(db: str) -> None:
    env = {**os.environ, "KOMPAS_DATABASE_URL": db}
    done = subprocess.run(
        [sys.executable, "-m", "kompas_crawler.cli", "search", "Gaza", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["title"] == "Gencatan Senjata di Gaza Mulai Berlaku"


# ---------------------------------------------------------------------------- bad input


def _garbage(tmp_path: Path) -> str:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not a database at all" * 100)
    return f"sqlite:///{path}"


def _other_sqlite(tmp_path: Path) -> str:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE notes (x)")
    connection.close()
    return f"sqlite:///{path}"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["search", "NATO AND"], "is not valid"),
        (["search", '"unbalanced'], "unbalanced double quote"),
        (["search", "NOT"], "is not valid"),
        (["search", "NATO", "--since", "2023-02-30"], "--since '2023-02-30' is not a real date"),
        (["search", "NATO", "--until", "2022-13"], "--until '2022-13' is not a real date"),
        (["search", "NATO", "--since", "kemarin"], "is not a date"),
        (["search", "NATO", "--since", "2022-03-01", "--until", "2022-02-01"], "is after"),
        (["export", "-q", "NATO AND"], "is not valid"),
        (["export", "--since", "2022-02-31"], "not a real date"),
        (["stats", "--until", "2022-02-30"], "not a real date"),
        (["show", "20000101-000000070"], "no article '20000101-000000070'"),
        (["show", "https://www.kompas.com/global/read/2000/01/01/000000070/x"], "no article"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], db: str, argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv, "--db", db)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert err.startswith(f"kompas-crawler {argv[0]}: error: ")


@pytest.mark.parametrize("command", [["search", "NATO"], ["show", "1"], ["stats"], ["export"]])
@pytest.mark.parametrize("database", ["missing", "garbage", "other"])
def test_unusable_database_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str], database: str
) -> None:
    url = {
        "missing": lambda: f"sqlite:///{tmp_path / 'nowhere' / 'kompas.db'}",
        "garbage": lambda: _garbage(tmp_path),
        "other": lambda: _other_sqlite(tmp_path),
    }[database]()
    code, out, err = run(capsys, *command, "--db", url)
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert not (tmp_path / "nowhere").exists()  # reading never creates an archive


@pytest.mark.parametrize(
    "query", ["'; DROP TABLE articles; --", "x'); DELETE FROM articles; --", '" OR 1=1 --"']
)
def test_sql_typed_into_a_query_is_never_executed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, query: str
) -> None:
    engine: Engine = make_archive(tmp_path / "k.db")
    db = str(engine.url)
    for argv in (["search", query], ["export", "-q", query], ["show", query]):
        code, _, err = run(capsys, *argv, "--db", db)
        assert code in (0, 2) and "Traceback" not in err
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(ArticleRow)).scalar_one() == 8


# ---------------------------------------------------------------------------- show


def test_show_terminal(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, _ = run(capsys, "show", FIRST_URL + "?page=all", "--db", db)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "AS Tolak Permintaan Rusia Larang Ukraina Gabung NATO (diperbarui)"
    assert "Published:  2022-01-27 21:06 +07:00" in lines
    assert "Writers:    Aditya Jaya Iswara" in lines and "Sources:    AFP" in lines
    assert "Revisions:  1" in lines
    assert "     then changed: title, body, word_count" in lines
    assert "Kremlin kecewa." in out


def test_show_json_with_revisions(capsys: pytest.CaptureFixture[str], db: str) -> None:
    data = run_json(capsys, "show", "20220127-210600070", "--no-body", "--db", db)
    assert isinstance(data, dict)
    assert data["url"] == FIRST_URL and data["tags"] == ["NATO", "Rusia", "Ukraina"]
    assert data["published_at"] == "2022-01-27T21:06:00+07:00" and "body" not in data
    (revision,) = data["revisions"]
    assert revision["title"] == "AS Tolak Permintaan Rusia Larang Ukraina Gabung NATO"
    assert revision["changed"] == ["title", "body", "word_count"]


def test_show_by_row_id(capsys: pytest.CaptureFixture[str], db: str) -> None:
    assert run_json(capsys, "show", "3", "--db", db)["title"].startswith("Gencatan")  # type: ignore[index]


# ---------------------------------------------------------------------------- stats


def test_stats_terminal(
    capsys: pytest.CaptureFixture[str], db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # tables fit the terminal: make it a wide one
    code, out, _ = run(capsys, "stats", "--db", db)
    assert code == 0
    for expected in (
        "articles         8",
        "2022-01             3",
        "Aditya Jaya Iswara",
        "AFP             3",
        "writer         87.5%",
        "2024-06-01 18:00 +07:00",
    ):
        assert expected in out, expected


def test_stats_json_per_day_with_filters(capsys: pytest.CaptureFixture[str], db: str) -> None:
    data = run_json(capsys, "stats", "--by", "day", "--source", "AFP", "--top", "1", "--db", db)
    assert isinstance(data, dict)
    assert data["totals"]["articles"] == 3
    assert [row["period"] for row in data["per_period"]] == [
        "2022-01-27",
        "2022-02-10",
        "2022-03-01",
    ]
    assert data["top_sources"] == [{"name": "AFP", "articles": 3}]
    assert data["totals"]["first_published"] == "2022-01-27T21:06:00+07:00"


# ---------------------------------------------------------------------------- export


def test_export_jsonl_to_stdout(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, _ = run(capsys, "export", "--db", db)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 8
    assert rows[0]["published_at"] == "2022-01-27T21:06:00+07:00"
    assert rows[0]["writers"] == ["Aditya Jaya Iswara"] and "Kremlin" in rows[0]["body"]


def test_export_csv_to_a_file_with_filters(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    target = tmp_path / "afp.csv"
    argv = ["export", "--format", "csv", "--source", "AFP", "-q", "Ukraina", "-o", str(target)]
    code, out, err = run(capsys, *argv, "--sort", "newest", "--db", db)
    assert code == 0 and out == "" and "exported 2 articles" in err
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert [row["article_id"] for row in rows] == ["20220301-090000070", "20220127-210600070"]
    assert rows[1]["tags"] == "NATO; Rusia; Ukraina"
    assert not (tmp_path / "afp.csv.part").exists()


def test_failed_export_leaves_no_file(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    target = tmp_path / "out.jsonl"
    code, _, _ = run(capsys, "export", "-q", "NATO AND", "-o", str(target), "--db", db)
    assert code == 2 and list(tmp_path.iterdir()) == []


def test_export_no_body_and_limit(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, _ = run(capsys, "export", "--no-body", "--limit", "2", "--db", db)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 2 and "body" not in rows[0]
