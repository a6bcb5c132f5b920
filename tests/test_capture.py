"""Raw pages: a real crawl of the offline site keeps every page it parses in WARC files, which
warcio and wacz accept, indexed in the archive; files cut short or damaged stay readable."""

from __future__ import annotations

import errno
import gzip
import subprocess
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kompas_crawler.capture.reader import ReadCounts, read_file, read_folder, whole_records_end
from kompas_crawler.capture.records import OPEN_SUFFIX, SUFFIX
from kompas_crawler.capture.replay import as_response
from kompas_crawler.capture.warc import Exchange, Original, WarcFiles, recover_open_files
from kompas_crawler.offline import OfflineServer, demo_site
from tests.crawling import BIN, KOMPAS_CRAWLER, crawl_env, query, run_crawl

WARCIO = str(BIN / "warcio")
WACZ = str(BIN / "wacz")


@dataclass
class Crawled:
    workdir: Path
    first: subprocess.CompletedProcess[str]
    second: subprocess.CompletedProcess[str]

    @property
    def database(self) -> Path:
        return self.workdir / "kompas.db"

    @property
    def warc(self) -> Path:
        return self.workdir / "data" / "warc"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    workdir = tmp_path_factory.mktemp("capture")
    with OfflineServer(demo_site()) as server:
        first = run_crawl(workdir, server.url, timeout=120)
        second = run_crawl(workdir, server.url, timeout=120)
    yield Crawled(workdir, first, second)


def records(folder: Path) -> list[Any]:
    return list(read_folder(folder))


def test_both_crawls_succeed_and_close_their_files(crawled: Crawled) -> None:
    assert crawled.first.returncode == 0, crawled.first.stderr[-2000:]
    assert crawled.second.returncode == 0, crawled.second.stderr[-2000:]
    names = sorted(path.name for path in crawled.warc.iterdir())
    assert len(names) == 2
    assert all(name.startswith("kompas-") and name.endswith(SUFFIX) for name in names)


def test_warcio_check_accepts_the_files(crawled: Crawled) -> None:
    files = sorted(str(path) for path in crawled.warc.glob("*" + SUFFIX))
    checked = subprocess.run([WARCIO, "check", "-v", *files], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "digest pass" in checked.stdout


def test_each_file_starts_with_warcinfo_and_holds_request_response_pairs(crawled: Crawled) -> None:
    for path in sorted(crawled.warc.glob("*" + SUFFIX)):
        found = list(read_file(path))
        assert found[0].type == "warcinfo"
        pages = [r for r in found if r.type in ("response", "revisit")]
        requests = [r for r in found if r.type == "request"]
        assert pages and len(pages) == len(requests)
        assert [r.url for r in pages] == [r.url for r in requests]


def test_records_carry_the_real_kompas_urls_not_the_mirror(crawled: Crawled) -> None:
    urls = [r.url for r in records(crawled.warc) if r.url]
    assert urls
    assert all(
        url.startswith(("https://www.kompas.com/", "https://indeks.kompas.com/")) for url in urls
    )
    assert any("page=all" in url for url in urls)  # the multi-page article, whole
    assert any(url.startswith("https://indeks.kompas.com/") for url in urls)  # listings
    assert not any("robots.txt" in url for url in urls)


def test_every_stored_article_points_at_its_response_capture(crawled: Crawled) -> None:
    rows = query(
        crawled.database,
        "SELECT a.article_id, c.article_id, c.url, c.record_type, c.status FROM articles a "
        "LEFT JOIN captures c ON c.id = a.capture_id",
    )
    assert len(rows) == 29
    assert all(captured == stored for stored, captured, *_ in rows)
    assert {row[3] for row in rows} == {"response"}
    assert {row[4] for row in rows} == {200}


def test_the_index_holds_every_capture_including_listings(crawled: Crawled) -> None:
    in_files = {
        (r.warc_file, r.offset) for r in records(crawled.warc) if r.type in ("response", "revisit")
    }
    indexed = set(query(crawled.database, 'SELECT warc_file, "offset" FROM captures'))
    assert indexed == in_files
    listings = query(crawled.database, "SELECT count(*) FROM captures WHERE article_id IS NULL")
    assert listings[0][0] >= 6


def test_a_page_fetched_again_unchanged_is_a_revisit(crawled: Crawled) -> None:
    second = max(crawled.warc.glob("*" + SUFFIX))
    found = [r for r in read_file(second) if r.type in ("response", "revisit")]
    assert found, "the second run fetched the newest index page again"
    assert {r.type for r in found} == {"revisit"}
    digests = {
        row[0]
        for row in query(
            crawled.database, "SELECT payload_digest FROM captures WHERE record_type = 'response'"
        )
    }
    assert all(r.payload_digest in digests for r in found)
    assert all(r.refers_to_url == r.url for r in found)


def test_show_raw_prints_the_page_as_served(crawled: Crawled) -> None:
    url, title = query(crawled.database, "SELECT url, title FROM articles ORDER BY url LIMIT 1")[0]
    shown = subprocess.run(
        [KOMPAS_CRAWLER, "show", url, "--raw"],
        cwd=crawled.workdir,
        env=crawl_env("", crawled.database),
        capture_output=True,
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.lstrip().lower().startswith(b"<!doctype html")
    assert title.split()[0].encode() in shown.stdout


def test_wacz_packs_the_files_for_replayweb_page(crawled: Crawled, tmp_path: Path) -> None:
    files = sorted(str(path) for path in crawled.warc.glob("*" + SUFFIX))
    package = tmp_path / "kompas.wacz"
    made = subprocess.run([WACZ, "create", "-o", str(package), *files], capture_output=True)
    assert made.returncode == 0, made.stderr
    valid = subprocess.run([WACZ, "validate", "-f", str(package)], capture_output=True, text=True)
    assert valid.returncode == 0 and "succeeded" in valid.stdout, valid.stdout + valid.stderr
    with zipfile.ZipFile(package) as wacz:
        index = gzip.decompress(wacz.read("indexes/index.cdx.gz")).decode()
    article = query(crawled.database, "SELECT url FROM articles LIMIT 1")[0][0]
    assert article.split("://", 1)[1].split("/", 1)[1].split("/")[-2] in index


# -- files cut short, damaged, or not WARC ---------------------------------------------------


def exchange(n: int, payload: bytes | None = None) -> Exchange:
    return Exchange(
        url=f"https://www.kompas.com/global/read/2024/06/{n:02d}/1{n:08d}/berita-{n}",
        method="GET",
        request_headers=[("User-Agent", "test")],
        protocol="HTTP/1.1",
        status=200,
        response_headers=[("Content-Type", "text/html; charset=utf-8")],
        payload=payload if payload is not None else f"<html><p>Berita {n}</p></html>".encode() * 40,
        fetched_at=datetime.now(UTC),
    )


def written(folder: Path, count: int) -> tuple[WarcFiles, list[Any]]:
    files = WarcFiles(folder, rotate_bytes=1 << 30, software="test")
    refs = [files.write(exchange(n), None, None) for n in range(1, count + 1)]
    return files, refs


def test_a_killed_writers_file_is_recovered_up_to_its_last_whole_record(tmp_path: Path) -> None:
    files, refs = written(tmp_path, 3)
    assert files.file is not None
    files.file.close()  # as SIGKILL leaves it: not renamed, the lock released
    files.file = None
    open_file = tmp_path / (files.name + ".open")
    with open(open_file, "r+b") as cut:
        cut.truncate(refs[2].offset + refs[2].length // 2)  # mid-record
    assert records(tmp_path) == []  # readers skip the file being written
    recovered = recover_open_files(tmp_path)
    assert [path.name for path in recovered] == [files.name]
    assert not open_file.exists()
    pages = [r for r in records(tmp_path) if r.type == "response"]
    assert [r.url for r in pages] == [ref.url for ref in refs[:2]]
    checked = subprocess.run([WARCIO, "check", str(recovered[0])], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout


def test_a_file_still_being_written_is_not_recovered(tmp_path: Path) -> None:
    files, _ = written(tmp_path, 1)
    assert recover_open_files(tmp_path) == []  # its writer holds the lock
    assert (tmp_path / (files.name + ".open")).exists()
    files.close()
    assert (tmp_path / files.name).exists()


def test_a_truncated_record_is_skipped_and_counted(tmp_path: Path) -> None:
    files, refs = written(tmp_path, 3)
    files.close()
    path = tmp_path / files.name
    with open(path, "r+b") as cut:
        cut.truncate(refs[2].offset + 40)
    counts = ReadCounts()
    pages = [r.url for r in read_file(path, counts) if r.type == "response"]
    assert pages == [ref.url for ref in refs[:2]]
    assert counts.bad_records == 1
    assert whole_records_end(path) == refs[2].offset


def test_a_corrupt_record_is_skipped_and_the_next_ones_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    files, refs = written(tmp_path, 3)
    files.close()
    path = tmp_path / files.name
    data = bytearray(path.read_bytes())
    data[refs[0].offset + refs[0].length // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    counts = ReadCounts()
    pages = [r.url for r in read_file(path, counts) if r.type == "response"]
    assert pages == [ref.url for ref in refs[1:]]
    assert counts.bad_records == 1
    assert f"in {path.name} at byte {refs[0].offset}" in caplog.text


def test_a_non_warc_file_is_named_and_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    files, _refs = written(tmp_path, 1)
    files.close()
    (tmp_path / "notes.txt").write_text("not a WARC")
    (tmp_path / "fake.warc.gz").write_text("not gzip either")
    counts = ReadCounts()
    pages = [r for r in read_folder(tmp_path, counts) if r.type == "response"]
    assert len(pages) == 1
    assert sorted(Path(p).name for p in counts.skipped_files) == ["fake.warc.gz", "notes.txt"]
    assert "notes.txt: not a WARC file" in caplog.text


def test_files_rotate_at_the_size_given(tmp_path: Path) -> None:
    files = WarcFiles(tmp_path, rotate_bytes=2000, software="test")
    refs = [files.write(exchange(n), None, None) for n in range(1, 6)]
    files.close()
    assert len({ref.warc_file for ref in refs}) >= 2
    assert len(records(tmp_path)) > 0
    assert not list(tmp_path.glob("*" + OPEN_SUFFIX))


def test_a_revisit_refers_to_the_original(tmp_path: Path) -> None:
    files = WarcFiles(tmp_path, rotate_bytes=1 << 30, software="test")
    first = files.write(exchange(1), None, None)
    again = files.write(exchange(1), None, Original(first.url, first.fetched_at))
    files.close()
    assert again.record_type == "revisit" and again.payload_digest == first.payload_digest
    revisit = next(r for r in records(tmp_path) if r.type == "revisit")
    assert revisit.payload == b"" and revisit.refers_to_url == first.url


def test_a_gzip_encoded_payload_is_kept_encoded_and_replayed_decoded(tmp_path: Path) -> None:
    html = "<html><body><p>Jakarta, Kompas.com — berita</p></body></html>".encode()
    page = exchange(1, payload=gzip.compress(html))
    page.response_headers.append(("Content-Encoding", "gzip"))
    files = WarcFiles(tmp_path, rotate_bytes=1 << 30, software="test")
    files.write(page, None, None)
    files.close()
    record = next(r for r in records(tmp_path) if r.type == "response")
    assert zlib.decompress(record.payload, zlib.MAX_WBITS | 16) == html  # as received
    assert as_response(record, record.payload).body == html


class FullDisk:
    """A file that takes ``room`` bytes, then fails as a full disk does."""

    def __init__(self, real: Any, room: int) -> None:
        self.real = real
        self.room = room

    def write(self, data: bytes) -> int:
        if self.real.tell() + len(data) > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        return int(self.real.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_a_full_disk_leaves_whole_records_only(tmp_path: Path) -> None:
    files, refs = written(tmp_path, 2)
    assert files.file is not None
    files.file = FullDisk(files.file, room=refs[1].offset + refs[1].length + 900)  # type: ignore[assignment]
    with pytest.raises(OSError, match="No space"):
        files.write(exchange(3), None, None)
    assert files.file is None
    path = tmp_path / files.name
    assert path.exists()
    pages = [r.url for r in read_file(path) if r.type == "response"]
    assert pages == [ref.url for ref in refs]
    checked = subprocess.run([WARCIO, "check", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 48 KiB file system (tmpfs): room for a few pages of WARC, not for the demo site's."""
    mount = tmp_path / "small"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=48k", "tmpfs", str(mount)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_stops_the_crawl_cleanly_and_the_next_run_goes_on(
    tmp_path: Path, small_disk: Path
) -> None:
    database = tmp_path / "kompas.db"
    with OfflineServer(demo_site()) as server:
        env = {**crawl_env(server.url, database), "KOMPAS_WARC_DIR": str(small_disk)}
        full = subprocess.run(
            [KOMPAS_CRAWLER, "crawl", "-q", "-s", "AUTOTHROTTLE_ENABLED=False",
             "-s", "DOWNLOAD_DELAY=0"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert full.returncode == 1
        assert len(full.stderr.strip().splitlines()) == 1, full.stderr
        assert "warc_write_failed" in full.stderr
        assert query(database, "SELECT finish_reason FROM crawl_runs")[0][0] == "warc_write_failed"
        # Whatever was stored points at a whole record in the files.
        stored = query(
            database,
            'SELECT c.warc_file, c."offset" FROM articles a JOIN captures c ON c.id = a.capture_id',
        )
        assert query(database, "SELECT count(*) FROM articles WHERE capture_id IS NULL") == [(0,)]
        in_files = {(r.warc_file, r.offset) for r in read_folder(small_disk)}
        assert set(stored) <= in_files
        assert not list(small_disk.glob("*" + OPEN_SUFFIX))
        env["KOMPAS_WARC_DIR"] = str(tmp_path / "warc")
        again = subprocess.run(
            [KOMPAS_CRAWLER, "crawl", "-q", "-s", "AUTOTHROTTLE_ENABLED=False",
             "-s", "DOWNLOAD_DELAY=0"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert query(database, "SELECT count(*) FROM articles") == [(29,)]
