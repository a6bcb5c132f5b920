"""Reading the archive's index of captures (raw pages in WARC files). The write path indexes
them, in the same transaction as the articles read from them (``ArchiveWriter.save_batch``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, Table, func, select

from kompas_crawler.capture.records import RESPONSE, REVISIT, CaptureRef
from kompas_crawler.storage.archive import _find_row_id, articles, to_aware_utc
from kompas_crawler.storage.models import Capture

captures: Table = Capture.__table__  # type: ignore[assignment]


def _ref(row: dict[str, object]) -> CaptureRef:
    fetched_at = to_aware_utc(row["fetched_at"])  # type: ignore[arg-type]
    assert fetched_at is not None
    return CaptureRef(
        url=str(row["url"]),
        article_id=row["article_id"],  # type: ignore[arg-type]
        fetched_at=fetched_at,
        status=int(row["status"]),  # type: ignore[call-overload]
        payload_digest=str(row["payload_digest"]),
        record_type=str(row["record_type"]),
        warc_file=str(row["warc_file"]),
        offset=int(row["offset"]),  # type: ignore[call-overload]
        length=int(row["length"]),  # type: ignore[call-overload]
    )


_FIELDS = [captures.c[name] for name in CaptureRef.__dataclass_fields__]


def newest_capture_id(engine: Engine) -> int | None:
    """The id of the newest indexed capture; None when the archive has none."""
    with engine.connect() as connection:
        found = connection.execute(select(func.max(captures.c.id))).scalar()
    return None if found is None else int(found)


def find_original(engine: Engine, digest: str) -> tuple[str, datetime] | None:
    """The URL and fetch time (UTC-aware) of an indexed response with this payload digest."""
    found = _response_with_digest(engine, digest)
    return None if found is None else (found.url, found.fetched_at)


def _response_with_digest(engine: Engine, digest: str) -> CaptureRef | None:
    query = (
        select(*_FIELDS)
        .where(captures.c.payload_digest == digest, captures.c.record_type == RESPONSE)
        .order_by(captures.c.id)
        .limit(1)
    )
    with engine.connect() as connection:
        row = connection.execute(query).mappings().first()
    return None if row is None else _ref(dict(row))


@dataclass(frozen=True)
class ArticleCapture:
    """The capture an article was read from, and the record holding its payload (the same one,
    or for a revisit the response it refers to; None when the index lacks it)."""

    capture: CaptureRef
    payload: CaptureRef | None


def article_capture(engine: Engine, url_or_article_id: str) -> ArticleCapture | None:
    """The capture the stored article was read from; None if it has none (or is not stored)."""
    with engine.connect() as connection:
        row_id = _find_row_id(connection, url_or_article_id)
        if row_id is None:
            return None
        query = (
            select(*_FIELDS)
            .join(articles, articles.c.capture_id == captures.c.id)
            .where(articles.c.id == row_id)
        )
        row = connection.execute(query).mappings().first()
    if row is None:
        return None
    capture = _ref(dict(row))
    if capture.record_type != REVISIT:
        return ArticleCapture(capture, capture)
    return ArticleCapture(capture, _response_with_digest(engine, capture.payload_digest))
