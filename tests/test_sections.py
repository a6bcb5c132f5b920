"""Other sections (``-a site=news|hype|all``): the spider argument, and real crawls of the offline
site's other indexes by ``kompas-crawler crawl``, alone and sharing an archive with Global's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert

from kompas_crawler.archive import Archive
from kompas_crawler.errors import ConfigError
from kompas_crawler.offline import OfflineServer, demo_site
from kompas_crawler.spiders.kompas_global import KompasGlobalSpider
from kompas_crawler.storage.database import open_archive
from kompas_crawler.storage.runs import recent_runs, runs
from kompas_crawler.urls import is_global_article_url
from tests.crawling import last_run, query, run_crawl

SITE = demo_site(with_sections=True)
HYPE_DAY = date(2024, 6, 13)


@pytest.fixture(scope="module")
def server() -> Iterator[OfflineServer]:
    with OfflineServer(SITE) as running:
        yield running


def crawl(folder: Path, server: OfflineServer, *arguments: str) -> Path:
    result = run_crawl(folder, server.url, *arguments)
    assert result.returncode == 0, result.stderr[-3000:]
    return folder / "kompas.db"


def crawl_log(folder: Path, server: OfflineServer, *arguments: str) -> str:
    """The log of a crawl that ended ok (its path is on the command's last line)."""
    result = run_crawl(folder, server.url, *arguments)
    assert result.returncode == 0, result.stderr[-3000:]
    return Path(folder, result.stdout.rsplit("log: ", 1)[1].strip()).read_text()


def stored(database: Path) -> dict[str, tuple[str | None, str | None]]:
    rows = query(database, "SELECT url, section, subsection FROM articles ORDER BY url")
    return {url: (section, subsection) for url, section, subsection in rows}


def expected(site: str, days: list[date] | None = None) -> dict[str, tuple[str | None, str | None]]:
    specs = SITE.expected_articles(days, site=site)
    return {spec.url: (spec.section, spec.subsection) for spec in specs}


def index_hits(server: OfflineServer) -> list[str]:
    return [hit.url for hit in server.hits if "indeks.kompas.com/?" in hit.url]


@pytest.mark.parametrize(("value", "site"), [(None, "global"), ("news", "news"), ("all", "all")])
def test_the_site_argument(value: str | None, site: str) -> None:
    spider = KompasGlobalSpider(site=value) if value else KompasGlobalSpider()
    assert spider.site == site
    assert spider.index_url(None) == f"https://indeks.kompas.com/?site={site}"


def test_a_bad_site_is_refused_in_one_line() -> None:
    with pytest.raises(ConfigError, match=r"^spider argument site='Berita Nasional' is not an"):
        KompasGlobalSpider(site="Berita Nasional")


def test_the_offline_site_serves_other_sections_with_their_hosts() -> None:
    news = expected("news")
    hosts = {url.split("/")[2] for url in news}
    assert hosts == {
        "nasional.kompas.com",
        "regional.kompas.com",
        "megapolitan.kompas.com",
        "www.kompas.com",  # a Global article, listed by News too
    }
    assert set(expected("all")) == set(news) | set(expected("global")) | set(expected("hype"))
    assert any(url.startswith("https://www.kompas.com/hype/read/") for url in expected("hype"))


def test_a_news_crawl_stores_exactly_the_news_articles(
    tmp_path: Path, server: OfflineServer
) -> None:
    server.clear_hits()
    database = crawl(tmp_path, server, "-a", "site=news")
    assert stored(database) == expected("news")
    # The AMP URL listed for the Megapolitan article is stored under the article's own host.
    assert any(url.startswith("https://megapolitan.kompas.com/read/") for url in stored(database))
    assert index_hits(server) and all("site=news" in url for url in index_hits(server))
    assert not any("/hype/" in hit.url for hit in server.hits)
    assert last_run(database)["arguments"].count('"site": "news"') == 1


def test_a_default_crawl_stores_only_global_articles(tmp_path: Path, server: OfflineServer) -> None:
    server.clear_hits()
    database = crawl(tmp_path, server)
    assert stored(database) == expected("global")
    assert all(is_global_article_url(url) for url in stored(database))
    # The Global index lists a Nasional and a Hype article: never fetched.
    assert not any("nasional.kompas.com/read" in hit.url for hit in server.hits)
    assert all("site=global" in url for url in index_hits(server))


def test_sections_share_an_archive_each_with_its_own_history(
    tmp_path: Path, server: OfflineServer
) -> None:
    database = crawl(tmp_path, server)
    untrusted = "No run has walked the index cleanly yet"
    # A clean Global run proves nothing about News's index: its first run walks all of it.
    assert untrusted in crawl_log(tmp_path, server, "-a", "site=news")
    assert untrusted not in crawl_log(tmp_path, server)  # while Global's next one may stop early
    both = {**expected("global"), **expected("news")}
    assert stored(database) == both  # the Global article News lists too is stored once
    engine = create_engine(f"sqlite:///{database}")
    try:
        news_runs = recent_runs(engine, "kompas_global", site="news")
        global_runs = recent_runs(engine, "kompas_global", site="global")
    finally:
        engine.dispose()
    # A run without -a site (every run before sections) is Global's; News's history is its own.
    assert [run.arguments["spider"].get("site") for run in news_runs] == ["news"]
    assert [run.arguments["spider"].get("site") for run in global_runs] == [None, None]


def test_site_all_stores_every_section_and_every_filter_reads_across_them(
    tmp_path: Path, server: OfflineServer
) -> None:
    database = crawl(tmp_path, server, "-a", "site=all")
    assert stored(database) == expected("all")
    specs = SITE.expected_articles(site="all")
    with Archive(f"sqlite:///{database}") as archive:
        for name in ("Global", "News", "Nasional", "Megapolitan", "Hype"):
            wanted = [s for s in specs if name in (s.section, s.subsection)]
            assert wanted and archive.count(section=name) == len(wanted)
        writer = specs[0].writers[0]
        assert archive.count(writer=writer) == sum(writer in s.writers for s in specs)
        jan26 = [s for s in specs if s.day.isoformat() == "2022-01-26"]
        assert archive.count(since="2022-01-26", until="2022-01-26") == len(jan26)


def test_a_backfill_of_another_section_completes_its_days_not_globals(
    tmp_path: Path, server: OfflineServer
) -> None:
    server.clear_hits()
    days = ["-a", "start_date=2024-06-13", "-a", "end_date=2024-06-13"]
    database = crawl(tmp_path, server, "-a", "site=hype", *days)
    assert stored(database) == expected("hype", [HYPE_DAY])
    assert len(stored(database)) == 2
    assert "https://indeks.kompas.com/?site=hype&date=2024-06-13" in index_hits(server)
    # index_days is kept per site: the Hype day is complete for Hype, not for Global.
    complete = "SELECT site, day FROM index_days ORDER BY site"
    assert query(database, complete) == [("hype", "2024-06-13")]
    crawl(tmp_path, server, *days)
    assert query(database, complete) == [("global", "2024-06-13"), ("hype", "2024-06-13")]


# Run records as the crawl writes them: its -a arguments under "spider"; older rows had no site.
PAST_ARGUMENTS = [
    {"spider": {}},
    {"spider": {"site": "news", "max_pages": "2"}},
    {"spider": {"start_date": "2024-06-13"}},
    {"spider": {"site": "global"}},
    {"max_pages": "2"},  # the oldest records: arguments not yet under "spider"
    {"spider": {"site": "news"}},
]


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_past_runs_are_read_per_site(
    dialect: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if dialect == "sqlite":
        url = f"sqlite:///{tmp_path / 'kompas.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = open_archive(url)
    try:
        with engine.begin() as connection:
            for arguments in PAST_ARGUMENTS:
                row = {"spider": "kompas_global", "arguments": arguments, "status": "ok"}
                connection.execute(insert(runs).values(**row, started_at=datetime(2024, 6, 13)))
        sites = {
            site: [run.arguments for run in recent_runs(engine, "kompas_global", site=site)]
            for site in ("global", "news", "hype")
        }
    finally:
        engine.dispose()
    newest_first = PAST_ARGUMENTS[::-1]
    assert sites["news"] == [a for a in newest_first if a.get("spider", {}).get("site") == "news"]
    assert sites["global"] == [
        a for a in newest_first if a.get("spider", {}).get("site", "global") == "global"
    ]
    assert sites["hype"] == []
