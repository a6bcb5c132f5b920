"""Relevance, checked: judged queries, each with the articles that must rank in its top 3.

The judged set (``tests/relevance/judged.json``) carries its own articles; ``add_judged`` writes
them into an archive (a test's, a benchmark's generated one) through the archive writer, where
every other article competes with them, and ``judged_top3`` counts the queries that rank a
relevant article in their top 3, with stemming on and off.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from kompas_crawler.items import Article
from kompas_crawler.storage.archive import ArchiveWriter
from kompas_crawler.storage.search import search

TOP = 3


@dataclass(frozen=True)
class Judged:
    query: str
    relevant: frozenset[str]  # URLs of the articles that must rank in the top 3


@dataclass(frozen=True)
class JudgedSet:
    articles: list[Article]
    queries: list[Judged]


def _url(key: str, published: datetime) -> str:
    return f"https://www.kompas.com/global/read/{published:%Y/%m/%d/%H%M%S}070/judged-{key}"


def load_judged(path: Path) -> JudgedSet:
    """The judged set at ``path``: its articles (as the crawler makes them) and its queries."""
    data = json.loads(path.read_text(encoding="utf-8"))
    urls: dict[str, str] = {}
    articles = []
    for entry in data["articles"]:
        published = datetime.fromisoformat(entry["published"])
        urls[entry["key"]] = _url(entry["key"], published)
        articles.append(
            Article(
                url=urls[entry["key"]],
                title=entry["title"],
                published_at=published,
                body=entry["body"],
                tags=list(entry["tags"]),
                section="Global",
                fetched_at=published,
            )
        )
    queries = [
        Judged(item["query"], frozenset(urls[key] for key in item["relevant"]))
        for item in data["queries"]
    ]
    return JudgedSet(articles, queries)


def add_judged(engine: Engine, judged: JudgedSet) -> None:
    """Write the judged articles into the archive (the same write path as a crawl)."""
    seen = max(article.fetched_at for article in judged.articles if article.fetched_at)
    ArchiveWriter(engine).save_batch(judged.articles, seen)


def misses(engine: Engine, judged: JudgedSet, *, exact: bool = False) -> list[str]:
    """The judged queries with no relevant article in their top 3."""
    missed = []
    for item in judged.queries:
        hits = search(engine, item.query, limit=TOP, count=False, exact=exact).hits
        if not item.relevant & {hit.url for hit in hits}:
            missed.append(item.query)
    return missed


def judged_top3(engine: Engine, judged: JudgedSet) -> dict[str, int]:
    """How many judged queries rank a relevant article in their top 3: ``stemmed`` (the default
    search), ``exact`` (``--exact``), out of ``queries``."""
    total = len(judged.queries)
    return {
        "stemmed": total - len(misses(engine, judged)),
        "exact": total - len(misses(engine, judged, exact=True)),
        "queries": total,
    }
