"""Drop articles that cannot be archived: no url, title, published_at or body."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from kompas_crawler.items import REQUIRED_FIELDS

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


def missing_fields(item: Any) -> list[str]:
    """The required fields this item lacks (None, empty or blank), in REQUIRED_FIELDS order."""
    adapter = ItemAdapter(item)
    missing = []
    for name in REQUIRED_FIELDS:
        value = adapter.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            missing.append(name)
    return missing


class ValidatePipeline:
    """Drops an article missing a required field; counted as ``kompas/dropped/missing_<field>``
    (the first missing field, so each dropped article is counted once)."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        missing = missing_fields(item)
        if not missing:
            return item
        url = ItemAdapter(item).get("url") or "(no url)"
        self.stats.inc_value(f"kompas/dropped/missing_{missing[0]}")
        logger.warning("Dropped article %s: missing %s", url, ", ".join(missing))
        # Our line above names the URL; Scrapy's own "Dropped:" line would dump the whole body.
        raise DropItem(f"missing {', '.join(missing)}: {url}", log_level="DEBUG")
