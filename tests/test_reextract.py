"""``kompas-crawler reextract``: the archive rebuilt or re-read from the crawl's WARC files, with
the offline site stopped; a parser change shows up as revisions."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from itemloaders.processors import MapCompose

from kompas_crawler import processors as p
from kompas_crawler.cli import main
from kompas_crawler.loaders import ArticleLoader
from kompas_crawler.offline import OfflineServer, demo_site
from tests.crawling import KOMPAS_CRAWLER, archive_snapshot, query, run_crawl, table_counts

# How each article was read, and which capture: equal after a rebuild.
READ_FROM = (
    'SELECT a.url, a.layout, a.fallbacks, c.warc_file, c."offset", c.record_type '
    "FROM articles a LEFT JOIN captures c ON c.id = a.capture_id ORDER BY a.url"
)


@dataclass
class Crawl:
    workdir: Path

    @property
    def database(self) -> Path:
        return self.workdir / "kompas.db"

    @property
    def warc(self) -> Path:
        return self.workdir / "data" / "warc"

    def copy(self, target: Path) -> Path:
        """A copy of the crawled archive to change."""
        shutil.copy(self.database, target)
        return target


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    workdir = tmp_path_factory.mktemp("reextract")
    with OfflineServer(demo_site()) as server:
        done = run_crawl(workdir, server.url, timeout=120)
    assert done.returncode == 0, done.stderr
    yield Crawl(workdir)  # the site is stopped from here on


def reextract(database: Path, warc: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            KOMPAS_CRAWLER,
            "reextract",
            "--db",
            f"sqlite:///{database}",
            "--warc",
            str(warc),
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_empty_archive_is_rebuilt_from_the_warc_files_alone(
    crawl: Crawl, tmp_path: Path
) -> None:
    rebuilt = tmp_path / "rebuilt.db"
    done = reextract(rebuilt, crawl.warc, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["new"] == 29 and report["updated"] == 0
    assert report["failed"] == {"missing_body": 1}  # the demo site's broken page
    assert archive_snapshot(rebuilt) == archive_snapshot(crawl.database)
    assert query(rebuilt, READ_FROM) == query(crawl.database, READ_FROM)
    indexed = (
        'SELECT warc_file, "offset", url, record_type, payload_digest FROM captures ORDER BY 1, 2'
    )
    assert query(rebuilt, indexed) == query(crawl.database, indexed)


def test_the_crawled_archive_reads_the_same_with_the_same_parsers(
    crawl: Crawl, tmp_path: Path
) -> None:
    database = crawl.copy(tmp_path / "kompas.db")
    done = reextract(database, crawl.warc)
    assert done.returncode == 0, done.stderr
    assert "0 new, 0 changed, 29 unchanged (written)" in done.stdout
    assert query(database, "SELECT count(*) FROM article_revisions") == [(0,)]


def upper_case_writers(monkeypatch: pytest.MonkeyPatch) -> None:
    """A deliberate parser change: writers' names in capitals."""
    monkeypatch.setattr(ArticleLoader, "writers_in", MapCompose(p.split_names, str.upper))


def test_a_parser_change_shows_up_as_revisions(
    crawl: Crawl,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    database = crawl.copy(tmp_path / "kompas.db")
    with_writers = query(
        database, "SELECT count(DISTINCT article_id) FROM article_people WHERE role = 'writer'"
    )[0][0]
    assert with_writers > 0
    upper_case_writers(monkeypatch)
    assert main(["reextract", "--db", f"sqlite:///{database}", "--warc", str(crawl.warc)]) == 0
    out = capsys.readouterr().out
    assert f"{with_writers} changed" in out
    assert f"writers changed on {with_writers} articles" in out
    assert "title changed" not in out
    reasons = query(database, "SELECT reason, count(*) FROM article_revisions GROUP BY reason")
    assert reasons == [("re-extracted", with_writers)]
    names = [
        row[0]
        for row in query(
            database,
            "SELECT DISTINCT p.name FROM people p JOIN article_people x ON x.person_id = p.id "
            "WHERE x.role = 'writer'",
        )
    ]
    assert names and all(name == name.upper() for name in names)


def test_a_dry_run_writes_nothing(
    crawl: Crawl,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    database = crawl.copy(tmp_path / "kompas.db")
    before = (archive_snapshot(database), table_counts(database))
    upper_case_writers(monkeypatch)
    options = ["--db", f"sqlite:///{database}", "--warc", str(crawl.warc), "--dry-run", "--json"]
    assert main(["reextract", *options]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["dry_run"] is True and report["updated"] > 0
    assert report["changed_fields"] == {"writers": report["updated"]}
    assert (archive_snapshot(database), table_counts(database)) == before


def test_a_missing_warc_file_is_reported_and_counted(crawl: Crawl, tmp_path: Path) -> None:
    database = crawl.copy(tmp_path / "kompas.db")
    folder = tmp_path / "warc"
    folder.mkdir()  # the crawl's file is gone
    (folder / "notes.txt").write_text("not a WARC file")
    done = reextract(database, folder, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["missing_captures"] == 29
    assert report["skipped_files"] == [str(folder / "notes.txt")]
    assert "29 captures the archive points at are not in" in done.stderr
    assert query(database, "SELECT count(*) FROM articles") == [(29,)]  # nothing lost


def test_a_missing_folder_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = reextract(tmp_path / "kompas.db", tmp_path / "nowhere")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "kompas-crawler reextract: error: no WARC folder at "
        f"{str(tmp_path / 'nowhere')!r} (give --warc DIR)"
    ]


def test_since_and_until_take_the_articles_published_in_those_wib_days(
    crawl: Crawl, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = crawl.copy(tmp_path / "kompas.db")
    expected = query(database, "SELECT count(*) FROM articles WHERE url LIKE '%/read/2024/06/%'")[
        0
    ][0]
    assert 0 < expected < 29
    options = ["--db", f"sqlite:///{database}", "--warc", str(crawl.warc), "--json"]
    assert main(["reextract", *options, "--since", "2024-06", "--until", "2024-06"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["unchanged"] == expected and report["new"] == 0
