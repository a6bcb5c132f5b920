"""How a SQLite search tests its filters on the rows a full-text index matches, before any is
ranked, without reading the article rows (which hold the whole text) where it can: each filter
as a set of ids or as one lookup per matching row, whichever reads less."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, exists, func, select

from kompas_crawler.storage.filters import (
    Filters,
    date_clauses,
    date_share,
    has_article,
    name_sets,
    section_clauses,
)
from kompas_crawler.storage.models import ArticleRow

_A = ArticleRow.__table__

# Costs in microseconds, measured at 460,000 articles (benchmarks/query.py): building a set of
# ids, an id each; testing a matching row against that set; looking a matching row up in a link
# table's primary key; reading a matching row's article (dates without a set, sections).
SET_BUILD = 0.35
SET_PROBE = 0.23
LINK_LOOKUP = 0.7
ROW_READ = 2.4


@dataclass(frozen=True)
class RowTests:
    """One search's filters, each as the test it is made: the matching rows' ids in a set, out
    of a set, found in a link table, or their article rows read."""

    in_sets: tuple[Select[Any], ...] = ()
    out_sets: tuple[Select[Any], ...] = ()
    lookups: tuple[Select[Any], ...] = ()
    row: tuple[ColumnElement[bool], ...] = ()

    def on(self, rowid: ColumnElement[int]) -> list[ColumnElement[bool]]:
        """The tests as WHERE conditions on an index's ``rowid`` (an article id)."""
        # "+ 0": a rowid tested against a set would otherwise be handed to the index, which
        # FTS5 answers by running its whole query once per id of the set.
        tested = rowid + 0
        clauses = [
            *(tested.in_(ids) for ids in self.in_sets),
            *(tested.not_in(ids) for ids in self.out_sets),
            *(has_article(ids, rowid) for ids in self.lookups),
        ]
        if self.row:
            clauses.append(exists(select(_A.c.id).where(_A.c.id == rowid, *self.row)))
        return clauses


def row_tests(connection: Connection, filters: Filters, matches: int) -> RowTests:
    """The cheapest test of each filter for a query with ``matches`` matching rows.

    A name filter is a set when it holds fewer articles than testing every match one lookup
    at a time would cost (counted up to that bound). A date range is tested on the matches the
    name filters leave (they are tested first): as the set of the ids inside it, or outside it
    when that is smaller, unless reading those matches' article rows costs less.
    """
    in_sets: list[Select[Any]] = []
    lookups: list[Select[Any]] = []
    row = section_clauses(filters)
    articles = connection.execute(select(func.max(_A.c.id))).scalar_one() or 0  # about
    bound = int(matches * (LINK_LOOKUP - SET_PROBE) / SET_BUILD) + 1
    left = float(matches)  # the matches still to test, were the names spread evenly
    for ids in name_sets(filters):
        counted = select(func.count()).select_from(ids.limit(bound).subquery())
        size = connection.execute(counted).scalar_one()
        (in_sets if size < bound else lookups).append(ids)
        left *= min(1.0, size / articles) if articles else 0.0
    out_sets: list[Select[Any]] = []
    dates = date_clauses(filters)
    share = date_share(connection, filters)
    if dates and share is not None and not row:
        inside = share * articles
        smaller = min(inside, articles - inside)
        if SET_BUILD * smaller + SET_PROBE * left >= ROW_READ * left:
            row += dates
        elif inside <= articles - inside:
            in_sets.append(select(_A.c.id).where(*dates))
        else:
            out_sets.append(select(_A.c.id).where(~and_(*dates)))
    else:  # the article rows are read anyway (sections), or the archive is empty
        row += dates
    return RowTests(tuple(in_sets), tuple(out_sets), tuple(lookups), tuple(row))
