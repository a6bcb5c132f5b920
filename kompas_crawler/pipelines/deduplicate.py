"""Store each article once per run, however many listings or URL forms led to it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from kompas_crawler.urls import article_id, canonical_url

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


def identity_keys(item: Any) -> set[str]:
    """Every key that identifies this article: its article_id and its canonical URL."""
    adapter = ItemAdapter(item)
    keys: set[str] = set()
    url = adapter.get("url")
    if url:
        keys.add("url:" + (canonical_url(url) or url))
        if derived := article_id(url):
            keys.add("id:" + derived)
    if given := adapter.get("article_id"):
        keys.add("id:" + given)
    return keys


class DeduplicatePipeline:
    """Drops an article already seen in this run (same article_id or canonical URL);
    counted as ``kompas/dropped/duplicate``."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DeduplicatePipeline:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        keys = identity_keys(item)
        if keys & self.seen:
            self.stats.inc_value("kompas/dropped/duplicate")
            url = ItemAdapter(item).get("url")
            logger.debug("Dropped duplicate article %s", url)
            raise DropItem(f"duplicate: {url}", log_level="DEBUG")
        self.seen |= keys
        return item
