"""parse_listing on indeks pages in both markups and on the real 2017 home page."""

from __future__ import annotations

import json

import pytest
from scrapy.http import HtmlResponse

from kompas_crawler.pages.listing import Listing, is_listing_page, parse_listing
from tests.conftest import FIXTURES, get_testdata, load_response, shared_page

LISTING_FIXTURES = sorted(path.name for path in FIXTURES.glob("listing_*.html"))


def fixture_url(name: str) -> str:
    return json.loads(get_testdata("urls.json"))[name]


def expected_output(name: str) -> dict:
    return json.loads(get_testdata(name.replace(".html", ".expected.json")))


@pytest.mark.parametrize("name", LISTING_FIXTURES)
@pytest.mark.parametrize("field", ["article_urls", "next_page_url"])
def test_fixture_field(name, field):
    listing = parse_listing(load_response(name, fixture_url(name)))
    assert getattr(listing, field) == expected_output(name)[field]


@pytest.mark.parametrize(
    ("name", "expected_count", "expected_next"),
    [
        (
            "listing_2021-06-10_indeks-old-middle.html",
            4,
            "https://indeks.kompas.com/?site=global&date=2021-06-10&page=3",
        ),
        ("listing_2021-06-10_indeks-old-last.html", 2, None),
        ("listing_2021-06-11_indeks-old-empty.html", 0, None),
        (
            "listing_2024-12-26_indeks-new-middle.html",
            3,
            "https://indeks.kompas.com/?site=global&date=2024-12-26&page=2",
        ),
        ("listing_2024-12-26_indeks-new-last.html", 1, None),
        ("listing_2024-12-27_indeks-new-empty.html", 0, None),
    ],
)
def test_paging_and_counts(name, expected_count, expected_next):
    listing = parse_listing(load_response(name, fixture_url(name)))
    assert (len(listing.article_urls), listing.next_page_url) == (expected_count, expected_next)


def test_relative_next_link_is_resolved_against_the_real_url():
    # The mirror serves the page, but response.url is the kompas.com address.
    name = "listing_2021-06-10_indeks-old-middle.html"
    listing = parse_listing(load_response(name, fixture_url(name)))
    assert listing.next_page_url.startswith("https://indeks.kompas.com/?")


def test_urls_are_canonical_global_and_unique():
    name = "listing_2024-12-26_indeks-new-middle.html"
    urls = parse_listing(load_response(name, fixture_url(name))).article_urls
    assert len(set(urls)) == len(urls)
    assert all(url.startswith("https://www.kompas.com/global/read/") for url in urls)
    assert all("?" not in url and "#" not in url for url in urls)


def test_real_2017_home_page_gives_its_four_internasional_articles():
    response = load_response(shared_page("homepage_2017-09-17.html"), "https://www.kompas.com/")
    assert parse_listing(response) == Listing(
        article_urls=[
            "https://internasional.kompas.com/read/2017/09/17/11023931/china-luncurkan-jasa-boneka-seks-berbagi",
            "https://internasional.kompas.com/read/2017/09/17/07325221/perempuan-ini-tusuk-pacarnya-yang-kedapatan-bugil-di-atas-putrinya",
            "https://internasional.kompas.com/read/2017/09/17/10231201/demokrasi-telah-mati-di-singapura-hingga-saya-tentang-pilpres-2017",
            "https://internasional.kompas.com/read/2017/09/17/15170361/kemaluan-terjepit-di-piringan-gym-pemadam-kebakaran-turun-tangan",
        ],
        next_page_url=None,
        layout="2017-2024",
        other_sections=25,  # Nasional, Megapolitan, Ekonomi, Bola... articles, skipped
    )


@pytest.mark.parametrize("name", LISTING_FIXTURES)
def test_listing_fixtures_are_listing_pages(name):
    assert is_listing_page(load_response(name, fixture_url(name)))


@pytest.mark.parametrize("body", [b"", b"<html", b"\x00\xff", b"<p>no listing here</p>"])
def test_bad_html_gives_an_empty_listing(body):
    url = "https://indeks.kompas.com/?site=global"
    assert parse_listing(HtmlResponse(url=url, body=body, encoding="utf-8")) == Listing()


def test_odd_paging_numbers_and_broken_links_are_skipped_and_counted():
    url = "https://indeks.kompas.com/?site=global&date=2026-05-04"
    body = (
        b"<html><body><div class='articleItem'><a class='article-link' href='http://[zz]/x'>"
        b"</a><a class='article-link' href='https://www.kompas.com/global/read/2026/05/04/"
        b"093000870/gempa'>Gempa</a></div><div class='paging__wrap'><div class='paging__item'>"
        b"<a class='paging__link paging__link--next' data-ci-pagination-page='\xc2\xb2' "
        b"href='?site=global&amp;date=2026-05-04&amp;page=2'>Next</a></div></div></body></html>"
    )
    listing = parse_listing(HtmlResponse(url=url, body=body, encoding="utf-8"))
    assert listing.article_urls == ["https://www.kompas.com/global/read/2026/05/04/093000870/gempa"]
    assert listing.next_page_url == "https://indeks.kompas.com/?site=global&date=2026-05-04&page=2"
    assert listing.bad_links == 1


def test_unknown_markup_without_articles_has_no_next_page():
    url = "https://indeks.kompas.com/?site=global&date=2026-05-04&page=9"
    body = b"<html><body><div class='feed-x'><p>Tidak ada berita.</p></div></body></html>"
    assert parse_listing(HtmlResponse(url=url, body=body, encoding="utf-8")) == Listing()


def test_page_n_plus_one_is_built_only_on_indeks_pages():
    body = (
        b"<html><body><a href='https://www.kompas.com/global/read/2026/05/04/093000870/g'>G</a>"
        b"</body></html>"
    )
    section = parse_listing(
        HtmlResponse(url="https://www.kompas.com/global", body=body, encoding="utf-8")
    )
    assert section.next_page_url is None
    indeks = parse_listing(
        HtmlResponse(url="https://indeks.kompas.com/?site=global", body=body, encoding="utf-8")
    )
    assert indeks.next_page_url == "https://indeks.kompas.com/?site=global&page=2"


# How many distinct articles of each section the real 2017 home page links to.
HOME_2017_SECTIONS = {
    "global": {"internasional.kompas.com": 4},
    "nasional": {"nasional.kompas.com": 7},
    "money": {"ekonomi.kompas.com": 4},
    "news": {
        "nasional.kompas.com": 7,
        "regional.kompas.com": 4,
        "megapolitan.kompas.com": 5,
        "internasional.kompas.com": 4,
    },
    "hype": {},
}


@pytest.mark.parametrize(("site", "hosts"), HOME_2017_SECTIONS.items())
def test_real_2017_home_page_per_site(site: str, hosts: dict[str, int]) -> None:
    response = load_response(shared_page("homepage_2017-09-17.html"), "https://www.kompas.com/")
    listing = parse_listing(response, site)
    found: dict[str, int] = {}
    for url in listing.article_urls:
        host = url.split("/")[2]
        found[host] = found.get(host, 0) + 1
    assert found == hosts
    assert len(listing.article_urls) + listing.other_sections == 29


def test_real_2017_home_page_site_all_keeps_every_kompas_article_once() -> None:
    response = load_response(shared_page("homepage_2017-09-17.html"), "https://www.kompas.com/")
    listing = parse_listing(response, "all")
    assert len(listing.article_urls) == 29 and listing.other_sections == 0
    # Canonical on their own hosts; the photo gallery (foto.kompas.com/photo/read) is no article.
    assert (
        "https://bola.kompas.com/read/2017/09/17/08575258/jadwal-indonesia-vs-myanmar-timnas-u-19-siap-rebut-posisi-ketiga"
        in listing.article_urls
    )
    assert all(
        url.startswith("https://") and ".kompas.com/read/" in url for url in listing.article_urls
    )
    assert not any("foto.kompas.com" in url for url in listing.article_urls)


def test_a_news_listing_keeps_news_links_of_any_form_and_skips_the_rest() -> None:
    links = [
        "https://amp.kompas.com/megapolitan/read/2022/01/26/10150070/banjir?utm_source=x",
        "//nasional.kompas.com/read/2022/01/26/14050070/rapat",
        "/global/read/2022/01/26/20000070/perang",  # on indeks.kompas.com: folded into www
        "https://www.kompas.com/hype/read/2022/01/26/09000070/konser",
        "https://kompas.com.evil.example/nasional/read/2022/01/26/11000070/x",
        "http://[zz]/read/2022/01/26/11000070/x",
    ]
    items = "".join(
        f'<div class="articleItem"><a class="article-link" href="{href}">x</a></div>'
        for href in links
    )
    body = f'<html><body><div class="articleList">{items}</div></body></html>'.encode()
    url = "https://indeks.kompas.com/?site=news&date=2022-01-26"
    listing = parse_listing(HtmlResponse(url, body=body, encoding="utf-8"), "news")
    assert listing.article_urls == [
        "https://megapolitan.kompas.com/read/2022/01/26/10150070/banjir",
        "https://nasional.kompas.com/read/2022/01/26/14050070/rapat",
        "https://www.kompas.com/global/read/2022/01/26/20000070/perang",
    ]
    assert (listing.other_sections, listing.bad_links) == (1, 1)
