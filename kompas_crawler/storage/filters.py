"""Which articles a search, a stats run or an export covers: dates, names, sections.

Every value a user types reaches the database as a bound parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, func, or_, select

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


def _people_match(role: str, name: str) -> ColumnElement[bool]:
    pattern = f"%{escape_like(name.strip())}%"
    return exists(
        select(1)
        .select_from(ArticlePerson.__table__.join(Person.__table__))
        .where(
            ArticlePerson.article_id == _A.c.id,
            ArticlePerson.role == role,
            Person.name.ilike(pattern, escape="\\"),
        )
    )


def _named(link: Any, entity: Any, name: str) -> ColumnElement[bool]:
    return exists(
        select(1)
        .select_from(link.__table__.join(entity.__table__))
        .where(link.article_id == _A.c.id, func.lower(entity.name) == name.strip().lower())
    )


def filter_clauses(filters: Filters) -> list[ColumnElement[bool]]:
    """WHERE conditions on ``articles`` for the filters, with bound parameters."""
    clauses: list[ColumnElement[bool]] = []
    if filters.since:
        clauses.append(_A.c.published_at >= wib_day_start(filters.since))
    if filters.until:
        clauses.append(_A.c.published_at < wib_day_start(filters.until + timedelta(days=1)))
    clauses += [_people_match("writer", name) for name in filters.writers]
    clauses += [_named(ArticleSource, Source, name) for name in filters.sources]
    clauses += [_named(ArticleTag, Tag, name) for name in filters.tags]
    for name in filters.sections:
        wanted = name.strip().lower()
        clauses.append(
            or_(func.lower(_A.c.section) == wanted, func.lower(_A.c.subsection) == wanted)
        )
    return clauses
