"""Site-wide modes of the offline site, by name: ``OfflineSite(..., mode=NAME)``,
``site.set_mode(NAME)``, ``python -m kompas_crawler.offline --mode NAME``; one URL at a time
with ``site.script(url, site.mode_reply(NAME, url))``.

Each mode is a function ``(site, url) -> Reply | None`` (None: the normal page). Its docstring
says exactly what it serves and what a correct crawl of the site ends with; `expected_articles()`
stays the truth of the site's content in every mode. robots.txt is never changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from kompas_crawler.offline import hostile
from kompas_crawler.offline.articles import render_article
from kompas_crawler.offline.drift import drift_article, drift_listing
from kompas_crawler.offline.listings import PAGING_LINKS, PAGING_NONE, PAGING_SCRIPT, render_listing
from kompas_crawler.offline.routes import OFFSITE_HOST, ArticlePage, ListingPage, offsite_url
from kompas_crawler.offline.server import Reply

if TYPE_CHECKING:
    from kompas_crawler.offline.site import OfflineSite

Mode = Callable[["OfflineSite", str], "Reply | None"]
# Deeper than libxml2's default limit (256), as in the page that lost its body (issue 14).
DEEP_NESTING = 300


def _article(site: OfflineSite, url: str) -> ArticlePage | None:
    route = site.route(url)
    return route if isinstance(route, ArticlePage) else None


def _listing_html(
    site: OfflineSite, page: ListingPage, paging: str, last: int | None = None
) -> str:
    return render_listing(
        page.entries,
        page.day,
        page.number,
        page.last if last is None else last,
        page.markup,
        paging,
        site=page.site,
    )


def drifted(site: OfflineSite, url: str) -> Reply | None:
    """Every article and index page after a redesign that renamed their containers.

    Articles: ``read__title``, ``read__content``, ``read__time``, ``credit*``, ``photo*``,
    ``breadcrumb*``, ``tag*`` (and ``#creditModal``, ``#penulis``, ``#editor``) are renamed
    (`drift.drift_article`); the metas stay and carry every field (``og:title``,
    ``content_PublishedDate``, ``article:published_time``, ``content_author``,
    ``content_editor``, ``content_source``, ``content_tags``, ``content_category``, ``og:image``)
    and the JSON-LD NewsArticle has ``headline``, ``datePublished`` and ``articleBody`` = the
    spec's body exactly. Index pages: the item and list classes are renamed (no ``articleItem``
    or ``article__list``), the article links and the paging links (``rel="next"``) remain.

    A correct crawl either stores `expected_articles()` with the same title, published time,
    writers, editors, sources, tags, section and body as the normal site (read by fallbacks,
    and recorded as such), or ends ``degraded`` (exit 4); never ``ok`` with nothing stored.
    """
    route = _article(site, url)
    if route is not None:
        return Reply.html(drift_article(render_article(route.spec, route.page, drifted=True)))
    page = site.index_page(url)
    if page is not None and (page.entries or site.route(url) is not None):
        return Reply.html(drift_listing(_listing_html(site, page, PAGING_LINKS)))
    return None


def drifted_nopaging(site: OfflineSite, url: str) -> Reply | None:
    """`drifted`, and the index pages carry no paging at all: the next page is only found by
    asking for ``page=N+1``; one page past the last lists nothing (200, no items).

    A correct crawl ends as in `drifted`, having walked every index page by ``page=N+1`` and
    stopped at the first empty one.
    """
    page = site.index_page(url)
    if page is not None:
        return Reply.html(drift_listing(_listing_html(site, page, PAGING_NONE)))
    return drifted(site, url)


def script_paging(site: OfflineSite, url: str) -> Reply | None:
    """Index pages whose paging is built by a script: the next link is only an escaped string
    inside a ``<script>`` (odd pages) or absent (even pages); there is no ``a.paging__link``
    element. One page past the last answers an empty listing (200). Articles are normal.

    A correct crawl stores `expected_articles()`, walking by ``page=N+1`` while a page still
    lists articles.
    """
    page = site.index_page(url)
    if page is None:
        return None
    return Reply.html(_listing_html(site, page, PAGING_SCRIPT))


def _middle(last: int) -> int:
    return last // 2 + 1


def waf_midwalk(site: OfflineSite, url: str) -> Reply | None:
    """One index page in the middle of each walk (page ``last // 2 + 1`` of the newest-first
    index and of every day with 2 or more pages) answers HTTP 202 with the AWS WAF challenge, on
    every request; everything else is normal.

    A correct crawl stores the articles of the pages before it, does not record the walk as
    complete (the run ends ``blocked``, exit 1, ``kompas/blocked`` counted), and the next run on
    the healthy site (``set_mode(None)``) walks past it and stores all `expected_articles()`.
    """
    route = site.route(url)
    if isinstance(route, ListingPage) and route.last >= 2 and route.number == _middle(route.last):
        return hostile.waf_challenge(202)
    return None


def waf_all(site: OfflineSite, url: str) -> Reply | None:
    """Every article URL answers HTTP 202 with the AWS WAF challenge; index pages are normal.

    A correct crawl stores nothing, retries the articles with backoff like a 429, counts
    ``kompas/blocked`` and ends ``blocked``: exit 1 and one line saying so.
    """
    return hostile.waf_challenge(202) if _article(site, url) else None


def waf_403(site: OfflineSite, url: str) -> Reply | None:
    """Every article URL answers HTTP 403 with the AWS WAF challenge body.

    A correct crawl ends as with `waf_all`: nothing stored, ``blocked``, exit 1.
    """
    return hostile.waf_challenge(403) if _article(site, url) else None


def gzip_bomb(site: OfflineSite, url: str) -> Reply | None:
    """Every article URL answers 200 ``Content-Encoding: gzip``: ~100 KB sent, 101 MB once
    decompressed (`hostile.gzip_bomb`).

    A correct crawl never holds the 101 MB (the download size cap stops each), stores nothing,
    and fails: exit 1 with the reason in one line.
    """
    return hostile.gzip_bomb() if _article(site, url) else None


def offsite_redirect(site: OfflineSite, url: str) -> Reply | None:
    """Every article URL answers 302: the 1st, 3rd... article to the same path on
    ``https://kompas.com.evil.example/`` (which serves a copy of the article), the 2nd, 4th...
    to ``http://127.0.0.1/``.

    A correct crawl follows neither (no hit on the evil host; loopback never requested), stores
    nothing and fails: exit 1.
    """
    if urlsplit(url).hostname == OFFSITE_HOST:
        for spec in site.articles.values():
            if offsite_url(spec.url) == url.split("?", 1)[0]:
                return Reply.html(render_article(spec))
        return None
    route = _article(site, url)
    if route is None:
        return None
    if site.position(route.spec) % 2 == 0:
        return hostile.redirect(offsite_url(route.spec.url))
    return hostile.redirect("http://127.0.0.1/")


def next_forever(site: OfflineSite, url: str) -> Reply | None:
    """Every index page N (for any N, the newest-first index and every day) links page N+1 and
    lists articles: page N lists the entries of the real page ``(N - 1) % last + 1``, so past
    the real last page the same articles come round again. Articles are normal.

    A correct crawl stores `expected_articles()` and stops by itself: at two pages in a row with
    nothing new, or at its per-listing page limit, saying where it stopped (issue 14, case 8).
    """
    page = site.index_page(url)
    if page is None:
        return None
    pages = site.listing_pages(page.day, page.site)
    entries = tuple(pages[(page.number - 1) % len(pages)])
    endless = ListingPage(page.day, page.number, page.number + 1, entries, page.markup, page.site)
    return Reply.html(_listing_html(site, endless, PAGING_LINKS))


def retry_after_huge(site: OfflineSite, url: str) -> Reply | None:
    """Every URL but robots.txt answers 429 with ``Retry-After: 99999`` (27.8 hours).

    A correct crawl does not wait that long: it ends ``blocked`` at once (exit 1), saying how
    long the site asked it to wait. (Script `hostile.too_many_requests("Fri, 01 Jan 2100
    00:00:00 GMT")` on a URL for the HTTP-date form.)
    """
    if urlsplit(url).path == "/robots.txt":
        return None
    return hostile.too_many_requests("99999")


def deep_nesting(site: OfflineSite, url: str) -> Reply | None:
    """Every article's body paragraphs sit inside 300 nested divs (deeper than libxml2's
    default limit of 256), inside ``div.read__content > div.clearfix``; text is unchanged.

    A correct crawl stores `expected_articles()` with their exact bodies (parsing with the depth
    limit lifted), or drops them with a reason and does not end ``ok``.
    """
    route = _article(site, url)
    if route is None:
        return None
    return Reply.html(render_article(route.spec, route.page, nesting=DEEP_NESTING))


def bad_links(site: OfflineSite, url: str) -> Reply | None:
    """Every article and index page carries links no URL parser accepts: ``<base
    href="http://[zz]/">``, ``<a href="http://[zz]/x">`` (an extra list item on index pages; an
    empty link in the lead and a "Baca juga" line in article bodies) and a paging item with
    ``data-ci-pagination-page="²"`` (`hostile.with_bad_links`).

    A correct crawl stores `expected_articles()` with the same fields as the normal site (the
    bad links skipped and counted, related URLs unchanged) and ends ``ok``.
    """
    route = site.route(url)
    if isinstance(route, ArticlePage | ListingPage):
        return Reply.html(hostile.with_bad_links(site.render(route).body.decode("utf-8")))
    return None


MODES: dict[str, Mode] = {
    mode.__name__: mode
    for mode in (
        drifted,
        drifted_nopaging,
        script_paging,
        waf_midwalk,
        waf_all,
        waf_403,
        gzip_bomb,
        offsite_redirect,
        next_forever,
        retry_after_huge,
        deep_nesting,
        bad_links,
    )
}
