"""What a search asks for: the query, filters, how many, in what order, how matches are marked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import ColumnElement

from kompas_crawler.storage.filters import Filters
from kompas_crawler.storage.models import ArticleRow

Sort = Literal["relevance", "newest", "oldest"]

SNIPPET_TOKENS = 24
DEFAULT_MARK = ("**", "**")

_A = ArticleRow.__table__


@dataclass(frozen=True)
class Request:
    """One search, as every engine receives it (the query already bounded)."""

    query: str
    filters: Filters = field(default_factory=Filters)
    limit: int = 20
    sort: Sort = "relevance"
    mark: tuple[str, str] = DEFAULT_MARK
    count: bool = True  # count every match (a second query) when the limit is reached
    exact: bool = False  # the words as written only, not their other forms (no stemming)


def order(sort: Sort, score: ColumnElement[Any] | None) -> list[ColumnElement[Any]]:
    """ORDER BY for ``sort``; relevance needs a ``score`` (ascending: best first)."""
    if sort == "relevance" and score is not None:
        return [score, _A.c.published_at.desc()]
    if sort == "oldest":
        return [_A.c.published_at, _A.c.id]
    return [_A.c.published_at.desc(), _A.c.id.desc()]
