"""Which articles a search, a stats run or an export covers: dates, names, sections.

Every value a user types reaches the database as a bound parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, exists, func, or_, select

from kompas_crawler.errors import KompasError
from kompas_crawler.processors import WIB
from kompas_crawler.storage.models import (
    ArticlePerson,
    ArticleRow,
    ArticleSource,
    ArticleTag,
    Person,
    Source,
    Tag,
)

_A = ArticleRow.__table__

# Any count of rows asked for (a limit, a top-N) is bounded, so a runaway script gets one line
# at once rather than minutes of work.
MAX_COUNT = 1_000_000_000


class QueryError(KompasError):
    """A search query, date or filter the archive cannot answer."""


def check_count(value: int | None, option: str) -> None:
    """QueryError unless ``value`` (a limit, a top-N) is None or between 1 and MAX_COUNT."""
    if value is not None and not 1 <= value <= MAX_COUNT:
        raise QueryError(f"{option} must be between 1 and {MAX_COUNT:,}, not {value}")


@dataclass(frozen=True)
class Filters:
    """Which articles a search, a stats run or an export covers. Empty means all."""

    since: date | None = None  # first WIB day included
    until: date | None = None  # last WIB day included
    writers: tuple[str, ...] = ()  # each must match a writer (case-insensitive substring)
    sources: tuple[str, ...] = ()  # each must be a source (case-insensitive)
    tags: tuple[str, ...] = ()  # each must be a tag (case-insensitive)
    sections: tuple[str, ...] = ()  # each must be the section or subsection (case-insensitive)

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise QueryError(f"--since {self.since} is after --until {self.until}")


# ---------------------------------------------------------------------------- dates


def parse_day(text: str, option: str = "date") -> date:
    """A YYYY-MM-DD day (or YYYY-MM, meaning its first day); QueryError if impossible."""
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}", value):
            return date.fromisoformat(value + "-01")
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return date.fromisoformat(value)
    except ValueError as error:
        raise QueryError(f"{option} {text!r} is not a real date ({error})") from error
    raise QueryError(f"{option} {text!r} is not a date: use YYYY-MM-DD, e.g. 2024-05-01")


def parse_until(text: str, option: str = "--until") -> date:
    """Like parse_day, but YYYY-MM means the month's last day."""
    day = parse_day(text, option)
    if re.fullmatch(r"\d{4}-\d{2}", text.strip()):
        next_month = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        return next_month - timedelta(days=1)
    return day


def wib_day_start(day: date) -> datetime:
    """The naive UTC instant a WIB day starts, as stored in the database."""
    return datetime.combine(day, time(), WIB).astimezone(UTC).replace(tzinfo=None)


# ---------------------------------------------------------------------------- WHERE clauses


def escape_like(text: str) -> str:
    """``text`` with LIKE's wildcards escaped (escape character: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _writers(name: str) -> Select[Any]:
    pattern = f"%{escape_like(name.strip())}%"
    people = select(Person.id).where(Person.name.ilike(pattern, escape="\\"))
    link = ArticlePerson.__table__
    return select(link.c.article_id).where(link.c.role == "writer", link.c.person_id.in_(people))


def _named(link: Any, entity: Any, name: str) -> Select[Any]:
    ids = select(entity.id).where(func.lower(entity.name) == name.strip().lower())
    table = link.__table__
    entity_id = next(c for c in table.primary_key.columns if c.name != "article_id")
    return select(table.c.article_id).where(entity_id.in_(ids))


def name_sets(filters: Filters) -> list[Select[Any]]:
    """Each writer, source and tag filter as the ids of the articles it keeps: a select of
    one link table's ``article_id`` (the names looked up once, in their own small tables)."""
    return [
        *(_writers(name) for name in filters.writers),
        *(_named(ArticleSource, Source, name) for name in filters.sources),
        *(_named(ArticleTag, Tag, name) for name in filters.tags),
    ]


def has_article(ids: Select[Any], article_id: ColumnElement[int]) -> ColumnElement[bool]:
    """``article_id`` is among the ``ids`` of a name set: one lookup in its link table's
    primary key (article id first)."""
    return exists(ids.where(ids.selected_columns[0] == article_id))


def date_clauses(filters: Filters) -> list[ColumnElement[bool]]:
    """WHERE conditions on ``articles.published_at`` for the date filters."""
    clauses: list[ColumnElement[bool]] = []
    if filters.since:
        clauses.append(_A.c.published_at >= wib_day_start(filters.since))
    if filters.until:
        clauses.append(_A.c.published_at < wib_day_start(filters.until + timedelta(days=1)))
    return clauses


def section_clauses(filters: Filters) -> list[ColumnElement[bool]]:
    """WHERE conditions on ``articles`` for the section filters."""
    clauses: list[ColumnElement[bool]] = []
    for name in filters.sections:
        wanted = name.strip().lower()
        clauses.append(
            or_(func.lower(_A.c.section) == wanted, func.lower(_A.c.subsection) == wanted)
        )
    return clauses


def filter_clauses(filters: Filters) -> list[ColumnElement[bool]]:
    """WHERE conditions on ``articles`` for the filters, with bound parameters."""
    return [
        *date_clauses(filters),
        *(has_article(ids, _A.c.id) for ids in name_sets(filters)),
        *section_clauses(filters),
    ]


def date_share(connection: Connection, filters: Filters) -> float | None:
    """The estimated share of the archive's articles the date filters keep (the range's share
    of the archive's span, both ends read from the ``published_at`` index); None without
    date filters or articles."""
    if not (filters.since or filters.until):
        return None
    # Apart: SQLite reads a lone min() or max() from one end of the index, but scans it for both.
    first = connection.execute(select(func.min(_A.c.published_at))).scalar()
    last = connection.execute(select(func.max(_A.c.published_at))).scalar()
    if first is None or last is None:
        return None
    low = max(first, wib_day_start(filters.since)) if filters.since else first
    high = min(last, wib_day_start(filters.until + timedelta(days=1))) if filters.until else last
    span = (last - first).total_seconds()
    if span <= 0:
        return 1.0 if low <= high else 0.0
    return float(max(0.0, (high - low).total_seconds()) / span)
