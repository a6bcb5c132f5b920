"""The fallback engine where there is no full-text index: a LIKE scan of every article."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Connection, Engine, and_, func, or_, select

from kompas_crawler.storage.filters import escape_like, filter_clauses
from kompas_crawler.storage.models import ArticleRow
from kompas_crawler.storage.search.expressions import plain_terms
from kompas_crawler.storage.search.request import Request, order
from kompas_crawler.storage.search.results import SearchResult, result

_A = ArticleRow.__table__


def available(engine: Engine) -> bool:
    """Always: any database can scan."""
    return True


def _like_clause(dialect: str, terms: Sequence[str]) -> ColumnElement[bool]:
    # SQLite's LIKE already ignores ASCII case (and lower() would cost a full copy of every body).
    sqlite = dialect == "sqlite"
    clauses = []
    for term in terms:
        pattern = f"%{escape_like(term)}%"
        columns = (_A.c.title, _A.c.body, _A.c.tag_list)
        clauses.append(
            or_(
                *(
                    col.like(pattern, escape="\\") if sqlite else col.ilike(pattern, escape="\\")
                    for col in columns
                )
            )
        )
    return and_(*clauses)


def matching(engine: Engine, query: str, exact: bool = False) -> ColumnElement[bool]:
    """WHERE condition on ``articles``: the row contains every word of ``query`` (as written:
    a scan has no stems)."""
    return _like_clause(engine.dialect.name, plain_terms(query))


def _text_snippet(body: str, terms: Sequence[str], mark: tuple[str, str]) -> str:
    """A snippet around the first matched term."""
    pattern = re.compile("|".join(re.escape(term) for term in terms), re.IGNORECASE)
    found = pattern.search(body)
    start = max(0, found.start() - 80) if found else 0
    end = min(len(body), start + 200)
    text = pattern.sub(lambda m: f"{mark[0]}{m.group()}{mark[1]}", body[start:end])
    return ("…" if start else "") + " ".join(text.split()) + ("…" if end < len(body) else "")


def search(connection: Connection, request: Request) -> SearchResult:
    """The newest (or oldest) articles containing every word: a scan has no ranking."""
    terms = plain_terms(request.query)
    where = [_like_clause(connection.dialect.name, terms), *filter_clauses(request.filters)]
    ranked = (
        select(_A.c.id, _A.c.body)
        .where(*where)
        .order_by(*order(request.sort, None))
        .limit(request.limit)
    )
    rows = connection.execute(ranked).all()
    ids = [row.id for row in rows]
    snippets = {row.id: _text_snippet(row.body, terms, request.mark) for row in rows}
    total = len(ids)
    if request.count and len(ids) == request.limit:
        total = connection.execute(select(func.count()).select_from(_A).where(*where)).scalar_one()
    return result(connection, request, ids, {}, snippets, total, used_fts=False)
