"""Pure text -> value helpers: WIB timestamps, bylines, body text. No Scrapy in here.

Every function takes any string and returns a clean value or None (an empty list for lists); none
of them raises on odd input, because pages in the archive span a decade of markup.
"""

from __future__ import annotations

import logging
import re
import string
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

logger = logging.getLogger(__name__)

WIB = timezone(timedelta(hours=7), "WIB")
WITA = timezone(timedelta(hours=8), "WITA")
WIT = timezone(timedelta(hours=9), "WIT")
_ZONES = {"WIB": WIB, "WITA": WITA, "WIT": WIT}
_ZONE_NAMES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}

# Kompas started publishing online in 1995; anything outside this window is a misparse.
_MIN_YEAR, _MAX_YEAR = 1995, 2100

_MONTHS = {
    "januari": 1, "jan": 1,
    "februari": 2, "pebruari": 2, "feb": 2, "peb": 2,
    "maret": 3, "mar": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "jun": 6,
    "juli": 7, "jul": 7,
    "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "agst": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "okt": 10, "oct": 10,
    "november": 11, "nopember": 11, "nov": 11, "nop": 11,
    "desember": 12, "des": 12, "dec": 12,
}  # fmt: skip
_MONTH_ALTERNATION = "|".join(sorted(_MONTHS, key=len, reverse=True))
_CLOCK = r"(?:\s*[,|]?\s*(?:pukul\s*)?(?P<H>\d{1,2})[:.](?P<M>\d{2})(?:[:.](?P<S>\d{2}))?)?"
_ZONE = r"(?:\s*(?P<zone>WITA|WIT|WIB)\b)?"

# 27/01/2022, 21:06 WIB (day first, always)
_SLASH_FORM = re.compile(
    r"(?<!\d)(?P<d>\d{1,2})[/-](?P<m>\d{1,2})[/-](?P<y>\d{4})(?!\d)" + _CLOCK + _ZONE, re.I
)
# 17 Desember 2025, 09:46 WIB
_NAMED_FORM = re.compile(
    r"(?<!\d)(?P<d>\d{1,2})\s+(?P<mon>" + _MONTH_ALTERNATION + r")\.?\s+(?P<y>\d{4})(?!\d)"
    + _CLOCK + _ZONE,
    re.I,
)  # fmt: skip
# 2022-01-27 21:06:00 (meta, WIB) or 2022-01-27T14:06:00+00:00 (JSON-LD, ISO with offset)
_ISO_FORM = re.compile(
    r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?"
    r"\s*(?P<offset>Z|[+-]\d{2}:?\d{2})?" + _ZONE,
    re.I,
)
# 2 jam yang lalu, 5 menit lalu, kemarin
_RELATIVE_FORM = re.compile(
    r"(?P<n>\d{1,4}|se|satu)\s*(?P<unit>detik|menit|jam|hari|minggu|pekan)\s+(?:yang\s+)?lalu",
    re.I,
)
# kemarin, hari ini, kemarin 10:15 WIB: a day relative to now, with or without a clock time
_NAMED_DAY = re.compile(
    r"\b(?P<day>kemarin lusa|kemarin|hari ini)\b"
    r"(?:,?\s*(?:pukul\s*)?(?P<H>\d{1,2})[:.](?P<M>\d{2}))?" + _ZONE,
    re.I,
)
_DAYS_BACK = {"kemarin lusa": 2, "kemarin": 1, "hari ini": 0}
_RELATIVE_SECONDS = {"detik": 1, "menit": 60, "jam": 3600, "hari": 86400, "minggu": 604800}
_RELATIVE_SECONDS["pekan"] = _RELATIVE_SECONDS["minggu"]
# Only hand a string to dateparser when it could hold a date; it reads "Senin" alone as a date.
_RELATIVE_WORDS = re.compile(
    r"\b(?:kemarin|lalu|hari ini|tadi|lusa|besok|yang akan datang)\b", re.I
)
_WORTH_DATEPARSER = re.compile(r"\d|" + _RELATIVE_WORDS.pattern, re.I)
_DATEPARSER_MAX_LEN = 120

_SPACE = re.compile(r"\s+")

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
# Control characters (terminal escapes among them) are never text: each becomes a space.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ODD = re.compile(_INVISIBLE.pattern[:-1] + _CONTROL.pattern[1:-1] + "]")


def strip_controls(text: str) -> str:
    """``text`` with each control character (but tab and newlines) replaced by a space."""
    return _CONTROL.sub(" ", text)


def clean_text(text: Any) -> str | None:
    """Whitespace collapsed, invisible and control characters dropped; None when nothing is
    left."""
    if not isinstance(text, str):
        return None
    if _ODD.search(text):  # one search on the common path: most text has neither
        text = strip_controls(_INVISIBLE.sub("", text))
    # str.split() knows every Unicode space (NBSP included) and beats a regex substitution.
    return " ".join(text.split()) or None


# --- timestamps -------------------------------------------------------------------------------


def parse_wib_datetime(text: Any, now: datetime | None = None) -> datetime | None:
    """A Kompas timestamp as a UTC-aware datetime, or None.

    Naive times are WIB (UTC+7) unless the text says WITA/WIT or carries an ISO offset. Relative
    forms ("2 jam yang lalu", "kemarin") are resolved against ``now``; without it they give None.
    """
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        parsed = _parse_exact(text, now)
        if parsed is None and _WORTH_DATEPARSER.search(text) and len(text) <= _DATEPARSER_MAX_LEN:
            parsed = _parse_with_dateparser(text, now)
    except (ValueError, OverflowError) as error:
        logger.debug("unreadable timestamp %r: %s", text, error)
        return None
    if parsed is None or not _MIN_YEAR <= parsed.year <= _MAX_YEAR:
        return None
    return parsed.astimezone(UTC)


def utc_datetime(value: Any) -> datetime | None:
    """A datetime (naive taken as UTC) or Kompas timestamp text as a UTC-aware datetime."""
    if isinstance(value, datetime):
        return _aware(value).astimezone(UTC)
    return parse_wib_datetime(value)


def _parse_exact(text: str, now: datetime | None) -> datetime | None:
    for pattern in (_SLASH_FORM, _NAMED_FORM, _ISO_FORM):
        match = pattern.search(text)
        if match is not None:
            return _from_match(match)
    if now is not None:
        return _parse_relative(text, now)
    return None


def _from_match(match: re.Match[str]) -> datetime:
    groups = match.groupdict()
    month = _MONTHS[groups["mon"].lower()] if groups.get("mon") else int(groups["m"])
    tz = _ZONES[groups["zone"].upper()] if groups.get("zone") else WIB
    offset = groups.get("offset")
    if offset:
        tz = _offset_zone(offset)
    return datetime(
        int(groups["y"]),
        month,
        int(groups["d"]),
        int(groups["H"] or 0),
        int(groups["M"] or 0),
        int(groups["S"] or 0),
        tzinfo=tz,
    )


def _offset_zone(offset: str) -> timezone:
    if offset.upper() == "Z":
        return UTC
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def _parse_relative(text: str, now: datetime) -> datetime | None:
    now = _aware(now)
    match = _RELATIVE_FORM.search(text)
    if match is not None:
        count = 1 if match["n"].lower() in {"se", "satu"} else int(match["n"])
        return now - timedelta(seconds=count * _RELATIVE_SECONDS[match["unit"].lower()])
    match = _NAMED_DAY.search(text)
    if match is None:
        return None
    days_back = _DAYS_BACK[_SPACE.sub(" ", match["day"].lower())]
    if match["H"] is None:
        return now - timedelta(days=days_back)
    zone = _ZONES[match["zone"].upper()] if match["zone"] else WIB
    local_day = now.astimezone(zone) - timedelta(days=days_back)
    return local_day.replace(hour=int(match["H"]), minute=int(match["M"]), second=0, microsecond=0)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _parse_with_dateparser(text: str, now: datetime | None) -> datetime | None:
    import dateparser  # lazy: importing it costs ~0.3 s and the common forms never need it

    zone = re.search(r"\b(WITA|WIT|WIB)\b", text, re.I)
    zone_name = _ZONE_NAMES[zone[1].upper()] if zone else "Asia/Jakarta"
    settings: dict[str, Any] = {
        "DATE_ORDER": "DMY",
        "TIMEZONE": zone_name,
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DATES_FROM": "past",
    }
    if now is not None:
        local_zone = _ZONES[zone[1].upper()] if zone else WIB
        settings["RELATIVE_BASE"] = _aware(now).astimezone(local_zone).replace(tzinfo=None)
    elif _RELATIVE_WORDS.search(text):
        return None  # relative to what? No clock in here: the caller passes the fetch time.
    else:
        settings["REQUIRE_PARTS"] = ["day", "month", "year"]
    stripped = re.sub(r"\b(?:WITA|WIT|WIB)\b", " ", text, flags=re.I)
    try:
        parsed = dateparser.parse(stripped, languages=["id"], settings=settings)
    except Exception as error:  # dateparser raises a zoo of types on odd strings
        logger.debug("dateparser failed on %r: %s", text, error)
        return None
    if not isinstance(parsed, datetime):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=WIB)


def url_publish_time(day: Any, article_number: Any) -> datetime | None:
    """The publish time a Kompas URL gives: its date, and the first six digits of its id as
    the WIB time HHMMSS (``2022/01/27`` + ``210600070`` -> 21:06:00 WIB), in UTC."""
    if not isinstance(day, str) or not isinstance(article_number, str):
        return None
    match = re.fullmatch(r"(\d{4})/(\d{2})/(\d{2})", day)
    clock = re.match(r"(\d{2})(\d{2})(\d{2})", article_number)
    if match is None or clock is None:
        return None
    year, month, day_of_month = (int(part) for part in match.groups())
    hour, minute, second = (int(part) for part in clock.groups())
    try:
        local = datetime(year, month, day_of_month, hour, minute, second)
    except ValueError:  # an id whose digits are not a time (HH >= 24...)
        return None
    return local.replace(tzinfo=WIB).astimezone(UTC)


def split_read_time(text: Any) -> tuple[str | None, str | None]:
    """``div.read__time`` text split into (published, updated) at the word "Diperbarui"."""
    cleaned = clean_text(text)
    if cleaned is None:
        return None, None
    published, *updated = re.split(r"\bdiperbarui\b", cleaned, maxsplit=1, flags=re.I)
    return clean_text(published), clean_text(updated[0]) if updated else None


def most_precise(moments: Iterable[datetime | None], what: str = "timestamp") -> datetime | None:
    """The first (most precise) of several readings of one moment; logs readings that disagree.

    Callers list sources from most to least precise. Sources shown to the minute agree with a
    source shown to the second when they fall within the same minute.
    """
    present = [moment for moment in moments if moment is not None]
    if not present:
        return None
    best = present[0]
    for other in present[1:]:
        if abs(other - best) >= timedelta(minutes=1):
            logger.warning("%s sources disagree: %s vs %s; keeping %s", what, best, other, best)
    return best


# --- bylines ----------------------------------------------------------------------------------

_LABELS = r"penulis|editor|penyunting|sumber|reporter|kontributor|fotografer|tim\s+penulis"
# "Oleh" is also a first name (Oleh Sentsov), so as a label it needs its colon.
_LEADING_LABEL = re.compile(r"^(?:(?:(?:" + _LABELS + r")\b\s*:?|oleh\s*:)\s*)+", re.I)
_TRAILING_LABEL = re.compile(r"(?:\s*\b(?:" + _LABELS + r")\s*:?)+$", re.I)
_NAME_SEPARATORS = re.compile(r"\s*(?:[,;|&/\n]|\bdan\b|\band\b)\s*", re.I)
_EDGE_PUNCTUATION = " \t,;:|.-\u2013\u2014\u00b7\u2022"


_WRITER_ROLES = frozenset({"penulis", "reporter", "kontributor", "tim penulis", "writer", "author"})
_EDITOR_ROLES = frozenset({"editor", "penyunting", "redaktur"})


def credit_role(label: Any) -> str | None:
    """``"writer"`` or ``"editor"`` for a credit label ("Penulis", "Editor"); None for anything
    else, "Tim Redaksi" included (a label over several people, not a role)."""
    cleaned = clean_text(label)
    if cleaned is None:
        return None
    word = cleaned.strip(_EDGE_PUNCTUATION).casefold()
    if word in _WRITER_ROLES:
        return "writer"
    if word in _EDITOR_ROLES:
        return "editor"
    return None


def split_names(text: Any) -> list[str]:
    """People in a byline: labels stripped, ``A, B dan C`` split, case and duplicates cleaned."""
    return unique(_fix_case(name) for name in _split_byline(text))


def split_sources(text: Any) -> list[str]:
    """Wire agencies and outlets in a credit line (``Sumber AFP``, ``Reuters, AP``), case kept."""
    return unique(_split_byline(text))


def _split_byline(text: Any) -> list[str]:
    cleaned = clean_text(text)
    if cleaned is None:
        return []
    names = []
    for part in _NAME_SEPARATORS.split(cleaned):
        name = _TRAILING_LABEL.sub("", _LEADING_LABEL.sub("", part)).strip(_EDGE_PUNCTUATION)
        if name and any(char.isalpha() for char in name):
            names.append(name)
    return names


def _fix_case(name: str) -> str:
    # Bylines typed in capitals ("ADITYA JAYA ISWARA") or lower case; mixed case is left alone.
    if name.isupper() or name.islower():
        return string.capwords(name)
    return name


def unique(values: Iterable[Any]) -> list[Any]:
    """Values in first-seen order without repeats (strings compared case-insensitively)."""
    seen: set[Any] = set()
    result = []
    for value in values:
        key = value.casefold() if isinstance(value, str) else value
        if value is not None and key not in seen:
            seen.add(key)
            result.append(value)
    return result


def split_tags(text: Any) -> list[str]:
    """Tags from ``content_tag(s)``: comma separated, whitespace cleaned, duplicates dropped."""
    cleaned = clean_text(text)
    if cleaned is None:
        return []
    return unique(tag for tag in (clean_text(part) for part in cleaned.split(",")) if tag)


# --- body text --------------------------------------------------------------------------------

_NOISE_PARAGRAPH = re.compile(
    r"^(?:baca juga\b"
    r"|advertisement$"
    r"|scroll to continue with content$"
    r"|simak breaking news\b.*whatsapp"
    r"|dapatkan update berita\b"
    r"|download sekarang\b"
    r"|baca berita tanpa iklan\b"
    r"|gabung kompas\.com\s*(?:plus|\+)"
    r"|artikel ini (?:sudah|pernah|telah) (?:tayang|terbit|dimuat)\b"
    r"|copyright\s+(?:\d{4}\s*-\s*\d{4}\s+)?pt\.?\s*kompas cyber media\b"
    r"|berikan komentar\b"
    r"|berita terkait$"
    r"|tim redaksi$"
    r"|lihat foto$"
    r"|\[?video\]?$"
    r")",
    re.I | re.S,
)
_RELATED_PARAGRAPH = re.compile(r"^baca juga\b", re.I)
# "SUMBER: KOMPAS TV (Penulis: ... | Editor: ...)" closing a body, or a 2026 "(Sumber: Reuters)".
_SOURCE_PARAGRAPH = re.compile(
    r"^(?:sumber\s*:\s*(?P<source>[^()]+?)\s*(?:\(.*\))?"
    r"|\(\s*sumber\s*:\s*(?P<wrapped>[^()]+?)\s*\)\.?)\s*$",
    re.I | re.S,
)
_DATELINE = re.compile(
    r"^(?P<place>[A-Z][A-Z .'\u2019()-]*?(?:,\s*[A-Z][A-Z .'\u2019()-]*?)*)"
    r"\s*,\s*KOMPAS\.com\s*[-\u2013\u2014]",
    re.S,
)


def is_noise_paragraph(text: Any) -> bool:
    """True for the lines Kompas puts inside article bodies that are not article text."""
    cleaned = clean_text(text)
    return cleaned is None or bool(_NOISE_PARAGRAPH.match(cleaned))


def source_line(text: Any) -> str | None:
    """The outlet named in a closing ``SUMBER: KOMPAS TV (Penulis: ... | Editor: ...)`` or
    ``(Sumber: Reuters)`` line."""
    cleaned = clean_text(text)
    if cleaned is None:
        return None
    match = _SOURCE_PARAGRAPH.match(cleaned)
    return clean_text(match["source"] or match["wrapped"]) if match else None


def dateline(text: Any) -> str | None:
    """Where a lead paragraph was filed: ``WASHINGTON DC, KOMPAS.com - ...`` -> WASHINGTON DC."""
    cleaned = clean_text(text)
    if cleaned is None:
        return None
    match = _DATELINE.match(cleaned)
    return clean_text(match["place"]) if match else None


def strip_page_suffix(title: Any) -> str | None:
    """``og:title`` of a paged article without its " Halaman all" / " Halaman 2" suffix."""
    cleaned = clean_text(title)
    if cleaned is None:
        return None
    return clean_text(re.sub(r"\s+Halaman\s+(?:all|\d+)$", "", cleaned, flags=re.I))


def strip_site_suffix(title: Any) -> str | None:
    """``<title>`` without the trailing " - Kompas.com" site name."""
    cleaned = clean_text(title)
    if cleaned is None:
        return None
    return clean_text(re.sub(r"\s*[-|]\s*Kompas\.com\s*$", "", cleaned, flags=re.I))


def join_paragraphs(paragraphs: Iterable[Any]) -> str | None:
    """Paragraphs joined by a blank line; None when there are none."""
    kept = [text.strip() for text in paragraphs if isinstance(text, str) and text.strip()]
    return "\n\n".join(kept) or None


def classify_paragraph(text: Any) -> str:
    """What a body line is: "text", "related" (Baca juga), "source" (SUMBER: ...) or "noise"."""
    cleaned = clean_text(text)
    if cleaned is None:
        return "noise"
    if _RELATED_PARAGRAPH.match(cleaned):
        return "related"
    if _SOURCE_PARAGRAPH.match(cleaned):
        return "source"
    if _NOISE_PARAGRAPH.match(cleaned):
        return "noise"
    return "text"


def count_words(text: Any) -> int | None:
    """Words in a body, split on whitespace; None for no body."""
    cleaned = clean_text(text)
    return len(cleaned.split()) if cleaned else None


def image_url(url: Any) -> str | None:
    """An absolute http(s) image URL, or None (lazy-load placeholders, data: URIs)."""
    cleaned = clean_text(url)
    if cleaned is None or not cleaned.lower().startswith(("http://", "https://", "//")):
        return None
    return "https:" + cleaned if cleaned.startswith("//") else cleaned
