"""Reading the archive as figures: totals, articles per WIB day or month, top names, fill rates
and the last crawl runs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from sqlalchemy import ColumnElement, Connection, Engine, Integer, Select, exists, func, select

from kompas_crawler.processors import WIB
from kompas_crawler.storage.archive import to_aware_utc
from kompas_crawler.storage.filters import Filters, check_count, filter_clauses
from kompas_crawler.storage.models import (
    ArticlePerson,
    ArticleRow,
    ArticleSource,
    ArticleTag,
    CrawlRun,
    Person,
    RelatedLink,
    Revision,
    Source,
    Tag,
)

Period = Literal["day", "month"]

_A = ArticleRow.__table__


def _period(engine: Engine, by: Period) -> ColumnElement[str]:
    """The WIB day or month of ``published_at`` as text."""
    if engine.dialect.name == "sqlite":
        return func.strftime("%Y-%m-%d" if by == "day" else "%Y-%m", _A.c.published_at, "+7 hours")
    shifted = _A.c.published_at + WIB.utcoffset(None)
    return func.to_char(shifted, "YYYY-MM-DD" if by == "day" else "YYYY-MM")


def _top(
    connection: Connection,
    selected: Select[Any],
    link: Any,
    key: Any,
    entity: Any,
    extra: Iterable[Any],
    top: int,
) -> list[dict[str, Any]]:
    articles = func.count(func.distinct(link.article_id)).label("articles")
    statement = (
        select(entity.name, articles)
        .join(link, key == entity.id)
        .where(link.article_id.in_(selected), *extra)
        .group_by(entity.name)
        .order_by(articles.desc(), entity.name)
        .limit(top)
    )
    return [{"name": name, "articles": n} for name, n in connection.execute(statement)]


def stats(
    engine: Engine,
    filters: Filters | None = None,
    *,
    by: Period = "month",
    top: int = 10,
    runs: int = 5,
) -> dict[str, Any]:
    """Totals, articles per WIB day or month, top names, fill rates and the last crawl runs."""
    check_count(top, "--top")
    check_count(runs, "--runs")
    filters = filters or Filters()
    where = filter_clauses(filters)
    selected = select(_A.c.id).where(*where)

    def has(link: Any, *extra: Any) -> ColumnElement[int]:
        return func.coalesce(
            func.sum(exists(select(1).where(link.article_id == _A.c.id, *extra)).cast(Integer)), 0
        )

    def filled(col: Any) -> ColumnElement[int]:
        return func.count(func.nullif(col, ""))

    with engine.connect() as connection:
        totals = connection.execute(
            select(
                func.count().label("articles"),
                func.min(_A.c.published_at).label("first_published"),
                func.max(_A.c.published_at).label("last_published"),
                func.coalesce(func.sum(_A.c.word_count), 0).label("words"),
                has(ArticlePerson, ArticlePerson.role == "writer").label("writer"),
                has(ArticlePerson, ArticlePerson.role == "editor").label("editor"),
                has(ArticleSource).label("source"),
                has(ArticleTag).label("tag"),
                has(RelatedLink).label("related_links"),
                has(Revision).label("revisions"),
                filled(_A.c.image_url).label("image"),
                filled(_A.c.image_caption).label("image_caption"),
                filled(_A.c.dateline).label("dateline"),
                filled(_A.c.subsection).label("subsection"),
                func.count(_A.c.updated_at).label("updated_at"),
            ).where(*where)
        ).one()
        n = totals.articles
        fill_fields = (
            "writer",
            "editor",
            "source",
            "tag",
            "image",
            "image_caption",
            "dateline",
            "subsection",
            "updated_at",
            "related_links",
            "revisions",
        )
        fill_rates = {name: (getattr(totals, name) / n if n else 0.0) for name in fill_fields}
        period = _period(engine, by).label("period")
        per_period = [
            {"period": p, "articles": c}
            for p, c in connection.execute(
                select(period, func.count()).where(*where).group_by(period).order_by(period)
            )
        ]
        revision_count = connection.execute(
            select(func.count()).select_from(Revision).where(Revision.article_id.in_(selected))
        ).scalar_one()
        top_writers = _top(
            connection,
            selected,
            ArticlePerson,
            ArticlePerson.person_id,
            Person,
            [ArticlePerson.role == "writer"],
            top,
        )
        top_sources = _top(
            connection, selected, ArticleSource, ArticleSource.source_id, Source, [], top
        )
        top_tags = _top(connection, selected, ArticleTag, ArticleTag.tag_id, Tag, [], top)
        distinct_writers = connection.execute(
            select(func.count(func.distinct(ArticlePerson.person_id))).where(
                ArticlePerson.role == "writer", ArticlePerson.article_id.in_(selected)
            )
        ).scalar_one()
        extraction = _extraction_counts(connection, where)
        crawl_runs = [
            {
                "id": run.id,
                "spider": run.spider,
                "started_at": to_aware_utc(run.started_at),
                "finished_at": to_aware_utc(run.finished_at),
                "status": run.status,
                "finish_reason": run.finish_reason,
                "requests": run.requests,
                "articles_new": run.articles_new,
                "articles_updated": run.articles_updated,
                "articles_unchanged": run.articles_unchanged,
                "errors": run.errors,
            }
            for run in connection.execute(
                select(CrawlRun)
                .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
                .limit(runs)
            )
        ]
    return {
        "totals": {
            "articles": n,
            "words": totals.words,
            "writers": distinct_writers,
            "revisions": revision_count,
            "first_published": to_aware_utc(totals.first_published),
            "last_published": to_aware_utc(totals.last_published),
        },
        "by": by,
        "per_period": per_period,
        "top_writers": top_writers,
        "top_sources": top_sources,
        "top_tags": top_tags,
        "fill_rates": fill_rates,
        "extraction": extraction,
        "crawl_runs": crawl_runs,
    }


def _extraction_counts(connection: Connection, where: list[Any]) -> dict[str, Any]:
    """How the articles were read: how many per layout, and per field read by a fallback."""
    layout = func.coalesce(_A.c.layout, "not recorded")
    counted = select(layout, func.count()).where(*where).group_by(layout).order_by(layout)
    by_layout: dict[str, int] = {name: count for name, count in connection.execute(counted)}
    fallbacks: dict[str, int] = {}
    # Few articles carry fallbacks: their JSON lists are counted here, not in dialect SQL.
    rows = connection.execute(
        select(_A.c.fallbacks).where(*where, _A.c.fallbacks.is_not(None))
    ).scalars()
    for fields in rows:
        for name in fields or []:
            fallbacks[name] = fallbacks.get(name, 0) + 1
    return {"by_layout": by_layout, "fallbacks": dict(sorted(fallbacks.items()))}
