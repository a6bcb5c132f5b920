"""End to end on today's site and whatever it becomes: `kompas-crawler crawl` of the offline site
in the 2026 markup, after a redesign (drifted), and behind a WAF challenge."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from kompas_crawler.offline import ArticleSpec, OfflineServer, OfflineSite, demo_site, live_days
from kompas_crawler.storage.archive import load_article
from kompas_crawler.storage.database import open_existing_archive
from tests.crawling import KOMPAS_CRAWLER, last_run, query, run_crawl

EXIT_BLOCKED, EXIT_DEGRADED = 1, 4


def live_site(mode: str | None = None) -> OfflineSite:
    """The 2026 days of the demo site alone (29 articles, every 2026 special case)."""
    return OfflineSite(live_days(), per_page=20, newest_per_page=20, mode=mode)


def expected_people(spec: ArticleSpec) -> tuple[list[str], list[str]]:
    """What a careful parser can know: without #creditModal, names under "Tim Redaksi" have no
    role of their own (stored as nobody); the editor is still JSON-LD's author."""
    if spec.credit_modal or len(spec.writers) == 1:
        return list(spec.writers), list(spec.editors)
    return [], list(spec.editors)


def stored(database: Path, spec: ArticleSpec):  # type: ignore[no-untyped-def]
    engine = open_existing_archive(f"sqlite:///{database}")
    try:
        return load_article(engine, spec.url)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def live_crawl(tmp_path_factory: pytest.TempPathFactory) -> tuple[OfflineSite, Path, int, str]:
    site = live_site()
    workdir = tmp_path_factory.mktemp("live")
    with OfflineServer(site) as server:
        result = run_crawl(workdir, server.url, timeout=120)
    return site, workdir / "kompas.db", result.returncode, result.stdout + result.stderr


def test_2026_crawl_is_ok_and_stores_every_article(live_crawl):
    site, database, returncode, output = live_crawl
    assert returncode == 0, output
    assert query(database, "SELECT count(*) FROM articles") == [(len(site.expected_articles()),)]


@pytest.mark.parametrize(
    "field", ["title", "published_at", "updated_at", "body", "sources", "tags"]
)
def test_2026_fields_are_exact(live_crawl, field):
    site, database, _, _ = live_crawl
    for spec in site.expected_articles():
        article = stored(database, spec)
        expected = {
            "title": spec.title,
            "published_at": spec.published_utc,
            "updated_at": spec.updated,
            "body": spec.body,
            "sources": list(spec.sources),
            "tags": list(spec.tags),
        }[field]
        assert getattr(article, field) == expected, f"{field} of {spec.url}"


def test_2026_writers_and_editors_are_exact_and_never_swapped(live_crawl):
    site, database, _, _ = live_crawl
    specs = site.expected_articles()
    assert any(not spec.credit_modal for spec in specs)
    for spec in specs:
        article = stored(database, spec)
        assert (article.writers, article.editors) == expected_people(spec), spec.url
        assert not set(article.writers) & set(spec.editors) - set(spec.writers), spec.url


def test_2026_articles_are_read_from_the_known_markup(live_crawl):
    site, database, _, _ = live_crawl
    layouts = query(database, "SELECT layout, count(*) FROM articles GROUP BY layout")
    assert layouts == [("2026", len(site.expected_articles()))]
    assert query(database, "SELECT count(*) FROM articles WHERE fallbacks != '[]'") == [(0,)]


@pytest.mark.parametrize("mode", ["drifted", "drifted_nopaging"])
def test_a_redesigned_site_is_stored_by_fallbacks_and_the_run_says_degraded(tmp_path, mode):
    site = live_site(mode)
    with OfflineServer(site) as server:
        result = run_crawl(tmp_path, server.url, "-q", timeout=120)
    # Stored, with the same titles, times and bodies as the normal site...
    for spec in site.expected_articles():
        article = stored(tmp_path / "kompas.db", spec)
        assert article is not None, spec.url
        assert (article.title, article.published_at, article.body) == (
            spec.title,
            spec.published_utc,
            spec.body,
        ), spec.url
    # ... and loudly: read by fallback, so the run is degraded, even with -q.
    assert result.returncode == EXIT_DEGRADED, result.stderr
    assert "degraded" in result.stderr and "fallback" in result.stderr
    assert last_run(tmp_path / "kompas.db")["status"] == "degraded"
    assert query(tmp_path / "kompas.db", "SELECT DISTINCT layout FROM articles") == [("unknown",)]
    # stats tells how many were read which way, field by field.
    report = subprocess.run(
        [KOMPAS_CRAWLER, "stats", "--json", "--db", f"sqlite:///{tmp_path / 'kompas.db'}"],
        capture_output=True,
        text=True,
        check=True,
    )
    extraction = json.loads(report.stdout)["extraction"]
    count = len(site.expected_articles())
    assert extraction["by_layout"] == {"unknown": count}
    assert extraction["fallbacks"]["title"] == extraction["fallbacks"]["body"] == count


def test_a_site_challenging_every_article_ends_blocked(tmp_path):
    site = live_site("waf_all")
    with OfflineServer(site) as server:
        result = run_crawl(
            tmp_path, server.url, "-q", "-s", "KOMPAS_CHALLENGE_BACKOFF=0.05", timeout=120
        )
    assert result.returncode == EXIT_BLOCKED, result.stderr
    assert "blocked" in result.stderr
    assert query(tmp_path / "kompas.db", "SELECT count(*) FROM articles") == [(0,)]


def test_the_demo_site_with_2026_days_stores_exact_people(tmp_path):
    site = demo_site(with_2026=True)
    with OfflineServer(site) as server:
        result = run_crawl(tmp_path, server.url, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    for spec in site.expected_articles():
        article = stored(tmp_path / "kompas.db", spec)
        if spec.era == "2026":
            assert (article.writers, article.editors) == expected_people(spec), spec.url


def test_a_crawl_opens_no_listener(live_crawl):
    # Cron needs neither Scrapy's telnet console nor its remote-control HTTP port.
    _, database, _, _ = live_crawl
    log = next((database.parent / "data" / "logs").glob("crawl-*.log")).read_text("utf-8")
    assert "Telnet console listening" not in log
    assert "Remote control HTTP server listening" not in log
    assert "Crawl run 1 started" in log
