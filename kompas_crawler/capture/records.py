"""What one capture is: where its WARC record lies, and what the archive's index keeps of it."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

# Closed WARC files, and those still being written (which readers skip).
SUFFIX = ".warc.gz"
OPEN_SUFFIX = SUFFIX + ".open"
RESPONSE = "response"
REVISIT = "revisit"


def payload_digest(payload: bytes) -> str:
    """The WARC-Payload-Digest of a payload as warcio writes it: ``sha1:<base32>``."""
    return "sha1:" + base64.b32encode(hashlib.sha1(payload).digest()).decode("ascii")


@dataclass(frozen=True)
class CaptureRef:
    """One WARC record of a page: a ``response``, or a ``revisit`` of an identical payload."""

    url: str  # the real https://...kompas.com URL (WARC-Target-URI)
    article_id: str | None  # None for a listing page
    fetched_at: datetime  # WARC-Date, UTC-aware
    status: int
    payload_digest: str
    record_type: str  # RESPONSE or REVISIT
    warc_file: str  # file name (no folder), as it is named once closed
    offset: int  # of the record's gzip member in the file
    length: int  # of that gzip member, in bytes

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
