"""export --format parquet: typed columns, row groups, and the same articles as the JSONL export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kompas_crawler.cli import main
from kompas_crawler.parquet import write_parquet
from kompas_crawler.storage.rows import EXPORT_FIELDS, iter_articles
from tests.test_query import make_archive


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("parquet") / "kompas.db"
    make_archive(path).dispose()
    return path


@pytest.fixture(scope="module")
def exported(db: Path) -> tuple[Path, list[dict[str, Any]]]:
    folder = db.parent
    url = f"sqlite:///{db}"
    assert main(["export", "--db", url, "-o", str(folder / "a.jsonl")]) == 0
    assert (
        main(["export", "--db", url, "--format", "parquet", "-o", str(folder / "a.parquet")]) == 0
    )
    lines = (folder / "a.jsonl").read_text(encoding="utf-8").splitlines()
    return folder / "a.parquet", [json.loads(line) for line in lines]


def _plain(value: Any) -> Any:
    """A value read back from Parquet in the JSONL export's terms."""
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return None
    if hasattr(value, "tolist"):
        return list(value.tolist())
    return value


def test_types(exported: tuple[Path, list[dict[str, Any]]]) -> None:
    schema = pq.read_schema(exported[0])
    assert schema.names == list(EXPORT_FIELDS)
    assert schema.field("published_at").type == pa.timestamp("us", tz="Asia/Jakarta")
    assert schema.field("tags").type == pa.list_(pa.string())
    assert schema.field("word_count").type == pa.int64()


def test_pandas_reads_what_jsonl_holds(exported: tuple[Path, list[dict[str, Any]]]) -> None:
    path, records = exported
    frame = pd.read_parquet(path)
    rows = [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]
    assert len(rows) == len(records) == 8
    assert rows == records


def test_duckdb_reads_it(exported: tuple[Path, list[dict[str, Any]]]) -> None:
    path, records = exported
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    found = connection.execute(
        "SELECT article_id, strftime(published_at, '%Y-%m-%d %H:%M'), tags, len(writers) "
        f"FROM read_parquet('{path}') ORDER BY id"
    ).fetchall()
    expected = [
        (
            r["article_id"],
            pd.Timestamp(r["published_at"]).tz_convert("UTC").strftime("%Y-%m-%d %H:%M"),
            r["tags"],
            len(r["writers"]),
        )
        for r in records
    ]
    assert found == expected
    nato = connection.execute(
        f"SELECT count(*) FROM read_parquet('{path}') WHERE list_contains(tags, 'NATO')"
    ).fetchone()
    assert nato == (sum("NATO" in r["tags"] for r in records),)


def test_row_groups(db: Path, tmp_path: Path) -> None:
    from kompas_crawler.storage.database import open_existing_archive

    engine = open_existing_archive(f"sqlite:///{db}")
    with (tmp_path / "small.parquet").open("wb") as out:
        count = write_parquet(iter_articles(engine), out, list(EXPORT_FIELDS), row_group=3)
    engine.dispose()
    metadata = pq.ParquetFile(tmp_path / "small.parquet").metadata
    assert count == metadata.num_rows == 8
    assert metadata.num_row_groups == 3


def test_parquet_needs_a_file(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--db", f"sqlite:///{db}", "--format", "parquet"]) == 2
    assert "give -o FILE.parquet" in capsys.readouterr().err


def test_empty_selection_is_a_valid_file(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "none.parquet"
    arguments = ["export", "--db", f"sqlite:///{db}", "--format", "parquet", "-o", str(out)]
    assert main([*arguments, "--since", "2030-01-01"]) == 0
    assert pq.read_table(out).num_rows == 0
    assert pq.read_schema(out).names == list(EXPORT_FIELDS)
