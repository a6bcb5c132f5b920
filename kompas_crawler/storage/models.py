"""The archive's tables. Timestamps are stored as naive UTC (SQLite keeps no zone)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ArchiveMeta(Base):
    """Facts about the archive itself, e.g. ``schema_version`` (the layout of these tables)."""

    __tablename__ = "archive_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ArticleRow(Base):
    """One article, under its canonical URL; the current version of its content."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[str] = mapped_column(String(32), unique=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    title: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    section: Mapped[str | None] = mapped_column(Text)
    subsection: Mapped[str | None] = mapped_column(Text)
    dateline: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    # Tags joined by ", ": the full-text index reads it; the tags table is for filtering.
    tag_list: Mapped[str] = mapped_column(Text, default="")
    image_url: Mapped[str | None] = mapped_column(Text)
    image_caption: Mapped[str | None] = mapped_column(Text)
    image_credit: Mapped[str | None] = mapped_column(Text)
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    content_hash: Mapped[str] = mapped_column(String(64))
    fetched_at: Mapped[datetime] = mapped_column(DateTime)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)
    # How the page was read: the markup it matched, and the fields taken from a fallback.
    layout: Mapped[str | None] = mapped_column(Text)
    fallbacks: Mapped[list[str] | None] = mapped_column(JSON)
    # The raw page (WARC record) this version was read from; NULL when capture was off.
    capture_id: Mapped[int | None] = mapped_column(
        ForeignKey("captures.id", name="fk_articles_capture_id", ondelete="SET NULL"), index=True
    )


class ArticleStem(Base):
    """The stemmed shadow of an article's title, body and tags (kompas_crawler.stemming), written
    with the article: what stemmed search indexes (``article_stems_fts`` on SQLite)."""

    __tablename__ = "article_stems"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    tag_list: Mapped[str] = mapped_column(Text, default="")


class Capture(Base):
    """A page as fetched, kept in a WARC file: where its record is, and what it held.

    ``record_type`` is ``response`` (the page itself) or ``revisit`` (fetched again with the same
    payload digest: the payload is in the ``response`` capture of that digest).
    """

    __tablename__ = "captures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)  # the real https://...kompas.com URL fetched
    article_id: Mapped[str | None] = mapped_column(String(32), index=True)  # None: a listing
    fetched_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[int] = mapped_column(Integer)
    payload_digest: Mapped[str] = mapped_column(String(64), index=True)
    record_type: Mapped[str] = mapped_column(String(16))
    warc_file: Mapped[str] = mapped_column(Text)  # file name, in the WARC directory
    offset: Mapped[int] = mapped_column(BigInteger)
    length: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (UniqueConstraint("warc_file", "offset", name="uq_captures_record"),)


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)


class ArticlePerson(Base):
    """A byline: who wrote or edited an article, in byline order."""

    __tablename__ = "article_people"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)  # "writer" | "editor"
    position: Mapped[int] = mapped_column(Integer, default=0)


class Source(Base):
    """A wire agency or partner outlet (AFP, Reuters, Kompas TV...)."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)


class ArticleSource(Base):
    __tablename__ = "article_sources"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)


class ArticleTag(Base):
    __tablename__ = "article_tags"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class RelatedLink(Base):
    """An inline "Baca juga" link from an article to another one."""

    __tablename__ = "related_links"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    url: Mapped[str] = mapped_column(Text, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Revision(Base):
    """A version of an article that a later crawl replaced: edits never erase what was published."""

    __tablename__ = "article_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    # writers, editors, sources, tags, image... as they were: the fields that are not columns here.
    fields: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    fetched_at: Mapped[datetime] = mapped_column(DateTime)  # when this version was fetched
    replaced_at: Mapped[datetime] = mapped_column(DateTime)  # when a newer version replaced it
    # Why it was replaced: "crawled" (a crawl read something else) or "re-extracted" (today's
    # parsers read the same capture differently).
    reason: Mapped[str] = mapped_column(String(16), default="crawled", server_default="crawled")

    __table_args__ = (UniqueConstraint("article_id", "content_hash", "fetched_at"),)


class CrawlRun(Base):
    """What one crawl did: the stats a user sees at the end of a run are the ones stored."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    spider: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    arguments: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    # running | ok | failed | degraded | blocked (see kompas_crawler.health)
    status: Mapped[str] = mapped_column(String(16), default="running")
    finish_reason: Mapped[str | None] = mapped_column(Text)
    pid: Mapped[int | None] = mapped_column(Integer)
    # The running row is the archive's crawl lock: host and process start time tell a live owner
    # from a dead one (or from an unrelated process that reused the pid).
    host: Mapped[str | None] = mapped_column(String(255))
    process_started: Mapped[str | None] = mapped_column(String(32))
    requests: Mapped[int] = mapped_column(Integer, default=0)
    responses_by_status: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    articles_new: Mapped[int] = mapped_column(Integer, default=0)
    articles_updated: Mapped[int] = mapped_column(Integer, default=0)
    articles_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    dropped_by_reason: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    stats: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    # incremental (the newest-first walk) | backfill (a range of days, shared out by day claims)
    kind: Mapped[str] = mapped_column(
        String(16), default="incremental", server_default="incremental"
    )

    # At most one running incremental crawl per archive, enforced by the database itself;
    # backfill runs share the work through day_claims instead, as many as are started.
    __table_args__ = (
        Index(
            "uq_crawl_runs_one_incremental",
            "status",
            unique=True,
            sqlite_where=text("status = 'running' AND kind = 'incremental'"),
            postgresql_where=text("status = 'running' AND kind = 'incremental'"),
        ),
    )


class IndexDay(Base):
    """A day of a site's archive index walked to its last page with every article stored or
    dropped: backfills skip it unless refreshing."""

    __tablename__ = "index_days"

    site: Mapped[str] = mapped_column(String(64), primary_key=True, default="global")
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    completed_at: Mapped[datetime] = mapped_column(DateTime)
    article_count: Mapped[int] = mapped_column(Integer, default=0)


class DayClaim(Base):
    """Which backfill worker walks a day of a site's index (see ``storage.claims``).

    ``status``: ``open`` (nobody walked it yet), ``walking`` (held by the worker named, while
    ``lease_until`` is in the future), ``partial`` (walked, not every article stored: claimable
    again) or ``done`` (the day is in ``index_days``). Times are naive UTC, of the workers' clocks.
    """

    __tablename__ = "day_claims"

    site: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    process_started: Mapped[str | None] = mapped_column(String(32))
    run_id: Mapped[int | None] = mapped_column(Integer)  # the crawl_runs row of the worker
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    released_at: Mapped[datetime | None] = mapped_column(DateTime)
    walks: Mapped[int] = mapped_column(Integer, default=0)  # times claimed
    # What the last walk of the day found: articles listed, and stored of those, at release.
    listed: Mapped[int | None] = mapped_column(Integer)
    stored: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_day_claims_status", "site", "status", "day"),)


class DroppedArticle(Base):
    """An article listed but not stored (dropped for a missing field, challenged, failed to
    download): retried with backoff until stored, then deleted; ``next_try`` None: given up."""

    __tablename__ = "dropped_articles"

    url: Mapped[str] = mapped_column(Text, primary_key=True)  # canonical
    article_id: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)  # the last try's, e.g. missing_body, blocked
    first_try: Mapped[datetime] = mapped_column(DateTime)
    last_try: Mapped[datetime] = mapped_column(DateTime)
    tries: Mapped[int] = mapped_column(Integer, default=1)
    next_try: Mapped[datetime | None] = mapped_column(DateTime, index=True)


# A name's articles, read from the index alone (a search filter's set of ids): the article id
# after the name's.
Index(
    "ix_article_people_role_article",
    ArticlePerson.role,
    ArticlePerson.person_id,
    ArticlePerson.article_id,
)
Index("ix_article_sources_source_article", ArticleSource.source_id, ArticleSource.article_id)
Index("ix_article_tags_tag_article", ArticleTag.tag_id, ArticleTag.article_id)
