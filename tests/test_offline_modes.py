"""The offline site's drifted and hostile modes (kompas_crawler.offline.modes), checked with lxml
and zlib alone: each mode serves what its docstring and KOMPAS_SITE.md say."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib
from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import etree, html

from kompas_crawler.offline import MODES, ROBOTS_TXT, OfflineServer, OfflineSite, demo_site
from kompas_crawler.offline.hostile import BAD_HREF, BOMB_SIZE
from kompas_crawler.offline.routes import OFFSITE_HOST
from kompas_crawler.urls import index_url

REQUIRED = {
    "drifted",
    "drifted_nopaging",
    "script_paging",
    "waf_midwalk",
    "waf_all",
    "waf_403",
    "gzip_bomb",
    "offsite_redirect",
    "next_forever",
    "retry_after_huge",
    "deep_nesting",
    "bad_links",
}
# Every class token the known markups are read by (KOMPAS_SITE.md), gone from drifted pages.
KNOWN_ARTICLE_CLASS = re.compile(r"^(read__|credit|photo|breadcrumb|tag__article)")
KNOWN_LISTING_CLASS = re.compile(r"^(articleItem|article__|article-link|articleTitle|paging)")


def site_in(mode: str | None) -> OfflineSite:
    site = demo_site(with_2026=True)
    site.set_mode(mode)
    return site


def root_of(body: bytes) -> html.HtmlElement:
    return html.fromstring(body)


def one_per_era(site: OfflineSite) -> list:
    by_era = {}
    for spec in site.expected_articles():
        by_era.setdefault(spec.era, spec)
    assert sorted(by_era) == ["2017-2023", "2023-2025", "2026"]
    return list(by_era.values())


def test_every_mode_is_known_by_name_and_documented() -> None:
    assert set(MODES) == REQUIRED
    for mode in MODES.values():
        assert mode.__doc__ and "correct crawl" in mode.__doc__
    with pytest.raises(ValueError, match="unknown offline site mode 'nope'"):
        demo_site().set_mode("nope")


@pytest.mark.parametrize("mode", sorted(REQUIRED - {"retry_after_huge"}))
def test_robots_txt_is_never_changed(mode: str) -> None:
    assert site_in(mode).reply("https://www.kompas.com/robots.txt").body.decode() == ROBOTS_TXT


# -- drifted ----------------------------------------------------------------------------------


def test_drifted_articles_lose_their_classes_and_keep_metas_and_json_ld() -> None:
    site = site_in("drifted")
    for spec in one_per_era(site):
        root = root_of(site.reply(spec.url).body)
        classes = {token for e in root.iter() for token in (e.get("class") or "").split()}
        assert not [c for c in classes if KNOWN_ARTICLE_CLASS.match(c)], spec.era
        assert not root.cssselect("#creditModal, #penulis, #editor")
        assert root.cssselect("h1.article-title-x")[0].text == spec.title
        metas = {m.get("name") or m.get("property"): m.get("content") for m in root.iter("meta")}
        assert metas["og:title"] == spec.title
        assert metas["content_author"] == ", ".join(spec.writers)
        assert metas["content_editor"] == ", ".join(spec.editors)
        assert metas["content_tags"] == ", ".join(spec.tags)
        assert metas["content_source"] == ", ".join(spec.sources)
        assert metas["content_PublishedDate"] == f"{spec.published:%Y-%m-%d %H:%M:%S}"
        assert datetime.fromisoformat(metas["article:published_time"]) == spec.published
        blocks = [json.loads(s.text) for s in root.xpath("//script[@type='application/ld+json']")]
        (news,) = [b for b in blocks if b["@type"] == "NewsArticle"]
        assert news["headline"] == spec.title and news["articleBody"] == spec.body
        assert datetime.fromisoformat(news["datePublished"]) == spec.published
        # The same page, only renamed: the body text is still all there.
        body = root.cssselect("div.article-body-x")[0].text_content()
        assert all(" ".join(p.split()[:6]) in " ".join(body.split()) for p in spec.paragraphs)


def test_normal_pages_have_no_articlebody_in_json_ld() -> None:
    spec = one_per_era(demo_site(with_2026=True))[0]
    assert b"articleBody" not in demo_site(with_2026=True).reply(spec.url).body


@pytest.mark.parametrize("day", [None, date(2022, 1, 27), date(2024, 6, 13), date(2026, 4, 17)])
def test_drifted_listings_still_link_the_articles(day: date | None) -> None:
    site = site_in("drifted")
    pages = site.listing_pages(day)
    for number, entries in enumerate(pages, 1):
        root = root_of(site.reply(index_url(day, number)).body)
        classes = {token for e in root.iter() for token in (e.get("class") or "").split()}
        assert not [c for c in classes if KNOWN_LISTING_CLASS.match(c)]
        hrefs = root.xpath("//a/@href")
        listed = [h for h in dict.fromkeys(hrefs) if h in {e.href for e in entries}]
        assert listed == [e.href for e in entries]
        nexts = root.xpath("//a[@rel='next']/@href")
        assert nexts == ([index_url(day, number + 1)] if number < len(pages) else [])


def test_drifted_nopaging_listings_have_no_next_link_and_end_empty() -> None:
    site = site_in("drifted_nopaging")
    day = date(2022, 1, 27)
    last = len(site.listing_pages(day))
    assert last > 1
    for number in range(1, last + 1):
        root = root_of(site.reply(index_url(day, number)).body)
        assert not root.xpath("//a[@rel='next'] | //*[contains(@class, 'pag')]")
        hrefs = set(root.xpath("//a/@href"))
        assert {entry.href for entry in site.listing_pages(day)[number - 1]} <= hrefs
    past = site.reply(index_url(day, last + 1))
    assert past.status == 200 and b"/global/read/" not in past.body and b"Tidak ada" in past.body


# -- blocking ---------------------------------------------------------------------------------


def assert_waf_challenge(body: bytes) -> None:
    text = body.decode()
    assert "awsWafCookieDomainList" in text and "gokuProps" in text
    root = root_of(body)
    assert [s for s in root.xpath("//script/@src") if s.endswith("/challenge.js")]
    assert not root.xpath("//a[@href]") and not root.xpath("//*[contains(@class, 'read__')]")
    assert "articleItem" not in text and "article__list" not in text


def test_waf_midwalk_challenges_one_index_page_in_the_middle() -> None:
    site = site_in("waf_midwalk")
    last = len(site.listing_pages())
    statuses = [site.reply(index_url(None, n)).status for n in range(1, last + 1)]
    middle = last // 2 + 1
    assert statuses == [202 if n == middle else 200 for n in range(1, last + 1)]
    assert 1 < middle < last or middle == last == 2
    assert_waf_challenge(site.reply(index_url(None, middle)).body)
    assert site.reply(index_url(None, middle)).status == 202  # every time, not once
    spec = site.expected_articles()[0]
    assert site.reply(spec.url).status == 200


@pytest.mark.parametrize(("mode", "status"), [("waf_all", 202), ("waf_403", 403)])
def test_waf_on_every_article(mode: str, status: int) -> None:
    site = site_in(mode)
    for spec in site.expected_articles():
        reply = site.reply(spec.url)
        assert reply.status == status
        assert_waf_challenge(reply.body)
    assert site.reply(index_url()).status == 200


def test_retry_after_huge() -> None:
    site = site_in("retry_after_huge")
    for url in (index_url(), site.expected_articles()[0].url):
        reply = site.reply(url)
        assert reply.status == 429 and reply.headers["Retry-After"] == "99999"
    assert site.reply("https://indeks.kompas.com/robots.txt").status == 200


# -- hostile pages ----------------------------------------------------------------------------


def test_gzip_bomb_is_small_on_the_wire_and_huge_inflated() -> None:
    site = site_in("gzip_bomb")
    reply = site.reply(site.expected_articles()[0].url)
    assert reply.headers["Content-Encoding"] == "gzip" and len(reply.body) < 200_000
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    total, data = 0, reply.body
    while data:
        total += len(inflater.decompress(data, 16 * 1024 * 1024))
        data = inflater.unconsumed_tail
    assert total > 100 * 1024 * 1024 and total >= BOMB_SIZE
    assert site.reply(index_url()).headers.get("Content-Encoding") is None


def test_offsite_redirect_alternates_between_another_host_and_loopback() -> None:
    site = site_in("offsite_redirect")
    specs = list(site.articles.values())[:4]
    locations = [site.reply(spec.url) for spec in specs]
    assert {reply.status for reply in locations} == {302}
    targets = [reply.headers["Location"] for reply in locations]
    assert targets[1] == targets[3] == "http://127.0.0.1/"
    assert targets[0] == f"https://{OFFSITE_HOST}/" + specs[0].url.split("/", 3)[3]
    copy = site.reply(targets[0])  # the other host serves a copy, to catch a crawler following
    assert copy.status == 200 and specs[0].title.encode() in copy.body


def test_next_forever_links_page_n_plus_1_with_articles() -> None:
    site = site_in("next_forever")
    last = len(site.listing_pages())
    for number in (1, last, last + 1, 999):
        root = root_of(site.reply(index_url(None, number)).body)
        assert root.cssselect("div.articleItem a.article-link")
        assert root.xpath("//a[@rel='next']/@href") == [index_url(None, number + 1)]
    first = root_of(site.reply(index_url(None, 1)).body).xpath("//a[@class='article-link']/@href")
    again = root_of(site.reply(index_url(None, last + 1)).body)
    assert again.xpath("//a[@class='article-link']/@href") == first  # nothing new past the end


def test_deep_nesting_puts_the_body_300_divs_deep() -> None:
    site = site_in("deep_nesting")
    spec = site.expected_articles()[0]
    body = site.reply(spec.url).body
    root = etree.fromstring(body, etree.HTMLParser(huge_tree=True))
    (lead,) = root.xpath("//div[@class='clearfix']//p[strong]")[:1]
    assert len(list(lead.iterancestors())) > 300
    assert "".join(lead.itertext()) == spec.paragraphs[0]


def test_bad_links_on_listings_and_articles() -> None:
    site = site_in("bad_links")
    normal = demo_site(with_2026=True)
    for url in (index_url(date(2022, 1, 27)), index_url(date(2026, 4, 17))):
        root = root_of(site.reply(url).body)
        assert root.xpath("//head/base/@href") == ["http://[zz]/"]
        assert BAD_HREF in root.xpath("//a/@href")
        assert root.xpath("//a[@data-ci-pagination-page='\u00b2']")
        good = root_of(normal.reply(url).body).xpath("//a/@href")
        assert [h for h in root.xpath("//a/@href") if h != BAD_HREF and "\u00b2" not in h] == good
    for spec in one_per_era(site):
        root = root_of(site.reply(spec.url).body)
        assert root.xpath("//head/base/@href") == ["http://[zz]/"]
        (clearfix,) = root.xpath("//div[@class='read__content']/div[@class='clearfix']")
        (empty_link,) = clearfix.xpath(f"p/a[@href='{BAD_HREF}'][not(node())]")
        assert empty_link.getparent().text_content() == spec.paragraphs[0]  # text unchanged
        assert clearfix.xpath(f"p/strong/a[@class='inner-link-baca-juga'][@href='{BAD_HREF}']")


# -- scripting a mode per URL, the server and the command line ---------------------------------


def test_a_mode_can_be_scripted_on_one_url() -> None:
    site = demo_site()
    spec, other = site.expected_articles()[:2]
    site.script(spec.url, site.mode_reply("waf_403", spec.url))
    assert site.reply(spec.url).status == 403 and site.reply(other.url).status == 200
    site.unscript(spec.url)
    assert site.reply(spec.url).status == 200


def test_server_answers_the_challenge_with_202() -> None:
    site = demo_site()
    site.set_mode("waf_all")
    spec = site.expected_articles()[0]
    with OfflineServer(site) as server:
        with urllib.request.urlopen(server.url + "/" + spec.url.split("://")[1]) as answer:
            assert answer.status == 202 and b"awsWafCookieDomainList" in answer.read()
        site.set_mode(None)
        with urllib.request.urlopen(server.url + "/" + spec.url.split("://")[1]) as answer:
            assert answer.status == 200


def test_cli_mode(tmp_path: Path) -> None:
    port_file = tmp_path / "port"
    command = [sys.executable, "-m", "kompas_crawler.offline", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--port-file", str(port_file), "--mode", "retry_after_huge"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not port_file.exists() or not port_file.read_text().strip():
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)
        url = f"http://127.0.0.1:{int(port_file.read_text())}/indeks.kompas.com/?site=global"
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(url, timeout=5)
        assert raised.value.code == 429 and raised.value.headers["Retry-After"] == "99999"
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.stdout is not None and "mode retry_after_huge" in process.stdout.read()
    bad = subprocess.run([*command, "--mode", "nope"], capture_output=True, text=True)
    assert bad.returncode == 2 and "invalid choice: 'nope'" in bad.stderr
