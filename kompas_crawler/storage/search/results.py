"""What a search returns: hits with their names and snippets, and the total."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from kompas_crawler.storage.archive import to_aware_utc
from kompas_crawler.storage.filters import Filters
from kompas_crawler.storage.models import ArticleRow
from kompas_crawler.storage.names import names_by_article
from kompas_crawler.storage.search.request import Request, Sort

_A = ArticleRow.__table__


@dataclass
class Hit:
    """One search result."""

    id: int
    article_id: str
    url: str
    title: str
    published_at: datetime  # aware, UTC
    section: str | None
    subsection: str | None
    writers: list[str]
    sources: list[str]
    tags: list[str]
    snippet: str
    score: float | None  # relevance (-bm25): higher is better; None without the full-text index

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SearchResult:
    hits: list[Hit]
    total: int  # all matches, before --limit
    used_fts: bool = True
    query: str = ""
    filters: Filters = field(default_factory=Filters)
    sort: Sort = "relevance"
    stemmed: bool = False  # other forms of the words matched too (Indonesian stemming)


def result(
    connection: Connection,
    request: Request,
    ids: list[int],
    scores: dict[int, float],
    snippets: dict[int, str],
    total: int,
    *,
    used_fts: bool = True,
    stemmed: bool = False,
) -> SearchResult:
    """The SearchResult of the ranked ``ids``: their rows and names fetched, in that order."""
    return SearchResult(
        _hits(connection, ids, scores, snippets),
        total,
        used_fts=used_fts,
        query=request.query,
        filters=request.filters,
        sort=request.sort,
        stemmed=stemmed,
    )


def _hits(
    connection: Connection,
    ids: list[int],
    scores: dict[int, float],
    snippets: dict[int, str],
) -> list[Hit]:
    if not ids:
        return []
    columns = (
        _A.c.id,
        _A.c.article_id,
        _A.c.url,
        _A.c.title,
        _A.c.published_at,
        _A.c.section,
        _A.c.subsection,
    )
    rows = {row.id: row for row in connection.execute(select(*columns).where(_A.c.id.in_(ids)))}
    names = names_by_article(connection, ids)
    hits = []
    for article in ids:
        row = rows[article]
        hits.append(
            Hit(
                id=row.id,
                article_id=row.article_id,
                url=row.url,
                title=row.title,
                published_at=to_aware_utc(row.published_at),  # type: ignore[arg-type]
                section=row.section,
                subsection=row.subsection,
                writers=list(names[article]["writers"]),
                sources=list(names[article]["sources"]),
                tags=list(names[article]["tags"]),
                snippet=snippets.get(article, ""),
                score=scores.get(article),
            )
        )
    return hits
