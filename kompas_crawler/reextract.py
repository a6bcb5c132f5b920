"""Re-reading the archive from its WARC files with today's parsers, no network.

Every article's latest capture (the whole-article one, for a multi-page article) is parsed again
as the crawl would; changed articles are updated and their previous version kept as a revision
(reason ``re-extracted``), articles the archive lacks are inserted, so an empty archive is rebuilt
from the files alone. Captures are indexed on the way, the same transaction as their articles.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from warcio.exceptions import ArchiveLoadFailed

from kompas_crawler.capture.reader import ReadCounts, Record, read_folder, read_record
from kompas_crawler.capture.records import RESPONSE, REVISIT, CaptureRef
from kompas_crawler.capture.replay import as_response
from kompas_crawler.items import Article
from kompas_crawler.pages.article import has_more_pages, parse_article
from kompas_crawler.pipelines.validate import missing_fields
from kompas_crawler.spiders.kompas_global import KompasGlobalSpider
from kompas_crawler.storage.archive import (
    ArchiveWriter,
    _load_articles,
    articles,
    content_hash,
)
from kompas_crawler.storage.captures import captures
from kompas_crawler.urls import article_id, canonical_url

logger = logging.getLogger(__name__)

REASON = "re-extracted"
BATCH = 200
# Compared between the stored and the re-extracted article, for the field-by-field summary.
COMPARED = [
    f.name for f in fields(Article) if f.name not in ("article_id", "fetched_at", "capture")
]


@dataclass
class Report:
    """What a reextract run found and did."""

    dry_run: bool = False
    files: int = 0
    records: int = 0
    bad_records: int = 0
    skipped_files: list[str] = field(default_factory=list)
    articles: int = 0  # articles with a capture, after --since/--until
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: Counter[str] = field(default_factory=Counter)  # reason -> pages
    changed_fields: Counter[str] = field(default_factory=Counter)  # field -> articles
    missing_captures: int = 0  # indexed captures whose WARC record is not in the folder

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "warc_files": self.files,
            "records": self.records,
            "bad_records": self.bad_records,
            "skipped_files": self.skipped_files,
            "articles": self.articles,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": dict(sorted(self.failed.items())),
            "changed_fields": dict(self.changed_fields.most_common()),
            "missing_captures": self.missing_captures,
        }


@dataclass(frozen=True)
class _Found:
    """A response or revisit record of an article page, without its payload."""

    ref: CaptureRef
    canonical: str


def _ref(record: Record) -> CaptureRef:
    assert record.url is not None and record.fetched_at is not None
    return CaptureRef(
        url=record.url,
        article_id=article_id(record.url),
        fetched_at=record.fetched_at,
        status=record.status or 0,
        payload_digest=record.payload_digest or "",
        record_type=record.type,
        warc_file=record.warc_file,
        offset=record.offset,
        length=record.length,
    )


def _in_range(canonical: str, since: date | None, until: date | None) -> bool:
    """Whether the article's publish day (WIB, from its URL) is in the range."""
    if since is None and until is None:
        return True
    parts = canonical.split("/read/", 1)[-1].split("/")
    try:
        day = date(int(parts[0]), int(parts[1]), int(parts[2]))
    except (ValueError, IndexError):
        return False
    return (since is None or day >= since) and (until is None or day <= until)


class Reextractor:
    """One reextract run over a folder of WARC files into one archive."""

    def __init__(
        self,
        engine: Engine,
        folder: Path,
        *,
        since: date | None = None,
        until: date | None = None,
        dry_run: bool = False,
    ) -> None:
        self.engine = engine
        self.folder = folder
        self.since = since
        self.until = until
        self.report = Report(dry_run=dry_run)
        self.writer = ArchiveWriter(engine)
        self.payloads: dict[str, CaptureRef] = {}  # digest -> a response record holding it

    def scan(self) -> tuple[dict[str, list[_Found]], list[CaptureRef]]:
        """Article key -> its captures (newest first), and the other pages' captures."""
        counts = ReadCounts()
        pages: dict[str, list[_Found]] = {}
        others: list[CaptureRef] = []
        for record in read_folder(self.folder, counts):
            if record.type not in (RESPONSE, REVISIT) or not record.url or not record.fetched_at:
                continue
            ref = _ref(record)
            if record.type == RESPONSE:
                self.payloads.setdefault(ref.payload_digest, ref)
            canonical = canonical_url(record.url)
            key = article_id(canonical) if canonical else None
            if canonical is None or key is None:  # not an article page, of any section
                others.append(ref)
                continue
            if _in_range(canonical, self.since, self.until):
                pages.setdefault(key, []).append(_Found(ref, canonical))
        for found in pages.values():
            found.sort(key=lambda item: item.ref.fetched_at, reverse=True)
        self.report.files = counts.files
        self.report.records = counts.records
        self.report.bad_records = counts.bad_records
        self.report.skipped_files = counts.skipped_files
        self.report.articles = len(pages)
        return pages, others

    def missing_captures(self, present: set[tuple[str, int]]) -> int:
        """Indexed captures of stored articles that the folder's files do not hold."""
        query = select(captures.c.warc_file, captures.c.offset).join(
            articles, articles.c.capture_id == captures.c.id
        )
        with self.engine.connect() as connection:
            missing = [row for row in connection.execute(query) if tuple(row) not in present]
        if missing:
            name, offset = missing[0]
            logger.warning(
                "%d captures the archive points at are not in %s (first: %s at byte %d)",
                len(missing),
                self.folder,
                name,
                offset,
            )
        return len(missing)

    def article_of(self, found: list[_Found]) -> tuple[Article | None, str]:
        """The article read from the newest whole capture; (None, reason) when none gives one."""
        reason = "no_whole_page"
        for item in found:
            ref = item.ref
            holder = ref if ref.record_type == RESPONSE else self.payloads.get(ref.payload_digest)
            if holder is None:
                return None, "missing_payload"
            try:
                record = read_record(self.folder / holder.warc_file, holder.offset, holder.length)
            except (OSError, ArchiveLoadFailed, ValueError) as error:
                logger.warning(
                    "Cannot read %s at byte %d: %s", holder.warc_file, holder.offset, error
                )
                return None, "unreadable_record"
            # A revisit's payload (and its encoding headers) are those of the record it refers to.
            response = as_response(replace(record, url=ref.url), record.payload)
            if has_more_pages(response):  # type: ignore[arg-type]
                continue  # page 1 of several: the whole article is another capture
            article = parse_article(response, ref.fetched_at)  # type: ignore[arg-type]
            article = KompasGlobalSpider.with_canonical_url(article, item.canonical)
            article.capture = ref
            missing = missing_fields(article)
            if missing:
                return None, f"missing_{missing[0]}"
            return article, ""
        return None, reason

    def run(self, progress: Callable[[int], None] | None = None) -> Report:
        pages, others = self.scan()
        present = {(f.ref.warc_file, f.ref.offset) for found in pages.values() for f in found}
        present |= {(ref.warc_file, ref.offset) for ref in others}
        self.report.missing_captures = self.missing_captures(present)
        batch: list[Article] = []
        for key in sorted(pages):
            article, reason = self.article_of(pages[key])
            if progress is not None:
                progress(1)
            if article is None:
                self.report.failed[reason] += 1
                continue
            batch.append(article)
            if len(batch) >= BATCH:
                self.save(batch)
                batch = []
        self.save(batch)
        if not self.report.dry_run:
            # Every other capture too (listings, failed pages, page 1 of a multi-page article):
            # the index lists what the files hold.
            others += [f.ref for found in pages.values() for f in found]
            for chunk in _chunked(others, 1000):
                self.writer.save_batch([], datetime.now(UTC), chunk)
        return self.report

    def save(self, batch: list[Article]) -> None:
        if not batch:
            return
        stored = self.stored(batch)
        for article in batch:
            old = stored.get(str(article.article_id))
            if old is None:
                continue
            for name in COMPARED:
                if getattr(old, name) != getattr(article, name):
                    self.report.changed_fields[name] += 1
        if self.report.dry_run:
            for article in batch:
                old = stored.get(str(article.article_id))
                if old is None:
                    self.report.new += 1
                elif content_hash(old) != content_hash(article):
                    self.report.updated += 1
                else:
                    self.report.unchanged += 1
            return
        counts = self.writer.save_batch(batch, datetime.now(UTC), reason=REASON)
        self.report.new += counts.new
        self.report.updated += counts.updated
        self.report.unchanged += counts.unchanged

    def stored(self, batch: list[Article]) -> dict[str, Article]:
        keys = [str(article.article_id) for article in batch]
        with self.engine.connect() as connection:
            ids = dict(
                connection.execute(
                    select(articles.c.id, articles.c.article_id).where(
                        articles.c.article_id.in_(keys)
                    )
                ).all()
            )
            loaded = _load_articles(connection, list(ids))
        return {ids[row_id]: article for row_id, (article, _) in loaded.items()}


def _chunked(values: list[CaptureRef], size: int) -> Iterator[list[CaptureRef]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def summary_lines(report: Report) -> Iterable[str]:
    """The report as a person reads it: counts, then what changed field by field."""
    verb = "would be" if report.dry_run else "were"
    yield (
        f"Read {report.records:,} records in {report.files:,} WARC files: "
        f"{report.articles:,} articles"
    )
    yield (
        f"{report.new:,} new, {report.updated:,} changed, {report.unchanged:,} unchanged "
        f"({'dry run: nothing written' if report.dry_run else 'written'})"
    )
    for name, count in report.changed_fields.most_common():
        yield f"  {name} changed on {count:,} articles"
    for reason, count in sorted(report.failed.items()):
        yield f"{count:,} pages still give no article: {reason}"
    if report.bad_records:
        yield f"{report.bad_records:,} truncated or corrupt records {verb} skipped"
    for path in report.skipped_files:
        yield f"skipped (not a WARC file): {path}"
    if report.missing_captures:
        yield f"{report.missing_captures:,} captures the archive points at are not in the files"
