"""The offline site: Kompas-shaped pages, scripted replies, and the server that serves them."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request

from kompas_crawler.offline import (
    ROBOTS_TXT,
    OfflineServer,
    OfflineSite,
    Reply,
    demo_site,
    generated_site,
    render_article,
    route_key,
)
from kompas_crawler.pages.article import has_more_pages, parse_article
from kompas_crawler.pages.listing import parse_listing
from kompas_crawler.urls import article_id, canonical_url, index_url, is_global_article_url


@pytest.fixture(scope="module")
def site() -> OfflineSite:
    return demo_site()


def response(site: OfflineSite, url: str) -> HtmlResponse:
    reply = site.reply(url)
    assert reply.status == 200, url
    return HtmlResponse(url, body=reply.body, encoding="utf-8", request=Request(url))


def fetch(server: OfflineServer, url: str) -> tuple[int, bytes]:
    mirror = server.url + "/" + url.split("://", 1)[1]
    try:
        with urllib.request.urlopen(mirror, timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


# -- routes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://indeks.kompas.com/?site=global&date=2022-01-27&page=2",
         "indeks.kompas.com/?date=2022-01-27&page=2&site=global"),
        ("https://indeks.kompas.com/?page=2&site=global&date=2022-01-27",
         "indeks.kompas.com/?date=2022-01-27&page=2&site=global"),
        ("https://WWW.Kompas.com/robots.txt", "www.kompas.com/robots.txt"),
        ("www.kompas.com/global", "www.kompas.com/global"),
        ("https://indeks.kompas.com", "indeks.kompas.com/"),
    ],
)  # fmt: skip
def test_route_key(url: str, key: str) -> None:
    assert route_key(url) == key


def test_robots_txt_on_every_host(site: OfflineSite) -> None:
    for host in ("www.kompas.com", "indeks.kompas.com", "amp.kompas.com"):
        assert site.reply(f"https://{host}/robots.txt").body.decode() == ROBOTS_TXT


def test_unknown_url_is_a_404(site: OfflineSite) -> None:
    assert site.reply("https://www.kompas.com/global/read/2000/01/01/1/none").status == 404


def test_demo_site_shape(site: OfflineSite) -> None:
    assert len(site.days) == 6
    assert len(site.expected_articles()) == 29  # 30 Global articles, one broken
    assert [spec.pages for spec in site.articles.values() if spec.pages > 1] == [3]
    assert len(site.broken_articles()) == 1
    assert len([spec for spec in site.articles.values() if not spec.is_global]) == 2
    assert [len(page) for page in site.listing_pages()] == [10, 10, 10, 3]


def test_generation_is_deterministic() -> None:
    first, second = demo_site(), demo_site()
    assert list(first.articles) == list(second.articles)
    url = next(iter(first.articles))
    assert first.reply(url).body == second.reply(url).body
    assert demo_site(seed=1).expected_articles() != first.expected_articles()


def test_generated_site_scales() -> None:
    started = time.perf_counter()
    site = generated_site(2000)
    assert time.perf_counter() - started < 5
    assert len(site.expected_articles()) == 2000
    assert len({article_id(spec.url) for spec in site.articles.values()}) == 2000
    new = [spec for spec in site.articles.values() if spec.new_markup]
    assert 0 < len(new) < 2000  # both markup eras


# -- pages as the extraction reads them --------------------------------------------------------


@pytest.mark.parametrize("day", [None, date(2022, 1, 27), date(2024, 6, 13)])
def test_listing_pages_link_their_articles_and_the_next_page(
    site: OfflineSite, day: date | None
) -> None:
    pages = site.listing_pages(day)
    for number, entries in enumerate(pages, 1):
        listing = parse_listing(response(site, index_url(day, number)))
        wanted = [canonical_url(e.href) for e in entries if is_global_article_url(e.href)]
        assert listing.article_urls == list(dict.fromkeys(wanted))
        assert listing.next_page_url == (
            index_url(day, number + 1) if number < len(pages) else None
        )


def test_both_listing_markups(site: OfflineSite) -> None:
    old = site.reply(index_url(date(2022, 1, 27))).body.decode()
    new = site.reply(index_url(date(2024, 6, 13))).body.decode()
    assert 'class="article__list' in old and "articleItem" not in old
    assert 'class="articleItem"' in new and "article__list" not in new
    for body in (old, new):
        assert "paging__link--next" in body and 'rel="next"' in body


@pytest.mark.parametrize("era", ["2022", "2024"])
def test_article_pages_of_both_eras_parse_to_their_spec(site: OfflineSite, era: str) -> None:
    specs = [s for s in site.expected_articles() if s.url.split("/read/")[1].startswith(era)]
    assert specs
    for spec in specs:
        page = response(site, spec.url if spec.pages == 1 else spec.url + "?page=all")
        article = parse_article(page, fetched_at=spec.published)
        assert article.url == spec.url
        assert article.title == spec.title
        assert article.published_at == spec.published
        assert article.writers == list(spec.writers)
        assert article.editors == list(spec.editors)
        assert article.sources == list(spec.sources)
        assert article.tags == list(spec.tags)
        assert article.subsection == spec.subsection
        assert article.body == spec.body
        assert article.related_urls == [url for url, _ in spec.related]
        assert article.image_url == spec.image_url


def test_article_markup_eras(site: OfflineSite) -> None:
    old = site.reply(site.expected_articles()[0].url).body.decode()
    new = site.reply(site.expected_articles()[-1].url).body.decode()
    assert 'id="penulis"' in old and "credit-title-name" not in old
    assert "<h6>" in new and "credit-title-name" in new and "<p>Sumber <span" in new
    for body in (old, new):
        assert "application/ld+json" in body and 'name="content_PublishedDate"' in body
        assert "inner-link-baca-juga" in body and "ADVERTISEMENT" in body


def test_multi_page_article(site: OfflineSite) -> None:
    (spec,) = [spec for spec in site.articles.values() if spec.pages > 1]
    first = response(site, spec.url)
    assert has_more_pages(first)
    assert not has_more_pages(response(site, spec.url + "?page=all"))
    assert parse_article(first, spec.published).body != spec.body
    for number in (1, 2, 3):
        assert response(site, f"{spec.url}?page={number}").status == 200
    whole = site.reply(spec.url + "?page=all").body.decode()
    assert f"{spec.title} Halaman all" in whole and "read__paging" not in whole


def test_broken_article_page_has_no_article(site: OfflineSite) -> None:
    (spec,) = site.broken_articles()
    page = response(site, spec.url)
    article = parse_article(page, spec.published)
    # No body, so it is dropped; its time and section are only the URL's, and say so.
    assert article.body is None and article.fallbacks[-2:] == ["published_at", "section"]
    assert article.section == "Global"
    assert render_article(spec) == page.text


# -- scripting ---------------------------------------------------------------------------------


def test_scripted_replies_in_turn_then_the_last_repeats() -> None:
    site = demo_site()
    url = index_url()
    site.script(url, Reply(status=503, headers={"Retry-After": "2"}), Reply.html("ok"))
    assert site.reply(url).status == 503
    assert site.reply(url).body == b"ok"
    assert site.reply(url).body == b"ok"
    site.unscript(url)
    assert b"articleItem" in site.reply(url).body


# -- the server --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> OfflineServer:
    with OfflineServer(demo_site()) as running:
        yield running  # type: ignore[misc]


def test_server_serves_pages_by_host_and_path(server: OfflineServer) -> None:
    status, body = fetch(server, "https://indeks.kompas.com/?site=global&date=2022-01-27&page=2")
    assert status == 200 and b"paging__link--active" in body
    assert fetch(server, "https://www.kompas.com/nothing")[0] == 404
    hit = server.hits[-1]
    assert hit.url == "https://www.kompas.com/nothing" and hit.status == 404
    assert server.url.startswith("http://127.0.0.1:")


def test_server_scripted_faults(server: OfflineServer) -> None:
    site = server.site
    url = "https://www.kompas.com/fault"
    site.script(url, Reply.html("x" * 1000, truncate_to=10))
    with pytest.raises(http.client.IncompleteRead):
        urllib.request.urlopen(server.url + "/www.kompas.com/fault", timeout=5).read()
    site.script(url, Reply(reset=True))
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected, urllib.error.URLError)):
        urllib.request.urlopen(server.url + "/www.kompas.com/fault", timeout=5).read()
    site.script(url, Reply.html("late", delay=0.3))
    started = time.monotonic()
    assert fetch(server, url) == (200, b"late")
    assert time.monotonic() - started >= 0.3
    site.script(url, Reply(status=429, headers={"Retry-After": "7"}))
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(server.url + "/www.kompas.com/fault", timeout=5)
    assert raised.value.headers["Retry-After"] == "7"
    site.unscript()


def test_cli_serves_the_demo_site(tmp_path: Path) -> None:
    port_file = tmp_path / "port"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kompas_crawler.offline",
            "--port",
            "0",
            "--port-file",
            str(port_file),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not port_file.exists() or not port_file.read_text().strip():
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)
        port = int(port_file.read_text())
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/www.kompas.com/robots.txt") as answer:
            assert answer.read().decode() == ROBOTS_TXT
    finally:
        process.send_signal(signal.SIGINT if os.name == "posix" else signal.SIGTERM)
        process.wait(timeout=10)
    assert process.stdout is not None
    assert "Serving 65 articles" in process.stdout.read()  # with the 2026 days, other sections
