"""Reading WARC files back: every record of a folder's files, whatever state they are in.

The files hold one gzip member per record, so each member is read on its own: a truncated or
corrupt one is skipped with a warning and counted, and reading goes on at the next member. A file
that is not a WARC file is named and skipped; ``*.warc.gz.open`` files (still being written) are
not read. Records are parsed by warcio.
"""

from __future__ import annotations

import io
import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecordLoader

from kompas_crawler.capture.records import OPEN_SUFFIX, SUFFIX, CaptureRef

logger = logging.getLogger(__name__)

_GZIP_MAGIC = b"\x1f\x8b\x08"
_CHUNK = 1 << 16


@dataclass(frozen=True)
class Record:
    """One WARC record and where it lies."""

    warc_file: str  # file name, no folder
    offset: int
    length: int
    type: str  # response, revisit, request, warcinfo...
    url: str | None
    fetched_at: datetime | None
    payload_digest: str | None
    refers_to_url: str | None  # revisits: the capture holding the payload
    status: int | None
    http_headers: list[tuple[str, str]]
    payload: bytes  # as received (still Content-Encoded); empty for a revisit


@dataclass
class ReadCounts:
    """What reading a folder met besides good records."""

    files: int = 0
    records: int = 0
    bad_records: int = 0
    skipped_files: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Member:
    offset: int
    length: int
    data: bytes | None  # None: truncated or corrupt
    problem: str = ""


def gzip_members(stream: BinaryIO) -> Iterator[_Member]:
    """The gzip members of a seekable stream, decompressed; after a bad one, the next member
    found (by its magic bytes) is read."""
    position = stream.tell()
    pending = stream.read(_CHUNK)
    while pending:
        if not pending.startswith(_GZIP_MAGIC[:2]):
            found = _next_magic(stream, position)
            if found is None:
                yield _Member(position, 0, None, "not gzip data")
                return
            yield _Member(position, found - position, None, "not gzip data")
            position = found
            stream.seek(position)
            pending = stream.read(_CHUNK)
            continue
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        parts: list[bytes] = []
        consumed = 0
        try:
            while True:
                parts.append(inflater.decompress(pending))
                if inflater.eof:
                    rest = inflater.unused_data
                    length = consumed + len(pending) - len(rest)
                    yield _Member(position, length, b"".join(parts))
                    position += length
                    pending = rest if len(rest) >= 2 else rest + stream.read(_CHUNK)
                    break
                consumed += len(pending)
                pending = stream.read(_CHUNK)
                if not pending:
                    yield _Member(position, consumed, None, "truncated")
                    return
        except zlib.error as error:
            found = _next_magic(stream, position + 1)
            end = found if found is not None else stream.seek(0, io.SEEK_END)
            yield _Member(position, end - position, None, f"corrupt ({error})")
            if found is None:
                return
            position = found
            stream.seek(position)
            pending = stream.read(_CHUNK)


def _next_magic(stream: BinaryIO, start: int) -> int | None:
    """The offset of the next gzip header at or after ``start``, or None."""
    stream.seek(start)
    carry = b""
    base = start
    while chunk := stream.read(_CHUNK):
        window = carry + chunk
        found = window.find(_GZIP_MAGIC)
        if found >= 0:
            return base - len(carry) + found
        carry = window[-(len(_GZIP_MAGIC) - 1) :]
        base += len(chunk)
    return None


def whole_records_end(path: Path) -> int:
    """Where the last whole record of a WARC file ends (0: none is whole)."""
    end = 0
    with open(path, "rb") as stream:
        for member in gzip_members(stream):
            if member.data is None:
                break
            end = member.offset + member.length
    return end


def parse_record(warc_file: str, offset: int, length: int, data: bytes) -> Record:
    """A Record from one decompressed gzip member; ArchiveLoadFailed if it is not a WARC record."""
    loader = ArcWarcRecordLoader(verify_http=False, arc2warc=False)
    record = loader.parse_record_stream(io.BytesIO(data), known_format="warc")
    if record.format != "warc":
        raise ArchiveLoadFailed(f"not a WARC record ({record.format})")
    headers = record.rec_headers
    payload = record.raw_stream.read()
    date = headers.get_header("WARC-Date")
    status = None
    http_headers: list[tuple[str, str]] = []
    if record.http_headers is not None and record.rec_type in ("response", "revisit"):
        code = record.http_headers.get_statuscode()
        status = int(code) if code and code.isdigit() else None
        http_headers = list(record.http_headers.headers)
    return Record(
        warc_file=warc_file,
        offset=offset,
        length=length,
        type=record.rec_type,
        url=headers.get_header("WARC-Target-URI"),
        fetched_at=_utc(date),
        payload_digest=headers.get_header("WARC-Payload-Digest"),
        refers_to_url=headers.get_header("WARC-Refers-To-Target-URI"),
        status=status,
        http_headers=http_headers,
        payload=payload if record.rec_type != "revisit" else b"",
    )


def _utc(date: str | None) -> datetime | None:
    """A WARC-Date (ISO 8601, UTC, ``Z``) as an aware datetime; None when absent or malformed."""
    try:
        return datetime.fromisoformat(date).astimezone(UTC) if date else None
    except ValueError:
        return None


def read_file(path: Path, counts: ReadCounts | None = None) -> Iterator[Record]:
    """Every good record of one WARC file; bad ones are logged and counted."""
    counts = counts if counts is not None else ReadCounts()
    with open(path, "rb") as stream:
        if stream.read(2) != _GZIP_MAGIC[:2]:
            logger.warning("Skipping %s: not a gzip-compressed WARC file", path)
            counts.skipped_files.append(str(path))
            return
        stream.seek(0)
        counts.files += 1
        for member in gzip_members(stream):
            if member.data is not None:
                try:
                    record = parse_record(path.name, member.offset, member.length, member.data)
                except (ArchiveLoadFailed, ValueError, EOFError) as error:
                    problem = f"not a WARC record ({error})"
                else:
                    counts.records += 1
                    yield record
                    continue
            else:
                problem = member.problem
            counts.bad_records += 1
            logger.warning(
                "Skipping a %s record in %s at byte %d", problem, path.name, member.offset
            )


def read_folder(folder: Path, counts: ReadCounts | None = None) -> Iterator[Record]:
    """Every good record of a folder's closed WARC files, oldest file first."""
    counts = counts if counts is not None else ReadCounts()
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if not path.is_file() or path.name.endswith(OPEN_SUFFIX):
            continue
        if not path.name.endswith(SUFFIX):
            logger.warning("Skipping %s: not a WARC file (*%s)", path, SUFFIX)
            counts.skipped_files.append(str(path))
            continue
        yield from read_file(path, counts)


def read_indexed(folder: Path, ref: CaptureRef) -> Record:
    """The record an index entry points at: in its file, or the file still being written."""
    path = folder / ref.warc_file
    if not path.exists() and (folder / (ref.warc_file + ".open")).exists():
        path = folder / (ref.warc_file + ".open")
    return read_record(path, ref.offset, ref.length)


def read_record(path: Path, offset: int, length: int) -> Record:
    """The record at ``offset`` of a WARC file; OSError or ArchiveLoadFailed if it is not there."""
    with open(path, "rb") as stream:
        stream.seek(offset)
        data = stream.read(length)
    if len(data) != length:
        raise ArchiveLoadFailed(f"{path.name} ends before byte {offset + length}")
    try:
        inflated = zlib.decompress(data, zlib.MAX_WBITS | 16)
    except zlib.error as error:
        raise ArchiveLoadFailed(f"no whole record at byte {offset} of {path.name}") from error
    return parse_record(path.name, offset, length, inflated)
