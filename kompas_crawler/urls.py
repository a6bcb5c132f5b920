"""Kompas URL shapes: canonical article URLs, article ids, index pages."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

INDEX_HOST = "indeks.kompas.com"
KOMPAS_DOMAIN = "kompas.com"

# /read/YYYY/MM/DD/<digits>/<slug>, with the section first on www ("/global/read/...").
_READ_PATH = re.compile(
    r"^(?P<prefix>(?:/[a-z0-9-]+)?)/read/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})"
    r"/(?P<id>\d{6,12})(?:/(?P<slug>[^/?#]*))?/?$"
)


def is_kompas_host(host: str | None) -> bool:
    """True for kompas.com and any of its subdomains."""
    host = (host or "").lower().split(":")[0]
    return host == KOMPAS_DOMAIN or host.endswith("." + KOMPAS_DOMAIN)


def join_url(base: str, href: str) -> str | None:
    """``href`` made absolute against ``base``; None for a link no URL parser can read
    (``http://[zz]/x``), so one bad link never costs the page it is on."""
    try:
        url = urljoin(base, href.strip())
        urlsplit(url).hostname  # noqa: B018 (raises ValueError on a broken host)
    except ValueError:
        return None
    return url


def _split_read(url: str) -> tuple[str, re.Match[str]] | None:
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:  # a broken host, e.g. http://[zz]/x
        return None
    if not is_kompas_host(host):
        return None
    match = _READ_PATH.match(parts.path)
    if match is None:
        return None
    return host, match


def canonical_url(url: str) -> str | None:
    """The one URL an article is stored under: https, no query, no fragment, AMP folded to www.

    Returns None for anything that is not a Kompas article URL.
    """
    split = _split_read(url)
    if split is None:
        return None
    host, match = split
    if match["prefix"] or host == KOMPAS_DOMAIN:
        # Section paths (/global/read/...) live on www; amp., indeks., m. copies fold into it.
        host = "www." + KOMPAS_DOMAIN
    slug = match["slug"]
    path = f"{match['prefix']}/read/{match['y']}/{match['m']}/{match['d']}/{match['id']}"
    if slug:
        path += f"/{slug}"
    return urlunsplit(("https", host, path, "", ""))


def article_id(url: str) -> str | None:
    """Stable id from the URL's date and number, e.g. ``20220127-210600070``."""
    split = _split_read(url)
    if split is None:
        return None
    match = split[1]
    return f"{match['y']}{match['m']}{match['d']}-{match['id']}"


def is_global_article_url(url: str) -> bool:
    """True for Global articles: ``www/amp.kompas.com/global/read/...`` and pre-2020
    ``internasional.kompas.com/read/...``."""
    split = _split_read(url)
    if split is None:
        return False
    host, match = split
    if host.startswith("internasional."):
        return match["prefix"] == ""
    return match["prefix"] == "/global"


def whole_article_url(url: str) -> str:
    """The single-page form of a (possibly multi-page) article."""
    canonical = canonical_url(url) or url.split("?")[0].split("#")[0]
    return canonical + "?page=all"


def index_url(day: date | None = None, page: int = 1) -> str:
    """The Global archive index, newest first, or the index of one day."""
    params: dict[str, str] = {"site": "global"}
    if day is not None:
        params["date"] = day.isoformat()
    if page > 1:
        params["page"] = str(page)
    return urlunsplit(("https", INDEX_HOST, "/", urlencode(params), ""))
