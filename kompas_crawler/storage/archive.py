"""The archive's write path (ArchiveWriter) and the reads the crawl and the CLI need.

A batch is written in one transaction with a fixed number of bulk statements, whatever its size:
one SELECT of the stored hashes, bulk name upserts, one insert for new articles, one upsert for
changed ones (their previous version copied to ``article_revisions`` first), one UPDATE of
``last_seen_at`` for unchanged ones, and a bulk rewrite of the changed articles' child rows.
Only the dialect's own ``insert`` (SQLite / PostgreSQL) is used, so any other backend fails loudly.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from kompas_crawler.capture.records import CaptureRef
from kompas_crawler.items import REQUIRED_FIELDS, Article
from kompas_crawler.stemming import stem_text
from kompas_crawler.storage.models import (
    ArticlePerson,
    ArticleRow,
    ArticleSource,
    ArticleStem,
    ArticleTag,
    Capture,
    Person,
    RelatedLink,
    Revision,
    Source,
    Tag,
)
from kompas_crawler.urls import article_id as article_id_from_url
from kompas_crawler.urls import canonical_url

logger = logging.getLogger(__name__)

articles: Table = ArticleRow.__table__  # type: ignore[assignment]
people: Table = Person.__table__  # type: ignore[assignment]
sources: Table = Source.__table__  # type: ignore[assignment]
tags: Table = Tag.__table__  # type: ignore[assignment]
article_people: Table = ArticlePerson.__table__  # type: ignore[assignment]
article_sources: Table = ArticleSource.__table__  # type: ignore[assignment]
article_tags: Table = ArticleTag.__table__  # type: ignore[assignment]
related_links: Table = RelatedLink.__table__  # type: ignore[assignment]
revisions: Table = Revision.__table__  # type: ignore[assignment]
article_stems: Table = ArticleStem.__table__  # type: ignore[assignment]
captures: Table = Capture.__table__  # type: ignore[assignment]

# Keeps every IN (...) list and multi-row VALUES well under SQLite's and PostgreSQL's bind limits.
CHUNK = 500
# An article's content, hashed: not fetched_at (no news), not article_id (it comes from the URL).
HASHED_FIELDS = (
    "url",
    "title",
    "published_at",
    "updated_at",
    "writers",
    "editors",
    "sources",
    "section",
    "subsection",
    "tags",
    "dateline",
    "body",
    "related_urls",
    "image_url",
    "image_caption",
    "image_credit",
)
LIST_FIELDS = ("writers", "editors", "sources", "tags", "related_urls")
# Revision rows keep title/body/dates as columns and everything else of the old version here.
_REVISION_JSON_FIELDS = (
    "url",
    "writers",
    "editors",
    "sources",
    "section",
    "subsection",
    "tags",
    "dateline",
    "related_urls",
    "image_url",
    "image_caption",
    "image_credit",
    "word_count",
)


class NotStored(SQLAlchemyError):
    """Articles the database neither inserted nor holds: the batch is rolled back (the store
    pipeline then saves its articles one by one, counting each that fails)."""


@dataclass(frozen=True)
class SaveCounts:
    """What one save_batch did, one count per article given."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: SaveCounts) -> SaveCounts:
        return SaveCounts(
            self.new + other.new,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
        )


# -- values -------------------------------------------------------------------------------------


def to_naive_utc(value: datetime | None) -> datetime | None:
    """The database form of a datetime: naive UTC (a naive input is taken as UTC already)."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def to_aware_utc(value: datetime | None) -> datetime | None:
    """The Article form of a stored datetime: UTC-aware."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _names(values: Iterable[str] | None) -> list[str]:
    """Cleaned, de-duplicated names in their original order (bylines, tags, sources, links)."""
    seen: dict[str, None] = {}
    for value in values or ():
        name = " ".join(str(value).split())
        if name:
            seen.setdefault(name, None)
    return list(seen)


def _hash_value(value: object) -> object:
    if isinstance(value, datetime):
        return to_naive_utc(value).isoformat()  # type: ignore[union-attr]
    return value


def _cleaned_lists(article: Article) -> dict[str, list[str]]:
    return {name: _names(getattr(article, name)) for name in LIST_FIELDS}


def content_hash(article: Article, lists: dict[str, list[str]] | None = None) -> str:
    """SHA-256 over the article's content (not fetched_at), stable across time zones."""
    payload = {name: _hash_value(getattr(article, name)) for name in HASHED_FIELDS}
    payload.update(lists if lists is not None else _cleaned_lists(article))
    encoded = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _insert(connection: Connection, table: Table) -> Any:
    """The dialect's INSERT, which has on_conflict_do_nothing / on_conflict_do_update."""
    name = connection.dialect.name
    if name == "sqlite":
        return sqlite.insert(table)
    if name == "postgresql":
        return postgresql.insert(table)
    raise NotImplementedError(f"the archive writer supports SQLite and PostgreSQL, not {name}")


@dataclass
class _Prepared:
    """One article of a batch, in database form."""

    article: Article
    key: str  # article_id
    hash: str
    row: dict[str, Any]
    lists: dict[str, list[str]]  # cleaned writers, editors, sources, tags, related_urls


def _prepare(article: Article, seen_at: datetime) -> _Prepared:
    missing = [name for name in REQUIRED_FIELDS if not getattr(article, name)]
    if missing:
        raise ValueError(f"article {article.url!r} lacks {', '.join(missing)}; validate it first")
    url = str(article.url)
    key = article.article_id or article_id_from_url(url)
    if not key:
        # Not a Kompas /read/ URL (tests, future shapes): a stable id from the URL itself.
        key = "u" + hashlib.sha1(url.encode("utf-8")).hexdigest()[:31]
    body = str(article.body)
    lists = _cleaned_lists(article)
    digest = content_hash(article, lists)
    row: dict[str, Any] = {
        "article_id": key,
        "url": url,
        "title": article.title,
        "published_at": to_naive_utc(article.published_at),
        "updated_at": to_naive_utc(article.updated_at),
        "section": article.section,
        "subsection": article.subsection,
        "dateline": article.dateline,
        "body": body,
        "tag_list": ", ".join(lists["tags"]),
        "image_url": article.image_url,
        "image_caption": article.image_caption,
        "image_credit": article.image_credit,
        "word_count": article.word_count if article.word_count is not None else len(body.split()),
        "content_hash": digest,
        "fetched_at": to_naive_utc(article.fetched_at) or seen_at,
        "layout": article.layout,
        "fallbacks": list(article.fallbacks),
        "capture_id": None,  # set once the capture is indexed
    }
    return _Prepared(article, key, digest, row, lists)


def _capture_key(ref: CaptureRef) -> tuple[str, int]:
    return ref.warc_file, ref.offset


def _index_captures(
    connection: Connection, refs: Iterable[CaptureRef]
) -> dict[tuple[str, int], int]:
    """Index these captures (those indexed already are kept); (warc_file, offset) -> row id."""
    unique = {_capture_key(ref): ref for ref in refs}
    if not unique:
        return {}
    rows = [
        {**ref.as_dict(), "fetched_at": to_naive_utc(ref.fetched_at)} for ref in unique.values()
    ]
    connection.execute(_insert(connection, captures).on_conflict_do_nothing(), rows)
    ids: dict[tuple[str, int], int] = {}
    for name, offsets in _group(unique).items():
        for chunk in _chunks(offsets):
            query = select(captures.c.offset, captures.c.id).where(
                captures.c.warc_file == name, captures.c.offset.in_(chunk)
            )
            ids.update(((name, offset), row_id) for offset, row_id in connection.execute(query))
    return ids


def _group(keys: Iterable[tuple[str, int]]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = defaultdict(list)
    for name, offset in keys:
        grouped[name].append(offset)
    return grouped


# -- writing ------------------------------------------------------------------------------------


class ArchiveWriter:
    """Writes batches of articles: new ones inserted, changed ones updated (old version kept as a
    revision, first_seen_at kept), unchanged ones only touched (last_seen_at)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # name -> id of committed people, sources and tags: names are never deleted, so a
        # committed id stays right, and most batches need no name lookup at all.
        self._name_cache: dict[Table, dict[str, int]] = defaultdict(dict)

    def save_batch(
        self,
        batch: Iterable[Article],
        seen_at: datetime,
        captures: Iterable[CaptureRef] = (),
        reason: str = "crawled",
    ) -> SaveCounts:
        """Store a batch in one transaction; idempotent, and safe next to another writer.

        The articles' captures, and ``captures`` (pages that gave no article: listings, dropped
        pages), are indexed in the same transaction; a changed article's revision is kept with
        ``reason`` ("crawled", or "re-extracted" when today's parsers read a capture anew)."""
        seen = to_naive_utc(seen_at) or seen_at
        prepared: dict[str, _Prepared] = {}
        given = 0
        for article in batch:
            given += 1
            item = _prepare(article, seen)
            prepared.pop(item.key, None)  # the last copy of an article in a batch wins
            prepared[item.key] = item
        extra = list(captures)
        if not prepared and not extra:
            return SaveCounts()
        with self.engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                # Take the write lock before reading hashes, so a second writer waits (busy
                # timeout) instead of failing to upgrade a stale read snapshot.
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            fresh_names: dict[Table, dict[str, int]] = defaultdict(dict)
            try:
                counts = self._save(
                    connection, list(prepared.values()), seen, fresh_names, extra, reason
                )
            except BaseException:
                connection.rollback()
                raise
            connection.commit()
        for table, ids in fresh_names.items():
            self._name_cache[table].update(ids)
        # Earlier copies of an article in the same batch were superseded: count them unchanged.
        return SaveCounts(counts.new, counts.updated, counts.unchanged + given - len(prepared))

    def _save(
        self,
        connection: Connection,
        batch: list[_Prepared],
        seen: datetime,
        fresh_names: dict[Table, dict[str, int]],
        extra_captures: list[CaptureRef],
        reason: str,
    ) -> SaveCounts:
        refs = [item.article.capture for item in batch if item.article.capture is not None]
        capture_ids = _index_captures(connection, [*refs, *extra_captures])
        for item in batch:
            if item.article.capture is not None:
                item.row["capture_id"] = capture_ids[_capture_key(item.article.capture)]
        if not batch:
            return SaveCounts()
        stored = _stored_versions(connection, batch)
        inserted = _insert_new(connection, [item for item in batch if item.key not in stored], seen)
        raced = [item for item in batch if item.key not in stored and item.key not in inserted]
        if raced:  # another writer stored them since our SELECT: treat them as stored ones
            stored.update(_stored_versions(connection, raced))
        lost = [item.article.url for item in raced if item.key not in stored]
        if lost:  # neither inserted nor stored: the row they were given clashed with another
            raise NotStored(
                f"{len(lost)} article(s) could not be inserted, and no stored row has their id "
                f"or URL ({lost[0]}): their new row id is taken (on PostgreSQL, an id sequence "
                "behind its table, e.g. after a COPY restore: SELECT setval('articles_id_seq', "
                "(SELECT max(id) FROM articles)))"
            )
        changed = {
            item.key: stored[item.key][0]
            for item in batch
            if item.key in stored and stored[item.key][1] != item.hash
        }
        unchanged = {key: row_id for key, (row_id, _) in stored.items() if key not in changed}
        if changed:
            _keep_revisions(connection, list(changed.values()), seen, reason)
            _update_changed(
                connection, [item for item in batch if item.key in changed], changed, seen
            )
            _delete_children(connection, list(changed.values()))
        _touch_unchanged(
            connection, [item for item in batch if item.key in unchanged], unchanged, seen
        )
        written = {**inserted, **changed}
        names = _NameIds(connection, self._name_cache, fresh_names)
        _insert_children(
            connection, [item for item in batch if item.key in written], written, names
        )
        write_stems(
            connection, [(written[item.key], item.row) for item in batch if item.key in written]
        )
        return SaveCounts(new=len(inserted), updated=len(changed), unchanged=len(unchanged))


def _stored_versions(connection: Connection, batch: list[_Prepared]) -> dict[str, tuple[int, str]]:
    """article_id -> (row id, content hash) for the batch's articles already stored.

    Matched by article_id, or by URL for a row stored under another id, so neither unique
    constraint can be hit by an insert.
    """
    by_url = {item.row["url"]: item.key for item in batch}
    found: dict[str, tuple[int, str]] = {}
    keys = [item.key for item in batch]
    wanted = set(keys)
    urls = list(by_url)
    for key_chunk, url_chunk in zip(_chunks(keys), _chunks(urls), strict=True):
        query = select(
            articles.c.id, articles.c.article_id, articles.c.url, articles.c.content_hash
        ).where(or_(articles.c.article_id.in_(key_chunk), articles.c.url.in_(url_chunk)))
        for row_id, key, url, stored_hash in connection.execute(query):
            target = key if key in wanted else by_url.get(url, key)
            found[target] = (row_id, stored_hash)
    return found


def _insert_new(connection: Connection, new: list[_Prepared], seen: datetime) -> dict[str, int]:
    """Insert the new articles; article_id -> row id of those this writer actually inserted."""
    inserted: dict[str, int] = {}
    if not new:
        return inserted
    rows = [{**item.row, "first_seen_at": seen, "last_seen_at": seen} for item in new]
    statement = (
        _insert(connection, articles)
        .on_conflict_do_nothing()
        .returning(articles.c.id, articles.c.article_id)
    )
    # executemany with RETURNING: SQLAlchemy's "insertmanyvalues" sends multi-row INSERTs from
    # one cached compiled statement (a literal multi-row .values() would recompile every batch).
    inserted.update((key, row_id) for row_id, key in connection.execute(statement, rows))
    return inserted


def _touch_unchanged(
    connection: Connection, items: list[_Prepared], row_ids: dict[str, int], seen: datetime
) -> None:
    """Unchanged articles: seen now, read from their newest capture (if any), and how the
    parsers read them (layout, fallbacks: not content, so not in the content hash)."""
    if not items:
        return
    statement = (
        update(articles)
        .where(articles.c.id == bindparam("row_id"))
        .values(
            last_seen_at=seen,
            layout=bindparam("new_layout"),
            fallbacks=bindparam("new_fallbacks"),
            capture_id=func.coalesce(bindparam("new_capture_id"), articles.c.capture_id),
        )
    )
    rows = [
        {
            "row_id": row_ids[item.key],
            "new_layout": item.row["layout"],
            "new_fallbacks": item.row["fallbacks"],
            "new_capture_id": item.row["capture_id"],
        }
        for item in items
    ]
    connection.execute(statement, rows)


def _keep_revisions(connection: Connection, ids: list[int], seen: datetime, reason: str) -> None:
    """Copy the current version of these articles into article_revisions before replacing it."""
    old_versions = _load_articles(connection, ids)
    rows = []
    for row_id, (article, stored_hash) in old_versions.items():
        rows.append(
            {
                "article_id": row_id,
                "content_hash": stored_hash,
                "title": article.title,
                "body": article.body,
                "published_at": to_naive_utc(article.published_at),
                "updated_at": to_naive_utc(article.updated_at),
                "fields": {name: getattr(article, name) for name in _REVISION_JSON_FIELDS},
                "fetched_at": to_naive_utc(article.fetched_at),
                "replaced_at": seen,
                "reason": reason,
            }
        )
    if rows:
        connection.execute(_insert(connection, revisions).on_conflict_do_nothing(), rows)


def _update_changed(
    connection: Connection, changed: list[_Prepared], row_ids: dict[str, int], seen: datetime
) -> None:
    """Replace the content of changed articles in place: same row id, first_seen_at kept.

    An executemany UPDATE by primary key rather than an upsert on article_id: the stored row may
    have been matched by URL under another id, and the row id is already known.
    """
    for item in changed:
        item.row["last_seen_at"] = seen
    columns = list(changed[0].row)
    statement = (
        update(articles)
        .where(articles.c.id == bindparam("row_id"))
        .values({name: bindparam(f"new_{name}") for name in columns})
    )
    rows = [
        {"row_id": row_ids[item.key], **{f"new_{k}": v for k, v in item.row.items()}}
        for item in changed
    ]
    connection.execute(statement, rows)


STEMMED_COLUMNS = ("title", "body", "tag_list")
STEM_PROGRESS_EVERY = 20_000  # articles between two progress lines of stem_stored_articles


def write_stems(connection: Connection, rows: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """Store the stemmed shadow of these (row id, article row) pairs, replacing any older one:
    what stemmed search finds (its index follows by trigger on SQLite, by the server on
    PostgreSQL)."""
    if not rows:
        return
    stems = [
        {"article_id": row_id, **{name: stem_text(row[name]) for name in STEMMED_COLUMNS}}
        for row_id, row in rows
    ]
    statement = _insert(connection, article_stems)
    replaced = {name: statement.excluded[name] for name in STEMMED_COLUMNS}
    connection.execute(
        statement.on_conflict_do_update(index_elements=["article_id"], set_=replaced), stems
    )


def stem_stored_articles(connection: Connection, batch: int = 1000) -> int:
    """Write the stemmed shadow of every stored article (an upgrade, a bulk load that bypassed
    the writer), ``batch`` at a time in id order, logging progress; how many were stemmed."""
    total = connection.execute(select(func.count()).select_from(articles)).scalar_one()
    columns = (articles.c.id, *(articles.c[name] for name in STEMMED_COLUMNS))
    done, last, logged = 0, 0, 0
    while rows := connection.execute(
        select(*columns).where(articles.c.id > last).order_by(articles.c.id).limit(batch)
    ).all():
        write_stems(connection, [(row.id, row._asdict()) for row in rows])
        done, last = done + len(rows), rows[-1].id
        if done - logged >= STEM_PROGRESS_EVERY or done == total:
            logger.warning("Stemming the archive for search: %d of %d articles", done, total)
            logged = done
    return done


def _delete_children(connection: Connection, ids: list[int]) -> None:
    for table in (article_people, article_sources, article_tags, related_links):
        for chunk in _chunks(ids):
            connection.execute(delete(table).where(table.c.article_id.in_(chunk)))


@dataclass
class _NameIds:
    """Ids of people, sources and tags: from the writer's cache of committed names, else looked
    up and inserted in bulk (collected in ``fresh``, cached by the writer once committed)."""

    connection: Connection
    committed: dict[Table, dict[str, int]]
    fresh: dict[Table, dict[str, int]]

    def __call__(self, table: Table, names: set[str]) -> dict[str, int]:
        cached = self.committed[table]
        ids = {name: cached[name] for name in names if name in cached}
        unknown = sorted(names - ids.keys())
        if not unknown:
            return ids
        found = _select_name_ids(self.connection, table, unknown)
        missing = [name for name in unknown if name not in found]
        if missing:
            # Do nothing on conflict: another writer may add the same name meanwhile.
            self.connection.execute(
                _insert(self.connection, table).on_conflict_do_nothing(
                    index_elements=[table.c.name]
                ),
                [{"name": name} for name in missing],
            )
            found.update(_select_name_ids(self.connection, table, missing))
        self.fresh[table].update(found)
        return {**ids, **found}


def _select_name_ids(connection: Connection, table: Table, names: list[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for chunk in _chunks(names):
        query = select(table.c.name, table.c.id).where(table.c.name.in_(chunk))
        ids.update((name, row_id) for name, row_id in connection.execute(query))
    return ids


def _insert_children(
    connection: Connection,
    written: list[_Prepared],
    ids_by_key: dict[str, int],
    name_ids: _NameIds,
) -> None:
    """Bylines, sources, tags and related links of freshly written articles."""
    if not written:
        return
    lists = {item.key: item.lists for item in written}
    person_ids = name_ids(
        people,
        {name for values in lists.values() for name in values["writers"] + values["editors"]},
    )
    source_ids = name_ids(
        sources, {name for values in lists.values() for name in values["sources"]}
    )
    tag_ids = name_ids(tags, {name for values in lists.values() for name in values["tags"]})

    rows: dict[Table, list[dict[str, Any]]] = defaultdict(list)
    for key, values in lists.items():
        row_id = ids_by_key[key]
        for role in ("writer", "editor"):
            rows[article_people] += [
                {"article_id": row_id, "person_id": person_ids[name], "role": role, "position": i}
                for i, name in enumerate(values[role + "s"])
            ]
        rows[article_sources] += [
            {"article_id": row_id, "source_id": source_ids[name], "position": i}
            for i, name in enumerate(values["sources"])
        ]
        rows[article_tags] += [
            {"article_id": row_id, "tag_id": tag_ids[name], "position": i}
            for i, name in enumerate(values["tags"])
        ]
        rows[related_links] += [
            {"article_id": row_id, "url": url, "position": i}
            for i, url in enumerate(values["related_urls"])
        ]
    for table, table_rows in rows.items():
        if table_rows:
            connection.execute(_insert(connection, table).on_conflict_do_nothing(), table_rows)


# -- reading ------------------------------------------------------------------------------------


def _load_articles(connection: Connection, ids: Sequence[int]) -> dict[int, tuple[Article, str]]:
    """Row id -> (Article, content hash) for these rows, children included, in 5 queries a chunk."""
    loaded: dict[int, tuple[Article, str]] = {}
    for chunk in _chunks(list(ids)):
        for row in connection.execute(select(articles).where(articles.c.id.in_(chunk))).mappings():
            article = Article(
                url=row["url"],
                article_id=row["article_id"],
                title=row["title"],
                published_at=to_aware_utc(row["published_at"]),
                updated_at=to_aware_utc(row["updated_at"]),
                section=row["section"],
                subsection=row["subsection"],
                dateline=row["dateline"],
                body=row["body"],
                image_url=row["image_url"],
                image_caption=row["image_caption"],
                image_credit=row["image_credit"],
                word_count=row["word_count"],
                fetched_at=to_aware_utc(row["fetched_at"]),
                layout=row["layout"],
                fallbacks=list(row["fallbacks"] or []),
            )
            loaded[row["id"]] = (article, row["content_hash"])
        bylines = (
            select(article_people.c.article_id, article_people.c.role, people.c.name)
            .join(people, people.c.id == article_people.c.person_id)
            .where(article_people.c.article_id.in_(chunk))
            .order_by(article_people.c.article_id, article_people.c.position)
        )
        for row_id, role, name in connection.execute(bylines):
            article = loaded[row_id][0]
            (article.writers if role == "writer" else article.editors).append(name)
        for link, names, attribute in (
            (article_sources.c.source_id, sources, "sources"),
            (article_tags.c.tag_id, tags, "tags"),
        ):
            query = (
                select(link.table.c.article_id, names.c.name)
                .join(names, names.c.id == link)
                .where(link.table.c.article_id.in_(chunk))
                .order_by(link.table.c.article_id, link.table.c.position)
            )
            for row_id, name in connection.execute(query):
                getattr(loaded[row_id][0], attribute).append(name)
        query = (
            select(related_links.c.article_id, related_links.c.url)
            .where(related_links.c.article_id.in_(chunk))
            .order_by(related_links.c.article_id, related_links.c.position)
        )
        for row_id, url in connection.execute(query):
            loaded[row_id][0].related_urls.append(url)
    return loaded


def _find_row_id(connection: Connection, url_or_article_id: str) -> int | None:
    candidates = {url_or_article_id}
    if canonical := canonical_url(url_or_article_id):
        candidates.add(canonical)
    if key := article_id_from_url(url_or_article_id):
        candidates.add(key)
    query = select(articles.c.id).where(
        or_(articles.c.url.in_(candidates), articles.c.article_id.in_(candidates))
    )
    return connection.execute(query.limit(1)).scalar()


def load_article(engine: Engine, url_or_article_id: str) -> Article | None:
    """The stored (current) version of an article, by URL (any form) or article_id."""
    with engine.connect() as connection:
        row_id = _find_row_id(connection, url_or_article_id)
        if row_id is None:
            return None
        return _load_articles(connection, [row_id])[row_id][0]


def load_revisions(engine: Engine, url_or_article_id: str) -> list[Article]:
    """Earlier versions of an article, oldest first (fetched_at = when that version was fetched)."""
    with engine.connect() as connection:
        row_id = _find_row_id(connection, url_or_article_id)
        if row_id is None:
            return []
        current = connection.execute(
            select(articles.c.article_id).where(articles.c.id == row_id)
        ).scalar_one()
        query = (
            select(revisions)
            .where(revisions.c.article_id == row_id)
            .order_by(revisions.c.replaced_at, revisions.c.id)
        )
        versions = []
        for row in connection.execute(query).mappings():
            fields = dict(row["fields"] or {})
            versions.append(
                Article(
                    article_id=current,
                    title=row["title"],
                    body=row["body"],
                    published_at=to_aware_utc(row["published_at"]),
                    updated_at=to_aware_utc(row["updated_at"]),
                    fetched_at=to_aware_utc(row["fetched_at"]),
                    **{name: fields[name] for name in _REVISION_JSON_FIELDS if name in fields},
                )
            )
        return versions


def known_urls(
    engine: Engine, urls: Iterable[str], first_seen_before: datetime | None = None
) -> set[str]:
    """Those of these canonical article URLs that are stored (matched by URL or article id,
    so a listing's different slug for a stored article still counts as known); with
    ``first_seen_before``, only those first stored before that time."""
    wanted = list(dict.fromkeys(urls))
    if not wanted:
        return set()
    key_of = {url: article_id_from_url(url) for url in wanted}
    found: set[str] = set()
    with engine.connect() as connection:
        for chunk in _chunks(wanted):
            keys = [key for url in chunk if (key := key_of[url])]
            query = select(articles.c.url, articles.c.article_id).where(
                or_(articles.c.url.in_(chunk), articles.c.article_id.in_(keys))
            )
            if first_seen_before is not None:
                query = query.where(articles.c.first_seen_at < to_naive_utc(first_seen_before))
            stored_urls: set[str] = set()
            stored_keys: set[str] = set()
            for url, key in connection.execute(query):
                stored_urls.add(url)
                stored_keys.add(key)
            found.update(url for url in chunk if url in stored_urls or key_of[url] in stored_keys)
    return found


def urls_published_since(
    engine: Engine, since: datetime, last_seen_before: datetime | None = None
) -> list[str]:
    """URLs of stored articles published at or after ``since``, newest first (for revisits);
    with ``last_seen_before``, only those not seen (fetched) since that time."""
    query = (
        select(articles.c.url)
        .where(articles.c.published_at >= to_naive_utc(since))
        .order_by(articles.c.published_at.desc(), articles.c.id.desc())
    )
    if last_seen_before is not None:
        query = query.where(articles.c.last_seen_at < to_naive_utc(last_seen_before))
    with engine.connect() as connection:
        return list(connection.execute(query).scalars())


def count_articles(engine: Engine) -> int:
    """How many articles the archive holds."""
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(articles)).scalar_one()
