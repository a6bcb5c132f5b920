"""Count how well each article was read, before any is dropped: the numbers ``health`` judges."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter

from kompas_crawler.health import ARTICLES, FALLBACK, FALLBACK_FIELD, FIELDS, FILLED

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector


def filled(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple):
        return bool(value)
    return value is not None


class HealthPipeline:
    """Counts every parsed article (``kompas/health/articles``), the ones with each field of
    ``health.FIELDS`` filled, and the ones read by fallback (unknown layout, or a field from a
    fallback source; each such field counted too). Runs first, so dropped articles count."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HealthPipeline:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        self.stats.inc_value(ARTICLES)
        for name in FIELDS:
            if filled(adapter.get(name)):
                self.stats.inc_value(FILLED + name)
        fallbacks = list(adapter.get("fallbacks") or [])
        if fallbacks or adapter.get("layout") == "unknown":
            self.stats.inc_value(FALLBACK)
        for name in fallbacks:
            self.stats.inc_value(FALLBACK_FIELD + name)
        return item
