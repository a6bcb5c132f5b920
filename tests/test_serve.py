"""``kompas-crawler serve``: the demo archive in a real headless Chromium, and every bad input."""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kompas_crawler.offline import OfflineServer, demo_site
from tests.crawling import KOMPAS_CRAWLER, run_crawl, wait_until
from tests.test_query import make_archive, sample_articles

CHROMIUM = Path("/usr/bin/chromium")
# Chromium as root in a container, with nothing reaching out to Google's services.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESIGN_TITLE = "AS Tolak Permintaan Rusia Larang Ukraina Gabung NATO"
SERVING = re.compile(r"read-only at (http://[^/ ]+)/")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("serve")
    with OfflineServer(demo_site()) as server:
        result = run_crawl(folder, server.url, timeout=120)
    assert result.returncode == 0, result.stderr
    return folder / "kompas.db"


def start_serve(*arguments: str) -> tuple[subprocess.Popen[str], str, list[str]]:
    """``kompas-crawler serve`` on a free port: the process, its base URL, what it said first."""
    process = subprocess.Popen(
        [KOMPAS_CRAWLER, "serve", "--port", "0", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    said: list[str] = []
    while line := process.stderr.readline():
        said.append(line)
        if match := SERVING.search(line):
            return process, match.group(1), said
    process.kill()
    raise AssertionError(f"serve did not start: {''.join(said)}")


@pytest.fixture(scope="module")
def served(demo_db: Path) -> Iterator[str]:
    process, url, _ = start_serve("--db", f"sqlite:///{demo_db}")
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield context
        finally:
            context.close()


def test_browser_search_dashboard_and_canned_query(
    browser: object, served: str, tmp_path: Path
) -> None:
    from playwright.sync_api import BrowserContext

    assert isinstance(browser, BrowserContext)
    # KOMPAS_SCREENSHOTS keeps them (docs/ takes its screenshot from there).
    shots = Path(os.environ.get("KOMPAS_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    page = browser.new_page()
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{served}/archive/articles_flat")
    page.fill("input[name=_search]", "NATO")
    page.press("input[name=_search]", "Enter")
    page.wait_for_url(re.compile(r"_search=NATO"))
    link = page.get_by_role("link", name=DESIGN_TITLE)
    assert link.count() == 1
    href = link.get_attribute("href") or ""
    assert href.startswith("https://www.kompas.com/global/read/2022/01/27/210600070/as-tolak")
    assert "+07:00" in page.inner_text("table.rows-and-columns")
    page.screenshot(path=shots / "search.png", full_page=True)

    page.goto(f"{served}/-/dashboards/coverage")
    charts = page.locator(".dashboard-card")
    drawn = page.locator(".dashboard-card canvas, .dashboard-card svg")
    wait_until(lambda: drawn.count() >= 4, timeout=30, step=0.2)
    assert charts.count() == 6
    page.screenshot(path=shots / "dashboard.png", full_page=True)

    page.goto(f"{served}/archive/articles_per_month?q=NATO")
    rows = page.locator("table.rows-and-columns tbody tr")
    assert rows.count() >= 1
    assert "2022-01" in page.inner_text("table.rows-and-columns")
    page.screenshot(path=shots / "canned-query.png", full_page=True)
    assert errors == []
    assert all((shots / name).stat().st_size > 10_000 for name in ("search.png", "dashboard.png"))


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def test_facets_over_json_arrays_and_newest_first(served: str, demo_db: Path) -> None:
    data = get_json(f"{served}/archive/articles_flat.json?_facet_array=tags&_shape=objects")
    tags = {item["value"]: item["count"] for item in data["facet_results"]["tags"]["results"]}
    stored = dict(
        sqlite3.connect(demo_db).execute(
            "SELECT t.name, count(*) FROM article_tags x JOIN tags t ON t.id = x.tag_id "
            "GROUP BY t.name"
        )
    )
    assert tags and all(stored[name] == count for name, count in tags.items())
    published = [row["published_wib"] for row in data["rows"]]
    assert published == sorted(published, reverse=True)
    assert all(value.endswith("+07:00") for value in published)
    assert {"section", "sources", "writers", "tags"} <= set(data["facet_results"])


def test_canned_queries_take_parameters(served: str) -> None:
    tags = get_json(
        f"{served}/archive/top_tags.json?since=2022-01-01&until=2022-01-31&_shape=array"
    )
    assert tags and all(set(row) == {"tag", "articles"} for row in tags)
    later = get_json(f"{served}/archive/top_tags.json?since=2030-01-01&until=&_shape=array")
    assert later == []
    article = urllib.parse.quote("20220127-210600070")
    versions = get_json(f"{served}/archive/article_revisions.json?article={article}&_shape=array")
    assert versions[0]["version"] == "current" and "NATO" in versions[0]["title"]
    runs = get_json(f"{served}/archive/crawl_runs.json?_shape=array")
    assert runs[0]["status"] == "ok" and runs[0]["started_wib"].endswith("+07:00")


def test_read_only(served: str, demo_db: Path) -> None:
    """Datasette's SQL is read-only: a write through it changes nothing."""
    before = sqlite3.connect(demo_db).execute("SELECT count(*) FROM articles").fetchone()
    sql = urllib.parse.quote("DELETE FROM articles")
    with pytest.raises(urllib.error.HTTPError):
        get_json(f"{served}/archive.json?sql={sql}")
    assert sqlite3.connect(demo_db).execute("SELECT count(*) FROM articles").fetchone() == before


# ---------------------------------------------------------------------------- hostile text


def hostile_archive(path: Path) -> None:
    article = sample_articles()[1]  # make_archive edits [0]
    article.title = '<script>alert("x")</script> NATO \x1b[31mmerah\x1b[0m'
    article.body = "<b>tebal</b> <img src=x onerror=alert(1)> teks biasa"
    make_archive(path, [article]).dispose()


def test_html_in_articles_is_shown_as_text(tmp_path: Path) -> None:
    hostile_archive(tmp_path / "kompas.db")
    process, url, _ = start_serve("--db", f"sqlite:///{tmp_path / 'kompas.db'}")
    try:
        with urllib.request.urlopen(f"{url}/archive/articles_flat?_search=NATO") as response:
            page = response.read().decode()
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert "merah" in page
    assert "<script>alert" not in page and "&lt;script&gt;alert(" in page
    assert "<b>tebal</b>" not in page and "&lt;b&gt;tebal&lt;/b&gt;" in page
    assert "<img src=x" not in page


# ---------------------------------------------------------------------------- bad input


def serve_fails(*arguments: str) -> str:
    result = subprocess.run(
        [KOMPAS_CRAWLER, "serve", *arguments], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return result.stderr


def test_port_in_use(demo_db: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        error = serve_fails("--db", f"sqlite:///{demo_db}", "--port", str(port))
    assert f"cannot listen on 127.0.0.1:{port}" in error and "in use" in error


def test_missing_and_foreign_archives(tmp_path: Path) -> None:
    assert "no archive at" in serve_fails("--db", f"sqlite:///{tmp_path / 'none.db'}")
    foreign = tmp_path / "other.db"
    sqlite3.connect(foreign).execute("CREATE TABLE notes (text TEXT)").connection.commit()
    assert "is not a kompas-crawler archive" in serve_fails("--db", f"sqlite:///{foreign}")
    postgres = serve_fails("--db", "postgresql+psycopg://u@127.0.0.1:9/kompas")
    assert "serve reads a SQLite archive file" in postgres


def test_other_host_warns(demo_db: Path) -> None:
    process, url, said = start_serve("--db", f"sqlite:///{demo_db}", "--host", "0.0.0.0")
    process.terminate()
    process.wait(timeout=10)
    assert url.startswith("http://0.0.0.0:")
    assert "warning: listening on 0.0.0.0, not only this machine" in said[0]


def test_loopback_is_the_default(demo_db: Path) -> None:
    process, url, said = start_serve("--db", f"sqlite:///{demo_db}")
    process.terminate()
    process.wait(timeout=10)
    assert url.startswith("http://127.0.0.1:") and len(said) == 1
