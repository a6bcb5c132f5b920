"""Writing WARC/1.1 files with warcio: one gzip member per record, rotated by size.

A file being written is named ``*.warc.gz.open`` (readers skip it) and holds an exclusive
``flock`` while its writer lives; it is renamed to ``*.warc.gz`` when closed. Each record is
flushed as soon as it is written, so a file cut short (SIGKILL, full disk) holds whole records up
to its last one: ``recover_open_files`` cuts such a file after that record and renames it.
"""

from __future__ import annotations

import errno
import fcntl
import gzip
import io
import logging
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from kompas_crawler.capture.reader import whole_records_end
from kompas_crawler.capture.records import (
    OPEN_SUFFIX,
    RESPONSE,
    REVISIT,
    SUFFIX,
    CaptureRef,
    payload_digest,
)

logger = logging.getLogger(__name__)

WARC_VERSION = "1.1"
# Each record is its own gzip member, compressed here rather than by warcio's writer, which uses
# level 9: on a 140 KB article page that takes about twice level 6's time for 2% fewer bytes.
GZIP_LEVEL = 6
# Builds the records; what it writes is never used (records are written by _member).
_BUILDER = WARCWriter(io.BytesIO(), gzip=False, warc_version=WARC_VERSION)


def _member(record: ArcWarcRecord) -> bytes:
    """One WARC record as a gzip member of its own, ready to append to a ``.warc.gz``."""
    buffer = io.BytesIO()
    WARCWriter(buffer, gzip=False, warc_version=WARC_VERSION).write_record(record)
    return gzip.compress(buffer.getvalue(), compresslevel=GZIP_LEVEL, mtime=0)


def _write_all(out: BinaryIO, data: bytes) -> None:
    """Write all of data to an unbuffered file (a raw write may take only part of it)."""
    view = memoryview(data)
    while view:
        written = out.write(view)
        if not written:
            raise OSError(errno.EIO, "the file took no bytes")
        view = view[written:]


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and its response, as sent and received (payload still encoded)."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    protocol: str  # "HTTP/1.1"
    status: int
    response_headers: list[tuple[str, str]]
    payload: bytes
    fetched_at: datetime


@dataclass(frozen=True)
class Original:
    """The earlier capture of an identical payload that a revisit record refers to."""

    url: str
    fetched_at: datetime


class WarcFiles:
    """Writes exchanges as WARC request/response (or revisit) pairs into rotating files."""

    def __init__(self, folder: Path, rotate_bytes: int, software: str) -> None:
        self.folder = folder
        self.rotate_bytes = max(1, rotate_bytes)
        self.software = software
        self.started = datetime.now(UTC)
        self.serial = 0
        self.file: BinaryIO | None = None
        self.name = ""  # of the current file, once closed (no .open)
        self.closed_files: list[str] = []

    def write(
        self, exchange: Exchange, article_id: str | None, original: Original | None
    ) -> CaptureRef:
        """Write one exchange: a ``response`` record, or with ``original`` a ``revisit`` one
        (identical-payload-digest profile), then its ``request``; OSError leaves the file as it
        was before this record."""
        out = self._current()
        digest = payload_digest(exchange.payload)
        date = warc_date(exchange.fetched_at)
        http_headers = StatusAndHeaders(
            f"{exchange.status} {_reason(exchange.status)}",
            exchange.response_headers,
            protocol=exchange.protocol,
        )
        if original is None:
            record = _BUILDER.create_warc_record(
                exchange.url,
                RESPONSE,
                payload=io.BytesIO(exchange.payload),
                length=len(exchange.payload),  # known: warcio need not spool it to a temp file
                http_headers=http_headers,
                warc_headers_dict={"WARC-Date": date, "WARC-Payload-Digest": digest},
            )
        else:
            record = _BUILDER.create_revisit_record(
                exchange.url,
                digest,
                original.url,
                warc_date(original.fetched_at),
                http_headers=http_headers,
                warc_headers_dict={"WARC-Date": date},
            )
        request = _BUILDER.create_warc_record(
            exchange.url,
            "request",
            http_headers=StatusAndHeaders(
                f"{exchange.method} {_request_target(exchange.url)} {exchange.protocol}",
                exchange.request_headers,
                protocol=exchange.protocol,
                is_http_request=True,
            ),
            warc_headers_dict={
                "WARC-Date": date,
                "WARC-Concurrent-To": record.rec_headers.get_header("WARC-Record-ID"),
            },
        )
        response_member = _member(record)
        offset = out.tell()
        length = len(response_member)
        try:
            _write_all(out, response_member + _member(request))
        except OSError:
            self._undo(offset)
            raise
        ref = CaptureRef(
            url=exchange.url,
            article_id=article_id,
            fetched_at=exchange.fetched_at,
            status=exchange.status,
            payload_digest=digest,
            record_type=RESPONSE if original is None else REVISIT,
            warc_file=self.name,
            offset=offset,
            length=length,
        )
        if out.tell() >= self.rotate_bytes:
            self.close()
        return ref

    def close(self) -> None:
        """Close the current file (if any) and give it its final name."""
        if self.file is None:
            return
        out, self.file = self.file, None
        try:
            out.flush()
            os.fsync(out.fileno())
        finally:
            out.close()  # releases the flock
        os.replace(self.folder / (self.name + ".open"), self.folder / self.name)
        self.closed_files.append(self.name)
        logger.info("WARC file written: %s", self.folder / self.name)

    def _current(self) -> BinaryIO:
        if self.file is not None:
            return self.file
        self.folder.mkdir(parents=True, exist_ok=True)
        self.serial += 1
        self.name = f"kompas-{self.started:%Y%m%dT%H%M%SZ}-{os.getpid()}-{self.serial:05d}{SUFFIX}"
        # Unbuffered: each exchange reaches the file in one write as it is made, and after a
        # failed write nothing is left in a buffer to fail again on truncate or close.
        out = open(self.folder / (self.name + ".open"), "xb", buffering=0)  # noqa: SIM115
        fcntl.flock(out.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.file = out
        info = {
            "software": self.software,
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "hostname": socket.gethostname(),
        }
        try:
            _write_all(out, _member(_BUILDER.create_warcinfo_record(self.name, info)))
        except OSError:
            self._undo(0)
            raise
        return out

    def _undo(self, offset: int) -> None:
        """After a failed write: cut the partial record off, close the file under its final name
        (when it holds a record besides warcinfo), and start a new one next time."""
        if self.file is None:
            return
        out, self.file = self.file, None
        try:
            out.truncate(offset)
        except OSError as error:  # the record is cut by recover_open_files on the next run
            logger.error("Could not cut a partial record off %s: %s", self.name, error)
        out.close()
        path = self.folder / (self.name + ".open")
        if offset == 0:
            path.unlink(missing_ok=True)
        else:
            os.replace(path, self.folder / self.name)
            self.closed_files.append(self.name)


def warc_date(moment: datetime) -> str:
    """A WARC-Date: UTC, ISO 8601 with microseconds and ``Z`` (warcio wants it naive)."""
    return str(datetime_to_iso_date(moment.astimezone(UTC).replace(tzinfo=None), use_micros=True))


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _request_target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


# -- files cut short --------------------------------------------------------------------------


def recover_open_files(folder: Path) -> list[Path]:
    """Close ``*.warc.gz.open`` files no living writer holds: cut after their last whole record
    and rename them, so readers see them. Returns the recovered files."""
    recovered = []
    for path in sorted(folder.glob("*" + OPEN_SUFFIX)) if folder.is_dir() else []:
        try:
            with open(path, "rb+") as stream:
                try:
                    fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError as error:
                    if error.errno in (errno.EAGAIN, errno.EACCES):
                        continue  # a running crawl is writing it
                    raise
                end = whole_records_end(path)
                stream.truncate(end)
            final = path.with_name(path.name[: -len(".open")])
            if end == 0:
                path.unlink()
                continue
            os.replace(path, final)
        except OSError as error:
            logger.warning("Could not recover the unfinished WARC file %s: %s", path, error)
            continue
        logger.warning(
            "Recovered %s, cut short by an earlier run, up to its last whole record", final
        )
        recovered.append(final)
    return recovered
