"""The article record every part of the crawler passes around."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kompas_crawler.capture.records import CaptureRef

# What an article cannot be archived without: the validate pipeline drops, the writer refuses.
REQUIRED_FIELDS = ("url", "title", "published_at", "body")


@dataclass
class Article:
    """One Kompas Global article, as clean typed values.

    Scalars default to None and lists to empty lists, because item loaders fill them one by one.
    Datetimes are timezone-aware (UTC once loaded).
    """

    url: str | None = None
    article_id: str | None = None
    title: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    writers: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    section: str | None = None
    subsection: str | None = None
    tags: list[str] = field(default_factory=list)
    dateline: str | None = None
    body: str | None = None
    related_urls: list[str] = field(default_factory=list)
    image_url: str | None = None
    image_caption: str | None = None
    image_credit: str | None = None
    word_count: int | None = None
    fetched_at: datetime | None = None
    # How the page was read: which known markup matched ("2017-2023", "2023-2025", "2026", or
    # "unknown" when none did) and which fields came from a fallback source, not that markup.
    layout: str | None = None
    fallbacks: list[str] = field(default_factory=list)
    # The raw page (WARC record) this article was read from, when capture is on.
    capture: CaptureRef | None = None
