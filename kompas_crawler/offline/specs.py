"""What the offline site is made of: articles (with the values a correct crawl must store) and
the index entries that list them, plus the calendar facts every page template shares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from kompas_crawler.urls import is_global_article_url

# Listing pages switched from div.article__list to div.articleItem in mid 2024.
NEW_LISTING_FROM = date(2024, 6, 1)
# Article pages switched credit blocks (read__credit__item -> credit-title-name) in 2023.
NEW_ARTICLE_FROM = date(2023, 1, 1)
# The article markup eras, named as Article.layout names them.
ERA_2017 = "2017-2023"
ERA_2023 = "2023-2025"
ERA_2026 = "2026"
ERAS = (ERA_2017, ERA_2023, ERA_2026)

MONTHS_ID = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]
DAYS_ID = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]


@dataclass(frozen=True)
class ArticleSpec:
    """One article of the site, with the values a correct parser must find on its page.

    Every field is the truth a crawl must store (``published_utc``, ``updated``, ``writers``,
    ``editors``, ``sources``, ``body``, ``tags``, ``section``...), whatever markup shows it.
    """

    url: str  # canonical: https://www.kompas.com/global/read/YYYY/MM/DD/<id>/<slug>
    title: str
    published: datetime  # aware, WIB
    paragraphs: tuple[str, ...]  # the body, the first one starting with the dateline
    dateline: str = "JAKARTA"
    writers: tuple[str, ...] = ()
    editors: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    section: str = "Global"
    subsection: str | None = None
    updated: datetime | None = None
    related: tuple[tuple[str, str], ...] = ()  # ("Baca juga" url, its title), in body order
    image_url: str | None = None
    image_caption: str | None = None
    image_credit: str | None = None
    pages: int = 1  # > 1: split over ?page=N, with the whole text at ?page=all
    broken: bool = False  # the page is served as a half-rendered shell with no article in it
    # The markup era of the page; None: by publish date, among the two historic eras only, so a
    # recent article is still rendered in the 2023-2025 markup unless 2026 is asked for.
    markup: str | None = None
    # 2026 markup only: how the page shows what it shows.
    updated_only: bool = False  # read__time shows "Diperbarui <updated>" and no publish time
    source_line: bool = False  # sources only in a "(Sumber: X)" body line, not in content_source
    credit_modal: bool = True  # the #creditModal with each person's role is on the page
    opinion: bool = False  # the writer is also shown as div.opinion__author a.opinion__link

    @property
    def day(self) -> date:
        return self.published.date()

    @property
    def era(self) -> str:
        """The article markup the page is rendered in: one of `ERAS`."""
        if self.markup is not None:
            return self.markup
        return ERA_2023 if self.day >= NEW_ARTICLE_FROM else ERA_2017

    @property
    def new_markup(self) -> bool:
        """2023 on: credit-title blocks, content_tags, "Sumber" credit lines or 2026 credits."""
        return self.era != ERA_2017

    @property
    def is_global(self) -> bool:
        return is_global_article_url(self.url)

    @property
    def published_utc(self) -> datetime:
        return self.published.astimezone(UTC)

    @property
    def body(self) -> str:
        """The body as the extraction is expected to return it: paragraphs, one blank line apart."""
        return "\n\n".join(self.paragraphs)


@dataclass(frozen=True)
class ListingEntry:
    """One item on an index page: the URL as listed (any form) and the article it points to."""

    href: str
    article: ArticleSpec
