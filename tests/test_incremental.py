"""Scheduled runs cost only what is new: the real spider, run by `kompas-crawler crawl`, against
the offline site."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from kompas_crawler.incremental import DayWalks, NewestWalk, WalkTrust, walk_trust
from kompas_crawler.offline import OfflineServer, Reply
from kompas_crawler.storage.runs import PastRun
from tests.crawling import (
    archive_snapshot,
    edited,
    last_run,
    old_site,
    query,
    recent_site,
    run_crawl,
    table_counts,
    with_new_articles,
)

SITE = old_site(40)  # 2024-06-27..30, 10 articles a day, 4 newest-first pages of 10
LAST_DAY = date(2024, 6, 30)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive after one clean full run of SITE."""
    folder = tmp_path_factory.mktemp("crawled")
    with OfflineServer(SITE) as server:
        result = run_crawl(folder, server.url)
    assert result.returncode == 0, result.stderr
    return folder / "kompas.db"


def copy_archive(source: Path, folder: Path) -> Path:
    target = folder / "kompas.db"
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


def listing_hits(server: OfflineServer) -> list[str]:
    return [hit.url for hit in server.hits if "indeks.kompas.com/?" in hit.url]


# -- decisions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overlap", "pages", "walked"),
    [
        (1, [True, True, True, True], 2),
        (0, [True, True, True], 1),
        (1, [False, True, False, True, True, True], 5),
        (2, [True, True, True, True, True], 3),
    ],
)
def test_the_walk_stops_overlap_pages_after_a_page_of_stored_articles(
    overlap: int, pages: list[bool], walked: int
) -> None:
    walk = NewestWalk(overlap=overlap, trusted=True)
    count = 0
    for all_stored in pages:
        count += 1
        if not walk.keep_walking(all_stored):
            break
    assert count == walked


def test_an_untrusted_walk_never_stops_early() -> None:
    walk = NewestWalk(overlap=1, trusted=False)
    assert all(walk.keep_walking(True) for _ in range(10))


def _run(
    status: str, reason: str, stats: dict[str, object], hour: int = 0, **spider: str
) -> PastRun:
    arguments = {"spider": spider, "settings": {}}
    return PastRun(1, status, reason, arguments, stats, datetime(2024, 7, 1, hour))


CLEAN = {"kompas/index/walk_complete": 1}
AT = datetime(2024, 7, 1, 0)
UNTRUSTED = WalkTrust(trusted=False)


@pytest.mark.parametrize(
    ("runs", "trust"),
    [
        ([], UNTRUSTED),
        ([_run("ok", "finished", CLEAN)], WalkTrust(True)),
        (
            [_run("failed", "died", {}, hour=2), _run("ok", "finished", CLEAN, hour=1)],
            WalkTrust(True, datetime(2024, 7, 1, 2)),
        ),
        (  # two unclean runs since the clean one: the earliest bounds what counts
            [
                _run("failed", "died", {}, hour=3),
                _run("ok", "finished", {**CLEAN, "log_count/ERROR": 2}, hour=2),
                _run("ok", "finished", CLEAN, hour=1),
            ],
            WalkTrust(True, datetime(2024, 7, 1, 2)),
        ),
        ([_run("ok", "finished", {**CLEAN, "log_count/ERROR": 2})], UNTRUSTED),
        ([_run("ok", "finished", {})], UNTRUSTED),  # stopped by max_pages: walk not complete
        ([_run("failed", "shutdown", CLEAN)], UNTRUSTED),
        (
            [_run("ok", "finished", {}, start_date="2024-01-01"), _run("ok", "finished", CLEAN)],
            WalkTrust(True),
        ),
        ([_run("locked", "locked", {}), _run("ok", "finished", CLEAN)], WalkTrust(True)),
    ],
)
def test_stored_articles_stop_the_walk_only_when_a_clean_run_stored_them(
    runs: list[PastRun], trust: WalkTrust
) -> None:
    assert walk_trust(runs) == trust


def test_a_day_is_complete_when_walked_to_its_end_with_every_article_settled() -> None:
    walks = DayWalks()
    day1, day2, day3 = date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)
    walks.page_walked(day1, 1, ["a", "b"], last=False)
    walks.page_walked(day1, 2, ["c"], last=True)
    walks.page_walked(day2, 1, ["d", "e"], last=True)
    walks.page_walked(day3, 2, ["f"], last=True)  # resumed: page 1 was walked by another run
    assert walks.complete(stored={"a", "b", "d"}, dropped={"c"}) == {day1: 2}


# -- real runs ------------------------------------------------------------------------------------


def test_a_run_with_nothing_new_makes_three_requests_and_writes_only_its_run_record(
    crawled: Path, tmp_path: Path
) -> None:
    database = copy_archive(crawled, tmp_path)
    before, snapshot = table_counts(database), archive_snapshot(database)
    seen = query(database, "SELECT url, last_seen_at FROM articles ORDER BY url")
    with OfflineServer(SITE) as server:
        result = run_crawl(tmp_path, server.url)
        hits = [hit.url for hit in server.hits]
    assert result.returncode == 0, result.stderr
    assert hits == [
        "https://indeks.kompas.com/robots.txt",
        "https://indeks.kompas.com/?site=global",
        "https://indeks.kompas.com/?site=global&page=2",
    ]
    # The two index pages, fetched again unchanged, are kept as two revisit captures.
    assert table_counts(database) == {
        **before,
        "crawl_runs": before["crawl_runs"] + 1,
        "captures": before["captures"] + 2,
    }
    assert archive_snapshot(database) == snapshot
    assert query(database, "SELECT url, last_seen_at FROM articles ORDER BY url") == seen
    run = last_run(database)
    assert (run["status"], run["requests"], run["articles_new"]) == ("ok", 3, 0)


def test_overlap_zero_stops_at_the_first_page_of_stored_articles(
    crawled: Path, tmp_path: Path
) -> None:
    copy_archive(crawled, tmp_path)
    with OfflineServer(SITE) as server:
        result = run_crawl(tmp_path, server.url, "-s", "KOMPAS_INDEX_OVERLAP_PAGES=0")
        assert listing_hits(server) == ["https://indeks.kompas.com/?site=global"]
    assert result.returncode == 0, result.stderr


def test_new_articles_are_stored_and_the_walk_stops_past_them(
    crawled: Path, tmp_path: Path
) -> None:
    database = copy_archive(crawled, tmp_path)
    site = with_new_articles(SITE, 3, LAST_DAY + timedelta(days=1))
    with OfflineServer(site) as server:
        result = run_crawl(tmp_path, server.url)
        pages = listing_hits(server)
        articles = [hit.url for hit in server.hits if "/global/read/" in hit.url]
    assert result.returncode == 0, result.stderr
    # Page 1 holds the 3 new ones; pages 2 and 3 only stored ones (items shifted down by 3).
    assert len(pages) == 3
    assert len(articles) == 3
    assert last_run(database)["articles_new"] == 3
    assert query(database, "SELECT count(*) FROM articles") == [(43,)]


def test_after_an_unclean_run_the_walk_goes_back_past_what_it_stored(
    crawled: Path, tmp_path: Path
) -> None:
    database = copy_archive(crawled, tmp_path)
    # 25 new articles: pages 1-2 all new, page 3 the last 5 new and 5 stored, pages 4-7 stored.
    site = with_new_articles(SITE, 25, LAST_DAY + timedelta(days=1))
    failing = [entry.article.url for entry in site.days[LAST_DAY + timedelta(days=1)][21:23]]
    with OfflineServer(site) as server:
        for url in failing:
            server.site.script(url, Reply.html("down", status=500))
        unclean = run_crawl(tmp_path, server.url)
        assert query(database, "SELECT count(*) FROM articles") == [(63,)]
        # The two are remembered, to be tried again in an hour: say the hour has passed.
        assert query(database, "SELECT reason, tries FROM dropped_articles") == [
            ("http_500", 1),
            ("http_500", 1),
        ]
        with sqlite3.connect(database) as connection:
            connection.execute("UPDATE dropped_articles SET next_try = '2000-01-01 00:00:00'")
        server.site.unscript()
        server.clear_hits()
        recovery = run_crawl(tmp_path, server.url)
        pages = listing_hits(server)
        articles = [hit.url for hit in server.hits if "/global/read/" in hit.url]
    assert unclean.returncode == 0, unclean.stderr  # articles stored, but errors: not clean
    assert recovery.returncode == 0, recovery.stderr
    # Pages 1-2 hold only articles the unclean run stored, which prove nothing about older
    # ones; the walk goes on to page 3 (missing two), page 4 (stored before) and one overlap.
    assert len(pages) == 5
    assert sorted(articles) == sorted(failing)
    assert query(database, "SELECT count(*) FROM articles") == [(65,)]
    assert query(database, "SELECT count(*) FROM dropped_articles") == [(0,)]  # stored: forgotten


def test_a_run_stopped_early_is_followed_by_a_walk_that_stops_at_older_articles(
    crawled: Path, tmp_path: Path
) -> None:
    copy_archive(crawled, tmp_path)
    with OfflineServer(SITE) as server:
        stopped = run_crawl(tmp_path, server.url, "-s", "CLOSESPIDER_PAGECOUNT=1")
        server.clear_hits()
        again = run_crawl(tmp_path, server.url)
        pages = listing_hits(server)
    assert stopped.returncode == 1
    assert again.returncode == 0, again.stderr
    assert len(pages) == 2  # the stopped run stored nothing: stored pages still prove the rest


def test_backfill_marks_complete_days_and_skips_them_unless_refreshing(tmp_path: Path) -> None:
    database = tmp_path / "kompas.db"
    backfill = ["-a", "start_date=2024-06-28", "-a", "end_date=2024-06-30"]
    missing = SITE.days[date(2024, 6, 29)][4].article.url
    with OfflineServer(SITE) as server:
        server.site.script(missing, Reply.html("gone", status=404))
        first = run_crawl(tmp_path, server.url, *backfill)
        # 06-29 lacks an article (404): walked, but not complete.
        assert query(database, "SELECT day, article_count FROM index_days ORDER BY day") == [
            ("2024-06-28", 10),
            ("2024-06-30", 10),
        ]
        # The 404 is tried again an hour later (storage.dropped): say the hour has passed.
        with sqlite3.connect(database) as connection:
            connection.execute("UPDATE dropped_articles SET next_try = '2000-01-01 00:00:00'")
        server.site.unscript()
        server.clear_hits()
        second = run_crawl(tmp_path, server.url, *backfill)
        assert listing_hits(server) == ["https://indeks.kompas.com/?site=global&date=2024-06-29"]
        assert [h.url for h in server.hits if "/read/" in h.url] == [missing]
        server.clear_hits()
        third = run_crawl(tmp_path, server.url, *backfill)
        assert server.hits == []  # every day complete: nothing to ask the site
        server.clear_hits()
        refresh = run_crawl(tmp_path, server.url, *backfill, "-a", "refresh=1")
        assert len(listing_hits(server)) == 3
    assert [r.returncode for r in (first, second, third, refresh)] == [0, 0, 0, 0], refresh.stderr
    assert len(query(database, "SELECT day FROM index_days")) == 3
    run = last_run(database)
    assert (run["articles_new"], run["articles_unchanged"]) == (0, 30)


def test_recent_articles_are_revisited_and_an_edit_keeps_the_first_version(
    tmp_path: Path,
) -> None:
    database = tmp_path / "kompas.db"
    site = recent_site(6)
    target = next(iter(site.articles.values()))
    with OfflineServer(site) as server:
        first = run_crawl(tmp_path, server.url)
    changed = edited(site, target.url, title="Judul Diperbaiki", paragraphs=target.paragraphs[:-1])
    with OfflineServer(changed) as server:
        second = run_crawl(tmp_path, server.url)
        fetched = {hit.url for hit in server.hits if "/read/" in hit.url}
    assert (first.returncode, second.returncode) == (0, 0), second.stderr
    assert fetched == set(site.articles)  # every recent article fetched again
    run = last_run(database)
    assert (run["articles_new"], run["articles_updated"], run["articles_unchanged"]) == (0, 1, 5)
    assert query(database, "SELECT title FROM articles WHERE url = ?", target.url) == [
        ("Judul Diperbaiki",)
    ]
    assert query(database, "SELECT title FROM article_revisions") == [(target.title,)]


def test_a_revisit_interval_spares_articles_fetched_recently(tmp_path: Path) -> None:
    site = recent_site(6)
    with OfflineServer(site) as server:
        first = run_crawl(tmp_path, server.url)
        server.clear_hits()
        spared = run_crawl(tmp_path, server.url, "-s", "KOMPAS_REVISIT_INTERVAL_MINUTES=60")
        spared_hits = [hit.url for hit in server.hits if "/read/" in hit.url]
        server.clear_hits()
        due = run_crawl(tmp_path, server.url, "-s", "KOMPAS_REVISIT_INTERVAL_MINUTES=0.0001")
        due_hits = {hit.url for hit in server.hits if "/read/" in hit.url}
    assert (first.returncode, spared.returncode, due.returncode) == (0, 0, 0), due.stderr
    assert spared_hits == []  # all fetched by the first run, less than an hour ago
    assert due_hits == set(site.articles)
