"""Kompas listing page (indeks, section, tag, home) -> Global article URLs and the next page.

Both markups: ``div.article__list`` (to early 2024) and ``div.articleItem`` (mid 2024 on). Every
Global article the page links to is kept (list items, "Terpopuler" boxes, headlines), because the
home pages of the archive carry Global stories outside the main list.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from lxml import etree
from lxml.cssselect import CSSSelector
from scrapy.http import TextResponse

from kompas_crawler.pages.article import html_root
from kompas_crawler.processors import unique
from kompas_crawler.urls import canonical_url, is_global_article_url

logger = logging.getLogger(__name__)

_LINKS = etree.XPath("//a[@href]")
_NEXT_LINKS = CSSSelector(
    "div.paging__wrap a.paging__link--next, div.paging__wrap a[rel~=next], "
    "a.paging__link[rel~=next], link[rel~=next]"
)
_ACTIVE_PAGE = CSSSelector("div.paging__wrap a.paging__link--active")
_LISTING_MARKERS = CSSSelector(
    "div.article__list, div.articleItem, div.articleList, div.latest--indeks, "
    "div.paging__wrap, div.searchContent, div.most__list"
)


@dataclass
class Listing:
    """What a listing page offers the crawler."""

    article_urls: list[str] = field(default_factory=list)
    next_page_url: str | None = None


def parse_listing(response: TextResponse) -> Listing:
    """Global article URLs (canonical, page order, no repeats) and the absolute next-page URL."""
    root = html_root(response)
    return Listing(
        article_urls=_article_urls(response, root), next_page_url=_next_page(response, root)
    )


def is_listing_page(response: TextResponse) -> bool:
    """True when the markup is a listing: list items, a listing container or paging."""
    return bool(_LISTING_MARKERS(html_root(response)))


def _article_urls(response: TextResponse, root: etree._Element) -> list[str]:
    urls = []
    for link in _LINKS(root):
        url = response.urljoin(link.get("href").strip())
        if is_global_article_url(url):
            urls.append(canonical_url(url))
    return unique(urls)


def _next_page(response: TextResponse, root: etree._Element) -> str | None:
    current = _page_number(_ACTIVE_PAGE(root)[0]) if _ACTIVE_PAGE(root) else None
    for link in _NEXT_LINKS(root):
        href = (link.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:")):
            continue
        url = response.urljoin(href)
        target = _page_number(link)
        # A "next" arrow on the last page points back at the page itself.
        if url == response.url or (
            current is not None and target is not None and target <= current
        ):
            continue
        return url
    return None


def _page_number(link: etree._Element) -> int | None:
    number = (link.get("data-ci-pagination-page") or "").strip()
    return int(number) if number.isdigit() else None
