"""The names attached to articles: writers, editors, sources, tags and related URLs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Connection, select

from kompas_crawler.storage.models import (
    ArticlePerson,
    ArticleSource,
    ArticleTag,
    Person,
    RelatedLink,
    Source,
    Tag,
)


def names_by_article(
    connection: Connection, ids: Sequence[int], *, related: bool = False
) -> dict[int, dict[str, list[str]]]:
    """Writers, editors, sources, tags (and related URLs) of each article, in byline order."""
    names: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    if not ids:
        return names
    people = (
        select(ArticlePerson.article_id, ArticlePerson.role, Person.name)
        .join(Person, Person.id == ArticlePerson.person_id)
        .where(ArticlePerson.article_id.in_(ids))
        .order_by(ArticlePerson.article_id, ArticlePerson.position)
    )
    for article, role, name in connection.execute(people):
        names[article][role + "s"].append(name)
    for key, link, entity, entity_id in (
        ("sources", ArticleSource, Source, ArticleSource.source_id),
        ("tags", ArticleTag, Tag, ArticleTag.tag_id),
    ):
        rows = connection.execute(
            select(link.article_id, entity.name)
            .join(entity, entity.id == entity_id)
            .where(link.article_id.in_(ids))
            .order_by(link.article_id, link.position)
        )
        for article, name in rows:
            names[article][key].append(name)
    if related:
        rows = connection.execute(
            select(RelatedLink.article_id, RelatedLink.url)
            .where(RelatedLink.article_id.in_(ids))
            .order_by(RelatedLink.article_id, RelatedLink.position)
        )
        for article, url in rows:
            names[article]["related_urls"].append(url)
    return names
