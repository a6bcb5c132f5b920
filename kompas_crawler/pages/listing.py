"""Kompas listing page (indeks, section, tag, home) -> one section's article URLs and the next
page.

The section is an indeks ``site`` value (``global`` by default; ``news``, ``tekno``...; ``all``
for every Kompas article): see ``kompas_crawler.urls.is_site_article_url``. Known markups:
``div.article__list`` (to early 2024) and ``div.articleItem`` (mid 2024 on). Every article of the
section the page links to is kept (list items, "Terpopuler" boxes, headlines), because the home
pages of the archive carry such stories outside the main list; other sections' articles are
skipped and counted. An indeks page in neither markup is still read, and says so
(``Listing.fallbacks``): the section's links in page order, and a next page from ``rel=next`` or,
while the page lists articles, ``page=N+1`` (also for a full page in known markup whose paging is
built by script).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from lxml import etree
from lxml.cssselect import CSSSelector
from scrapy.http import TextResponse

from kompas_crawler.pages.article import base_url, html_root
from kompas_crawler.processors import unique
from kompas_crawler.urls import (
    DEFAULT_SITE,
    INDEX_HOST,
    article_id,
    canonical_url,
    is_site_article_url,
    join_url,
)

logger = logging.getLogger(__name__)

_LINKS = etree.XPath("//a[@href]")
_NEXT_LINKS = CSSSelector(
    "div.paging__wrap a.paging__link--next, div.paging__wrap a[rel~=next], "
    "a.paging__link[rel~=next]"
)
_REL_NEXT = CSSSelector("a[rel~=next], link[rel~=next]")
_ACTIVE_PAGE = CSSSelector("div.paging__wrap a.paging__link--active")
_PAGING = CSSSelector("div.paging__wrap")
_LAYOUTS = (
    ("2024-2026", CSSSelector("div.articleItem, div.articleList")),
    ("2017-2024", CSSSelector("div.article__list, div.latest--indeks, div.most__list")),
)
_OTHER_MARKERS = CSSSelector("div.paging__wrap, div.searchContent")
# Articles on a full indeks page (2026: 20 a page, the number of pages not shown).
INDEX_PAGE_SIZE = 20


@dataclass
class Listing:
    """What a listing page offers the crawler, and how it was read."""

    article_urls: list[str] = field(default_factory=list)
    next_page_url: str | None = None
    # "2017-2024" (article__list), "2024-2026" (articleItem) or "unknown" (neither matched).
    layout: str = "unknown"
    # "article_urls" / "next_page_url" when taken without the known markup.
    fallbacks: list[str] = field(default_factory=list)
    bad_links: int = 0  # links no URL parser could read, skipped
    other_sections: int = 0  # links to Kompas articles of other sections, skipped


def parse_listing(response: TextResponse, site: str = DEFAULT_SITE) -> Listing:
    """The article URLs of the indeks ``site`` (canonical, page order, no repeats) and the
    absolute next-page URL."""
    root = html_root(response)
    listing = Listing(layout=_layout(root))
    base = base_url(response)
    listing.article_urls = _article_urls(base, root, listing, site)
    if listing.article_urls and listing.layout == "unknown":
        listing.fallbacks.append("article_urls")
    listing.next_page_url = _next_page(response, base, root, listing)
    return listing


def is_listing_page(response: TextResponse, site: str = DEFAULT_SITE) -> bool:
    """True when the markup is a listing (items, a listing container or paging), or an indeks
    page that links articles of ``site`` in markup of its own."""
    root = html_root(response)
    if _layout(root) != "unknown" or _OTHER_MARKERS(root):
        return True
    return _is_index_url(response.url) and bool(parse_listing(response, site).article_urls)


def _layout(root: etree._Element) -> str:
    return next((name for name, markers in _LAYOUTS if markers(root)), "unknown")


def _article_urls(base: str, root: etree._Element, listing: Listing, site: str) -> list[str]:
    urls = []
    others = set()
    for link in _LINKS(root):
        url = join_url(base, link.get("href"))
        if url is None:
            listing.bad_links += 1
        elif is_site_article_url(url, site):
            urls.append(canonical_url(url))
        elif article_id(url) is not None:
            others.add(article_id(url))
    listing.other_sections = len(others)
    return unique(urls)


def _next_page(
    response: TextResponse, base: str, root: etree._Element, listing: Listing
) -> str | None:
    active = _ACTIVE_PAGE(root)
    current = _page_number(active[0]) if active else None
    found = _next_link(response, base, _NEXT_LINKS(root), current)
    if found is not None or _PAGING(root):
        return found  # known paging: no next link on the last page
    found = _next_link(response, base, _REL_NEXT(root), current)
    # A page in known markup without paging that is not full is the only page of its listing.
    full = listing.layout == "unknown" or len(listing.article_urls) >= INDEX_PAGE_SIZE
    if found is None and full and listing.article_urls and _is_index_url(response.url):
        # Paging built by script (2026) or renamed: the next page exists while pages list articles.
        found = _numbered_page(response.url, _url_page(response.url) + 1)
    if found is not None:
        listing.fallbacks.append("next_page_url")
    return found


def _next_link(
    response: TextResponse, base: str, links: list[etree._Element], current: int | None
) -> str | None:
    for link in links:
        href = (link.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:")):
            continue
        url = join_url(base, href)
        target = _page_number(link)
        # A "next" arrow on the last page points back at the page itself.
        if url is None or url == response.url:
            continue
        if current is not None and target is not None and target <= current:
            continue
        return url
    return None


def _page_number(link: etree._Element) -> int | None:
    number = (link.get("data-ci-pagination-page") or "").strip()
    # isdecimal, not isdigit: "²" is a digit that int() refuses.
    return int(number) if number.isdecimal() and number.isascii() else None


def _is_index_url(url: str) -> bool:
    try:
        return (urlsplit(url).hostname or "").lower() == INDEX_HOST
    except ValueError:
        return False


def _url_page(url: str) -> int:
    page = dict(parse_qsl(urlsplit(url).query)).get("page", "1")
    return int(page) if page.isdecimal() and page.isascii() else 1


def _numbered_page(url: str, page: int) -> str:
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != "page"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("page", str(page))])))
