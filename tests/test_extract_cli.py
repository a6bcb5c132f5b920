"""``kompas-crawler extract``: the exact JSON for every fixture, one-line errors with exit 2."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime

import pytest

from kompas_crawler.cli import main
from tests.conftest import FIXTURES, get_testdata, shared_page

FETCHED_AT = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)
ALL_FIXTURES = sorted(path.name for path in FIXTURES.glob("*.html"))


def fixture_url(name: str) -> str:
    return json.loads(get_testdata("urls.json"))[name]


def saved_copy(tmp_path, source, name=None):
    """The page as a user would have it: saved at FETCHED_AT (the file's mtime)."""
    copy = tmp_path / (name or source.name)
    shutil.copy(source, copy)
    os.utime(copy, (FETCHED_AT.timestamp(), FETCHED_AT.timestamp()))
    return copy


def extract(capsys, *argv):
    code = main(["extract", *map(str, argv)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_fixture_output_is_exactly_the_expected_json(tmp_path, capsys, name):
    page = saved_copy(tmp_path, FIXTURES / name)
    code, out, err = extract(capsys, page, "--url", fixture_url(name))
    assert (code, err) == (0, "")
    assert json.loads(out) == json.loads(get_testdata(name.replace(".html", ".expected.json")))


def test_article_without_url_falls_back_to_its_canonical_link(tmp_path, capsys):
    name = "article_2022-01-27_as-tolak-permintaan-rusia.html"
    code, out, _ = extract(capsys, saved_copy(tmp_path, FIXTURES / name))
    assert code == 0
    assert json.loads(out) == json.loads(get_testdata(name.replace(".html", ".expected.json")))


def test_real_2019_page(tmp_path, capsys):
    page = saved_copy(tmp_path, shared_page("article_2019-12-07_hype_didi-kempot.html"))
    code, out, _ = extract(capsys, page)
    output = json.loads(out)
    assert code == 0
    assert {key: output[key] for key in ("kind", "url", "published_at", "writers", "editors")} == {
        "kind": "article",
        "url": "https://www.kompas.com/hype/read/2019/12/07/074300566/karena-didi-kempot-musik-campursari-rasuki-the-pallas",
        "published_at": "2019-12-07T00:43:00+00:00",
        "writers": ["Baharudin Al Farisi"],
        "editors": ["Andi Muttya Keteng Pangerang"],
    }
    assert output["fetched_at"] == "2026-01-05T03:00:00+00:00"


def test_real_2017_home_page_is_a_listing(tmp_path, capsys):
    page = saved_copy(tmp_path, shared_page("homepage_2017-09-17.html"))
    code, out, _ = extract(capsys, page, "--url", "https://www.kompas.com/")
    output = json.loads(out)
    assert (code, output["kind"], len(output["article_urls"])) == (0, "listing", 4)


def write(tmp_path, name, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("make_path", "message"),
    [
        (lambda tmp: tmp / "missing.html", "no such file"),
        (lambda tmp: write(tmp, "empty.html", b""), "the file is empty"),
        (lambda tmp: write(tmp, "blank.html", b" \n\t"), "the file is empty"),
        (
            lambda tmp: write(tmp, "photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01"),
            "a binary file",
        ),
        (
            lambda tmp: write(tmp, "other.html", b"<html><body><p>Halo</p></body></html>"),
            "not a Kompas article or listing page",
        ),
        (lambda tmp: tmp, "cannot read it"),
    ],
)
def test_unusable_input_is_one_line_on_stderr_and_exit_2(tmp_path, capsys, make_path, message):
    code, out, err = extract(capsys, make_path(tmp_path))
    assert (code, out) == (2, "")
    assert err.startswith("kompas-crawler extract: error: ")
    assert message in err
    assert err.count("\n") == 1


def test_listing_without_url_is_an_error(tmp_path, capsys):
    name = "listing_2024-12-26_indeks-new-middle.html"
    code, _, err = extract(capsys, saved_copy(tmp_path, FIXTURES / name))
    assert code == 2
    assert "needs --url" in err


def test_url_must_be_http(tmp_path, capsys):
    name = "listing_2024-12-26_indeks-new-middle.html"
    code, _, err = extract(
        capsys, saved_copy(tmp_path, FIXTURES / name), "--url", "indeks.kompas.com"
    )
    assert code == 2
    assert "--url" in err
