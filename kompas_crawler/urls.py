"""Kompas URL shapes: canonical article URLs, article ids, sections, index pages.

An article lives on its section's own host (``nasional.kompas.com/read/...``,
``internasional.kompas.com/read/...``) or under www with the section first
(``www.kompas.com/global/read/...``, ``www.kompas.com/tren/read/...``); ``amp.kompas.com/<section>/
read/...`` is the AMP copy of either. The section named by the host or the path is the URL's
*channel* (Kompas's own pages call it "kanal" and read it the same way). An indeks ``site`` value
names the channels its index lists: usually the one of the same name, several for a few.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

INDEX_HOST = "indeks.kompas.com"
KOMPAS_DOMAIN = "kompas.com"
DEFAULT_SITE = "global"
ALL_SITES = "all"  # the indeks of every section
# An indeks site value: lowercase letters, digits and inner hyphens (news, money, cekfakta...).
_SITE_VALUE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
# Sites listing more channels than their own name (as the reference pages show them): Global was
# Internasional before 2020, Money was ekonomi.kompas.com in 2017, News groups these.
SITE_CHANNELS: dict[str, tuple[str, ...]] = {
    "global": ("global", "internasional"),
    "money": ("money", "ekonomi"),
    "news": ("nasional", "regional", "megapolitan", "global", "internasional"),
}
# Channels with a host of their own (seen in the 2017 home page and the 2019 page): their AMP
# copies (amp.kompas.com/nasional/read/...) fold into that host, every other channel into www.
_OWN_HOST_CHANNELS = frozenset(
    {"nasional", "regional", "megapolitan", "internasional", "ekonomi", "money", "bola"}
    | {"olahraga", "properti", "lifestyle", "edukasi", "tekno", "travel", "otomotif"}
)
# Hosts that copy articles of every channel, the channel first in the path.
_COPY_HOSTS = frozenset({"www", "amp", "m", "indeks"})

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
    prefix = match["prefix"]
    if prefix[1:] in _OWN_HOST_CHANNELS and _host_label(host) in _COPY_HOSTS - {"www"}:
        # The AMP (m., indeks.) copy of an article of a section with a host of its own.
        host, prefix = f"{prefix[1:]}.{KOMPAS_DOMAIN}", ""
    elif prefix or host == KOMPAS_DOMAIN:
        # Section paths (/global/read/...) live on www; amp., indeks., m. copies fold into it.
        host = "www." + KOMPAS_DOMAIN
    slug = match["slug"]
    path = f"{prefix}/read/{match['y']}/{match['m']}/{match['d']}/{match['id']}"
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


def _host_label(host: str) -> str:
    return host.removesuffix(KOMPAS_DOMAIN).rstrip(".").rsplit(".", 1)[-1]


def url_channel(url: str) -> str | None:
    """The section an article URL names: its path's first part on a host copying every channel
    (``www.kompas.com/tren/read`` -> ``tren``), else its host's (``nasional.kompas.com/read`` ->
    ``nasional``); None for a URL that is not an article or names no section."""
    split = _split_read(url)
    if split is None:
        return None
    host, match = split
    label = _host_label(host)
    if label in _COPY_HOSTS or not label:
        return match["prefix"][1:] or None
    return label


def url_section(url: str) -> str | None:
    """The section as a page would name it, from the URL alone (``Nasional``, ``Tren``)."""
    channel = url_channel(url)
    return channel.replace("-", " ").title() if channel else None


def is_site_value(site: str) -> bool:
    """True for something shaped like an indeks ``site`` value (``news``, ``cekfakta``)."""
    return bool(_SITE_VALUE.match(site))


def site_channels(site: str) -> tuple[str, ...]:
    """The channels the indeks of ``site`` lists (``site=all``: every one, as ``()``)."""
    return () if site == ALL_SITES else SITE_CHANNELS.get(site, (site,))


def is_site_article_url(url: str, site: str) -> bool:
    """True for an article of the indeks ``site`` (``all``: any Kompas article)."""
    if site == ALL_SITES:
        return article_id(url) is not None
    return url_channel(url) in site_channels(site)


def is_global_article_url(url: str) -> bool:
    """True for Global articles: ``www/amp.kompas.com/global/read/...`` and pre-2020
    ``internasional.kompas.com/read/...``."""
    return is_site_article_url(url, DEFAULT_SITE)


def whole_article_url(url: str) -> str:
    """The single-page form of a (possibly multi-page) article."""
    canonical = canonical_url(url) or url.split("?")[0].split("#")[0]
    return canonical + "?page=all"


def index_url(day: date | None = None, page: int = 1, site: str = DEFAULT_SITE) -> str:
    """The archive index of an indeks ``site`` (Global by default), newest first, or of one
    day."""
    params: dict[str, str] = {"site": site}
    if day is not None:
        params["date"] = day.isoformat()
    if page > 1:
        params["page"] = str(page)
    return urlunsplit(("https", INDEX_HOST, "/", urlencode(params), ""))
