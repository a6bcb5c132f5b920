"""What a URL of the offline site is: an article page, an index page, or a fixed reply."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from kompas_crawler.offline.server import Reply
from kompas_crawler.offline.specs import ArticleSpec, ListingEntry
from kompas_crawler.urls import DEFAULT_SITE

# Where `offsite_redirect` sends articles: a host that merely contains "kompas.com", serving a
# copy of the article, so a crawler that follows the redirect is caught storing it.
OFFSITE_HOST = "kompas.com.evil.example"


@dataclass(frozen=True)
class ArticlePage:
    """Route of an article URL: the article and which page of it (None: the whole text)."""

    spec: ArticleSpec
    page: int | None


@dataclass(frozen=True)
class ListingPage:
    """Route of an index URL: page ``number`` of ``last`` of a day (None: newest first) of an
    indeks ``site``."""

    day: date | None
    number: int
    last: int
    entries: tuple[ListingEntry, ...]
    markup: str
    site: str = DEFAULT_SITE


@dataclass(frozen=True)
class FixedPage:
    """Route of a page that is always the same reply (robots.txt)."""

    make: Callable[[], Reply]


Route = ArticlePage | ListingPage | FixedPage


def offsite_url(url: str) -> str:
    """The article's URL moved to `OFFSITE_HOST`."""
    return f"https://{OFFSITE_HOST}/" + url.split("://", 1)[1].split("/", 1)[1]
