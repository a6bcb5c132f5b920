"""Mutated real and fixture pages through parse_article and parse_listing: no exception escapes
the parsers' own handling, no page takes more than a second, and a body left alone stays."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree, html
from scrapy.http import HtmlResponse, Request

from kompas_crawler.pages.article import parse_article
from kompas_crawler.pages.listing import parse_listing
from tests.conftest import FIXTURES, KOMPAS_PAGES, get_testdata

FETCHED_AT = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)
URLS = json.loads(get_testdata("urls.json"))
ARTICLES = sorted(p.name for p in FIXTURES.glob("article_*.html"))
LISTINGS = sorted(p.name for p in FIXTURES.glob("listing_*.html"))
REAL_2019 = KOMPAS_PAGES / "article_2019-12-07_hype_didi-kempot.html"
REAL_URL = (
    "https://www.kompas.com/hype/read/2019/12/07/074300566/"
    "karena-didi-kempot-musik-campursari-rasuki-the-pallas"
)
HOSTILE_SNIPPETS = [
    '<a href="http://[zz]/x">x</a>',
    '<base href="http://[zz]/">',
    '<a class="paging__link paging__link--next" data-ci-pagination-page="\u00b2"'
    ' href="?page=\u00b2">',
    '<script type="application/ld+json">' + "[" * 1500 + "]" * 1500 + "</script>",
    '<script type="application/ld+json">{"@type": "NewsArticle", "articleBody": 12, '
    '"headline": ["x"], "datePublished": {"a": 1}, "author": [null, 3]}</script>',
    '<script type="application/ld+json">{"@graph": {"@graph": {"@graph": null}}}</script>',
    "<div>" * 400 + "x" + "</div>" * 400,
    '<a href="javascript:alert(1)">j</a><a href="mailto:x@y">m</a><a href="//[::1">v6</a>',
    '<meta name="content_PublishedDate" content="9999-99-99 99:99:99">',
    '<meta property="article:published_time" content="\x00\x1b[2J">',
]


@cache
def page_bytes(name: str) -> tuple[bytes, str]:
    if name == "real-2019":
        if not REAL_2019.exists():
            pytest.skip(f"{REAL_2019} not available")
        return REAL_2019.read_bytes(), REAL_URL
    return get_testdata(name), URLS[name]


def response(body: bytes, url: str) -> HtmlResponse:
    return HtmlResponse(url=url, body=body, encoding="utf-8", request=Request(url))


@cache
def original_body(name: str) -> str | None:
    return parse_article(response(*page_bytes(name)), FETCHED_AT).body


def content_nodes(root: etree._Element) -> set[etree._Element]:
    """What the body is read from, with ancestors and descendants: the body container, else the
    JSON-LD and the paragraphs the fallbacks read. A body-keeping mutation avoids these."""
    sources = root.xpath("//*[contains(@class, 'read__content')]") or root.xpath("//p")
    sources += root.xpath("//script[@type='application/ld+json'] | //link[@rel='canonical']")
    kept: set[etree._Element] = set()
    for source in sources:
        kept.update(source.iter())
        kept.update(source.iterancestors())
    return kept


@st.composite
def mutations(draw: st.DrawFn, names: list[str]) -> tuple[bytes, str, str, bool]:
    """(page bytes, url, page name, whether the body container was left alone)."""
    name = draw(st.sampled_from(names))
    body, url = page_bytes(name)
    kind = draw(st.sampled_from(["truncate", "bad_utf8", "delete", "duplicate", "inject"]))
    if kind == "truncate":
        return body[: draw(st.integers(0, len(body)))], url, name, False
    if kind == "bad_utf8":
        at = draw(st.integers(0, len(body)))
        junk = draw(
            st.sampled_from([b"\xff\xfe", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\x1b]0;x\x07"])
        )
        return body[:at] + junk + body[at:], url, name, False
    root = html.fromstring(body)
    protected = content_nodes(root)
    others = [node for node in root.iter(tag=etree.Element) if node not in protected]
    if not others:
        return body, url, name, True
    node = draw(st.sampled_from(others))
    parent = node.getparent()
    if kind == "delete" and parent is not None:
        parent.remove(node)
    elif kind == "duplicate" and parent is not None:
        parent.insert(parent.index(node), html.fromstring(html.tostring(node)))
    else:
        snippet = html.fragment_fromstring(
            draw(st.sampled_from(HOSTILE_SNIPPETS)), create_parent="div"
        )
        (parent if parent is not None else node).append(snippet)
    return html.tostring(root, encoding="utf-8"), url, name, True


def parse_timed(callable_, *args):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = callable_(*args)
    assert time.perf_counter() - started < 1.0, "a page took more than a second"
    return result


@settings(
    max_examples=150,
    deadline=None,
    # caplog is cleared for each example by the test itself.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(mutations([*ARTICLES, "real-2019"]))
def test_mutated_article_pages(caplog, mutation):
    body, url, name, body_untouched = mutation
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="kompas_crawler.pages.article"):
        article = parse_timed(parse_article, response(body, url), FETCHED_AT)
    assert not [r for r in caplog.records if "could not parse article" in r.getMessage()]
    if body_untouched:
        assert article.body == original_body(name)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations(LISTINGS))
def test_mutated_listing_pages(mutation):
    body, url, _, _ = mutation
    listing = parse_timed(parse_listing, response(body, url))
    assert all(u.startswith("https://") for u in listing.article_urls)
