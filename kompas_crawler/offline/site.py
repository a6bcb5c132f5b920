"""`OfflineSite`: the route table of generated pages, per-URL scripted replies, and the site-wide
mode (drifted, hostile...) that changes what some pages answer."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import date
from urllib.parse import parse_qs, urlsplit

from kompas_crawler.offline.articles import render_article
from kompas_crawler.offline.chrome import NOT_FOUND, ROBOTS_TXT
from kompas_crawler.offline.listings import (
    LISTING_2024,
    LISTING_2026,
    LISTING_OLD,
    PAGING_LINKS,
    render_listing,
)
from kompas_crawler.offline.modes import MODES
from kompas_crawler.offline.routes import ArticlePage, FixedPage, ListingPage, Route
from kompas_crawler.offline.server import Reply, route_key
from kompas_crawler.offline.specs import ERA_2026, NEW_LISTING_FROM, ArticleSpec, ListingEntry
from kompas_crawler.urls import (
    ALL_SITES,
    DEFAULT_SITE,
    index_url,
    is_site_article_url,
    url_channel,
)

HOSTS = (
    "www.kompas.com",
    "indeks.kompas.com",
    "amp.kompas.com",
    "internasional.kompas.com",
    "nasional.kompas.com",
)


def amp_url(url: str) -> str:
    """The AMP copy of an article URL: ``amp.kompas.com/<section>/read/...``, whatever host the
    article lives on."""
    host, path = url.split("://", 1)[1].split("/", 1)
    if host == "www.kompas.com":
        return f"https://amp.kompas.com/{path}"
    return f"https://amp.kompas.com/{url_channel(url)}/{path}"


class OfflineSite:
    """A Kompas-shaped site: generated pages by URL, per-URL scripted replies, and a mode.

    ``days`` maps each day to its index entries (newest first); the newest-first index lists every
    day's entries, newest day first. Articles may appear in several listings under other URL forms.
    A day whose articles are in the 2026 markup is listed in the 2026 listing markup,
    ``per_page_2026`` a page, and answers an empty listing one page past its last (the live site
    does so); other days are listed as before (old markup before ``new_listing_from``).
    ``mode`` names one of `kompas_crawler.offline.modes.MODES` (None: the normal site).

    ``days`` is the Global index (``site=global``); ``sections`` maps other indeks site values
    (``news``...) to their days the same way, and then ``site=all`` lists every index's entries of
    a day, newest published first.
    """

    def __init__(
        self,
        days: dict[date, list[ListingEntry]],
        *,
        per_page: int = 20,
        newest_per_page: int | None = None,
        new_listing_from: date = NEW_LISTING_FROM,
        per_page_2026: int = 20,
        mode: str | None = None,
        sections: dict[str, dict[date, list[ListingEntry]]] | None = None,
    ) -> None:
        self.days = _newest_first(days)
        self.indexes = {DEFAULT_SITE: self.days}
        for site, site_days in (sections or {}).items():
            self.indexes[site] = _newest_first(site_days)
        if sections:
            self.indexes[ALL_SITES] = _all_sites(self.indexes.values())
        self.per_page = per_page
        self.newest_per_page = newest_per_page or per_page
        self.new_listing_from = new_listing_from
        self.per_page_2026 = per_page_2026
        self.articles: dict[str, ArticleSpec] = {}
        for index in self.indexes.values():
            for entries in index.values():
                for entry in entries:
                    self.articles.setdefault(entry.article.url, entry.article)
        self._positions = {url: n for n, url in enumerate(self.articles)}
        self._pages: dict[str, Route] = {}
        self._scripts: dict[str, list[Reply]] = {}
        self._lock = threading.Lock()
        self.mode: str | None = None
        self.set_mode(mode)
        self._build_routes()

    # -- what is on the site -----------------------------------------------------------------

    def newest_entries(self, site: str = DEFAULT_SITE) -> list[ListingEntry]:
        return [entry for entries in self.indexes[site].values() for entry in entries]

    @property
    def newest(self) -> list[ListingEntry]:
        return self.newest_entries()

    def listing_markup(self, day: date | None, site: str = DEFAULT_SITE) -> str:
        """The listing markup of one day's index (None: the newest-first index, as its newest
        day's, at least the 2024 markup)."""
        if day is None:
            newest = next(iter(self.indexes[site]), None)
            return LISTING_2026 if newest and self._is_2026(newest, site) else LISTING_2024
        if self._is_2026(day, site):
            return LISTING_2026
        return LISTING_2024 if day >= self.new_listing_from else LISTING_OLD

    def _is_2026(self, day: date, site: str = DEFAULT_SITE) -> bool:
        entries = self.indexes[site].get(day, [])
        return any(entry.article.era == ERA_2026 for entry in entries)

    def listing_pages(
        self, day: date | None = None, site: str = DEFAULT_SITE
    ) -> list[list[ListingEntry]]:
        """The entries of each page of one day's index (or of the newest-first index)."""
        entries = self.newest_entries(site) if day is None else self.indexes[site].get(day, [])
        if day is None:
            size = self.newest_per_page
        else:
            size = self.per_page_2026 if self._is_2026(day, site) else self.per_page
        return [entries[i : i + size] for i in range(0, len(entries), size)] or [[]]

    def expected_articles(
        self,
        days: Iterable[date] | None = None,
        max_pages: int | None = None,
        site: str = DEFAULT_SITE,
    ) -> list[ArticleSpec]:
        """The articles a correct crawl of the normal site's ``site`` index stores: of that
        section, not broken, listed on the pages walked. Each spec is the truth of every field
        to store, in any era."""
        walks = [None] if days is None else list(days)
        found: dict[str, ArticleSpec] = {}
        for day in walks:
            for page in self.listing_pages(day, site)[:max_pages]:
                for entry in page:
                    spec = entry.article
                    listed = is_site_article_url(entry.href, site)
                    if listed and is_site_article_url(spec.url, site) and not spec.broken:
                        found.setdefault(spec.url, spec)
        return sorted(found.values(), key=lambda spec: spec.url)

    def broken_articles(self) -> list[ArticleSpec]:
        return [spec for spec in self.articles.values() if spec.broken]

    def page_urls(self) -> list[str]:
        """Every generated URL (as https://... original URLs)."""
        return ["https://" + key for key in self._pages]

    def position(self, spec: ArticleSpec) -> int:
        """The article's place on the site (0 for the first listed): modes alternate on it."""
        return self._positions[spec.url]

    # -- route table -------------------------------------------------------------------------

    def route(self, url: str) -> Route | None:
        """What ``url`` is on this site, or None for an unknown URL."""
        return self._pages.get(route_key(url))

    def index_page(self, url: str) -> ListingPage | None:
        """Page N of a listed day (or of the newest-first index) for any ``page=N``, even past
        the last page, where the page lists nothing."""
        parts = urlsplit(url)
        if parts.hostname != "indeks.kompas.com":
            return None
        query = parse_qs(parts.query)
        site = query.get("site", [""])[0]
        if site not in self.indexes or len(query.get("site", [])) != 1:
            return None
        try:
            day = date.fromisoformat(query["date"][0]) if "date" in query else None
            number = int(query.get("page", ["1"])[0])
        except ValueError:
            return None
        if (day is not None and day not in self.indexes[site]) or number < 1:
            return None
        pages = self.listing_pages(day, site)
        entries = tuple(pages[number - 1]) if number <= len(pages) else ()
        markup = self.listing_markup(day, site)
        return ListingPage(day, number, len(pages), entries, markup, site)

    def _add(self, url: str, route: Route) -> None:
        self._pages[route_key(url)] = route

    def _build_routes(self) -> None:
        hosts = {*HOSTS, *(urlsplit(url).hostname or "" for url in self.articles)}
        for host in sorted(hosts):
            self._add(f"https://{host}/robots.txt", FixedPage(lambda: Reply.text(ROBOTS_TXT)))
        for site in self.indexes:
            self._build_index(site)
        for spec in self.articles.values():
            self._add(spec.url, ArticlePage(spec, None if spec.pages == 1 else 1))
            self._add(spec.url + "?page=all", ArticlePage(spec, None))
            for number in range(1 if spec.pages > 1 else 2, spec.pages + 1):
                self._add(f"{spec.url}?page={number}", ArticlePage(spec, number))
            self._add(amp_url(spec.url), ArticlePage(spec, None))

    def _build_index(self, site: str) -> None:
        for day in [None, *self.indexes[site]]:
            pages = self.listing_pages(day, site)
            markup = self.listing_markup(day, site)
            for number, entries in enumerate(pages, 1):
                route = ListingPage(day, number, len(pages), tuple(entries), markup, site)
                self._add(index_url(day, number, site), route)
                if number == 1:  # ?page=1 is the same page as no page parameter
                    self._add(index_url(day, 1, site) + "&page=1", route)
            if markup == LISTING_2026:
                past = len(pages) + 1
                empty = ListingPage(day, past, len(pages), (), markup, site)
                self._add(index_url(day, past, site), empty)

    # -- rendering ---------------------------------------------------------------------------

    def render(self, route: Route, paging: str = PAGING_LINKS) -> Reply:
        """The normal page of a route."""
        if isinstance(route, FixedPage):
            return route.make()
        if isinstance(route, ArticlePage):
            return Reply.html(render_article(route.spec, route.page))
        page = render_listing(
            route.entries,
            route.day,
            route.number,
            route.last,
            route.markup,
            paging,
            site=route.site,
        )
        return Reply.html(page)

    # -- modes -------------------------------------------------------------------------------

    def set_mode(self, name: str | None) -> None:
        """Serve the site in mode ``name`` from now on (None: the normal site)."""
        if name is not None and name not in MODES:
            raise ValueError(f"unknown offline site mode {name!r}; known: {', '.join(MODES)}")
        self.mode = name

    def mode_reply(self, name: str | None, url: str) -> Reply:
        """What mode ``name`` answers for ``url`` (the normal page where it changes nothing):
        ``site.script(url, site.mode_reply("waf_403", url))`` applies a mode to one URL."""
        if name is not None:
            changed = MODES[name](self, url)
            if changed is not None:
                return changed
        route = self.route(url)
        return self.render(route) if route is not None else Reply.html(NOT_FOUND, status=404)

    # -- scripting ---------------------------------------------------------------------------

    def script(self, url: str, *replies: Reply) -> None:
        """Answer the next requests for ``url`` with ``replies`` in turn; the last one repeats."""
        with self._lock:
            self._scripts[route_key(url)] = list(replies)

    def unscript(self, url: str | None = None) -> None:
        """Back to the generated page for ``url`` (every URL when None)."""
        with self._lock:
            if url is None:
                self._scripts.clear()
            else:
                self._scripts.pop(route_key(url), None)

    def reply(self, url: str) -> Reply:
        """The reply for one request: a scripted one, else the site's page in its mode, else a
        404."""
        key = route_key(url)
        with self._lock:
            scripted = self._scripts.get(key)
            if scripted:
                return scripted.pop(0) if len(scripted) > 1 else scripted[0]
        return self.mode_reply(self.mode, url)


def _newest_first(days: dict[date, list[ListingEntry]]) -> dict[date, list[ListingEntry]]:
    return {day: days[day] for day in sorted(days, reverse=True)}


def _all_sites(indexes: Iterable[dict[date, list[ListingEntry]]]) -> dict[date, list[ListingEntry]]:
    """The ``site=all`` index: each day's entries of every index, newest published first, each
    article once."""
    days: dict[date, dict[str, ListingEntry]] = {}
    for index in indexes:
        for day, entries in index.items():
            for entry in entries:
                days.setdefault(day, {}).setdefault(entry.article.url, entry)
    return _newest_first(
        {
            day: sorted(entries.values(), key=lambda e: e.article.published, reverse=True)
            for day, entries in days.items()
        }
    )
