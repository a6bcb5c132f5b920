"""The kompas_global spider's decisions, on pages of the offline site (no network, no reactor)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from datetime import date

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from kompas_crawler.errors import ConfigError
from kompas_crawler.items import Article
from kompas_crawler.offline import OfflineSite, demo_site
from kompas_crawler.pages.listing import Listing, parse_listing
from kompas_crawler.pipelines.store import archive_engine
from kompas_crawler.spiders.kompas_global import (
    KompasGlobalSpider,
    day_range,
    parse_max_pages,
)
from kompas_crawler.storage.runs import BACKFILL, start_run
from kompas_crawler.urls import index_url, whole_article_url

TODAY = date(2024, 6, 13)


@pytest.fixture(scope="module")
def site() -> OfflineSite:
    return demo_site()


@pytest.fixture(scope="module", autouse=True)
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """An empty archive for the spider's lookups (stored articles, complete days)."""
    global DATABASE_URL
    DATABASE_URL = f"sqlite:///{tmp_path_factory.mktemp('archive') / 'archive.db'}"
    yield


DATABASE_URL = ""


def make_spider(**arguments: str) -> KompasGlobalSpider:
    crawler = get_crawler(KompasGlobalSpider, settings_dict={"KOMPAS_DATABASE_URL": DATABASE_URL})
    spider = KompasGlobalSpider.from_crawler(crawler, **arguments)
    crawler.spider = spider
    assert crawler.stats is not None
    crawler.stats.open_spider()
    return spider


def page(site: OfflineSite, url: str, request: Request | None = None) -> HtmlResponse:
    """The site's page for ``url`` as a downloaded response."""
    reply = site.reply(url)
    assert reply.status == 200, url
    return HtmlResponse(url, body=reply.body, encoding="utf-8", request=request or Request(url))


def start_requests(spider: KompasGlobalSpider) -> list[Request]:
    async def collect() -> list[Request]:
        return [request async for request in spider.start()]

    return asyncio.run(collect())


def requests(results: Iterable[object]) -> list[Request]:
    return [result for result in results if isinstance(result, Request)]


# -- arguments ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (None, None, None),
        ("2022-01-26", "2022-01-27", [date(2022, 1, 26), date(2022, 1, 27)]),
        ("2024-02-28", "2024-03-01", [date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1)]),
        ("2024-06-12", None, [date(2024, 6, 12), date(2024, 6, 13)]),  # until today
        (" 2022-01-27 ", "2022-01-27", [date(2022, 1, 27)]),
    ],
)
def test_day_range(start: str | None, end: str | None, days: list[date] | None) -> None:
    assert day_range(start, end, today=TODAY) == days


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2022-13-01", "2022-12-31", "start_date='2022-13-01' is not a date"),
        ("2022-02-30", "2022-03-01", "start_date='2022-02-30' is not a date"),
        ("2022-01-01", "27/01/2022", "end_date='27/01/2022' is not a date"),
        ("20220101", "2022-01-02", "start_date='20220101' is not a date"),
        ("2022-01-27", "2022-01-26", "end_date=2022-01-26 is before start_date=2022-01-27"),
        (None, "2022-01-26", "end_date needs start_date"),
    ],
)
def test_bad_day_range(start: str | None, end: str | None, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        day_range(start, end, today=TODAY)


@pytest.mark.parametrize(("value", "pages"), [(None, None), ("", None), ("1", 1), (" 12 ", 12)])
def test_max_pages(value: str | None, pages: int | None) -> None:
    assert parse_max_pages(value) == pages


@pytest.mark.parametrize("value", ["abc", "0", "-2", "1.5"])
def test_bad_max_pages(value: str) -> None:
    with pytest.raises(ConfigError, match="max_pages"):
        parse_max_pages(value)


def test_bad_argument_fails_spider_creation() -> None:
    with pytest.raises(ConfigError, match="start_date"):
        make_spider(start_date="2022-13-01")


# -- where the walk starts ---------------------------------------------------------------------


def test_default_run_starts_at_the_newest_index() -> None:
    (request,) = start_requests(make_spider())
    assert request.url == "https://indeks.kompas.com/?site=global"
    assert request.callback.__name__ == "parse_listing"  # type: ignore[union-attr]
    assert request.cb_kwargs == {"day": None, "page": 1}


def test_backfill_starts_at_each_day_of_the_range() -> None:
    spider = make_spider(start_date="2022-01-26", end_date="2022-01-28")
    run_id, _ = start_run(archive_engine(spider.crawler), spider.name, {}, kind=BACKFILL)
    spider.crawler.stats.set_value("kompas/run/id", run_id)  # type: ignore[union-attr]
    urls = [request.url for request in start_requests(spider)]
    assert spider.backfill is not None
    spider.backfill.stop()
    assert urls == [
        "https://indeks.kompas.com/?site=global&date=2022-01-26",
        "https://indeks.kompas.com/?site=global&date=2022-01-27",
        "https://indeks.kompas.com/?site=global&date=2022-01-28",
    ]


# -- index pages -------------------------------------------------------------------------------


@pytest.mark.parametrize("day", [None, date(2022, 1, 27), date(2024, 6, 13)])
def test_listing_page_follows_its_articles_and_the_next_page(
    site: OfflineSite, day: date | None
) -> None:
    spider = make_spider()
    results = requests(spider.parse_listing(page(site, index_url(day)), day=day, page=1))
    articles = [r for r in results if r.callback.__name__ == "parse_article"]  # type: ignore[union-attr]
    listings = [r for r in results if r.callback.__name__ == "parse_listing"]  # type: ignore[union-attr]
    expected = {spec.url for spec in site.expected_articles([day] if day else None, max_pages=1)}
    broken = {spec.url for spec in site.broken_articles()}
    assert {r.url for r in articles} - broken == expected
    assert all(r.cb_kwargs["canonical"] == r.url for r in articles)
    (following,) = listings
    assert following.url == index_url(day, 2)
    assert following.cb_kwargs == {"day": day, "page": 2}
    assert following.priority > articles[0].priority  # the walk stays ahead of the articles


def test_each_article_is_followed_once(site: OfflineSite) -> None:
    spider = make_spider()
    results: list[Request] = []
    for day in (date(2022, 1, 26), date(2022, 1, 27)):
        for number in (1, 2):
            response = page(site, index_url(day, number))
            results += requests(spider.parse_listing(response, day=day, page=number))
    urls = [r.url for r in results if r.callback.__name__ == "parse_article"]  # type: ignore[union-attr]
    assert len(urls) == len(set(urls)) == 10
    assert not [url for url in urls if "amp." in url or "?" in url]
    assert spider.crawler.stats.get_value("kompas/listing/repeated") == 1  # type: ignore[union-attr]


def test_non_global_articles_are_not_followed(site: OfflineSite) -> None:
    spider = make_spider()
    day = date(2022, 1, 26)
    urls = [
        r.url for r in requests(spider.parse_listing(page(site, index_url(day)), day=day, page=1))
    ]
    assert not [url for url in urls if "nasional.kompas.com" in url]
    assert all(
        url.startswith(("https://www.kompas.com/global/", "https://indeks.")) for url in urls
    )


def test_last_page_of_a_listing_ends_the_walk(site: OfflineSite) -> None:
    spider = make_spider()
    day = date(2022, 1, 27)
    results = requests(spider.parse_listing(page(site, index_url(day, 2)), day=day, page=2))
    assert [r for r in results if r.callback.__name__ == "parse_listing"] == []  # type: ignore[union-attr]


def test_max_pages_stops_the_walk(site: OfflineSite) -> None:
    spider = make_spider(max_pages="2")
    assert not spider.should_follow_next_page(_listing(site, None, 2), day=None, page=2)
    assert spider.should_follow_next_page(_listing(site, None, 1), day=None, page=1)


def _listing(site: OfflineSite, day: date | None, number: int) -> Listing:
    return parse_listing(page(site, index_url(day, number)))


# -- articles ----------------------------------------------------------------------------------


def test_article_page_yields_the_article_under_its_canonical_url(site: OfflineSite) -> None:
    spec = site.expected_articles()[0]
    spider = make_spider()
    (article,) = spider.parse_article(page(site, spec.url), canonical=spec.url)
    assert isinstance(article, Article)
    assert article.url == spec.url
    assert article.title == spec.title
    assert article.body == spec.body
    assert article.fetched_at is not None


def test_multi_page_article_asks_for_the_whole_text(site: OfflineSite) -> None:
    (spec,) = [spec for spec in site.articles.values() if spec.pages > 1]
    spider = make_spider()
    (request,) = spider.parse_article(page(site, spec.url), canonical=spec.url)
    assert isinstance(request, Request)
    assert request.url == whole_article_url(spec.url) == spec.url + "?page=all"
    assert request.cb_kwargs == {"canonical": spec.url}
    (article,) = spider.parse_article(page(site, request.url), canonical=spec.url)
    assert isinstance(article, Article)
    assert article.url == spec.url
    assert article.body == spec.body


def test_canonical_url_is_used_when_the_page_names_another_article() -> None:
    ours = "https://www.kompas.com/global/read/2022/01/27/210600070/as-tolak"
    other = Article(url="https://www.kompas.com/global/read/2020/01/01/100000070/lain")
    assert KompasGlobalSpider.with_canonical_url(other, ours).url == ours
    renamed = Article(url="https://www.kompas.com/global/read/2022/01/27/210600070/judul-baru")
    assert KompasGlobalSpider.with_canonical_url(renamed, ours).url == renamed.url
    assert KompasGlobalSpider.with_canonical_url(Article(), ours).article_id == "20220127-210600070"
