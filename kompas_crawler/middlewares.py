"""Downloader middleware: fetch every page from an offline mirror while keeping real URLs."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares import redirect, robotstxt
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from w3lib.url import safe_url_string

from kompas_crawler.errors import ConfigError

logger = logging.getLogger(__name__)

SETTING = "KOMPAS_MIRROR"
# Request.meta key of a mirrored request: what it replaced, so the response and any redirect can
# be put back. Plain strings and bools only: requests may be pickled into a JOBDIR queue.
META_KEY = "kompas_mirror"


def check_mirror_url(mirror: str) -> str:
    """The mirror base URL without a trailing slash; ConfigError if it is not ``http(s)://HOST[:PORT]``."""
    parts = urlsplit(mirror.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(
            f"{SETTING}={mirror!r} is not a mirror base URL; use e.g. http://127.0.0.1:8800"
        )
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def to_mirror(mirror: str, url: str) -> str:
    """``https://HOST/PATH?QUERY`` -> ``MIRROR/HOST/PATH?QUERY``."""
    parts = urlsplit(url)
    return f"{mirror}/{parts.netloc}{parts.path or '/'}" + (
        f"?{parts.query}" if parts.query else ""
    )


def from_mirror(mirror: str, url: str) -> str:
    """``MIRROR/HOST/PATH?QUERY`` -> ``https://HOST/PATH?QUERY`` (the mirror keeps no scheme)."""
    return "https://" + url[len(mirror) + 1 :]


class OfflineMirrorMiddleware:
    """With ``KOMPAS_MIRROR=http://127.0.0.1:PORT``, downloads ``https://HOST/PATH?QUERY`` from
    ``http://127.0.0.1:PORT/HOST/PATH?QUERY`` and hands the response back under the original URL.

    The original request passes the offsite and robots.txt checks under its real URL (robots.txt
    itself is fetched through the mirror too); the mirrored copy is marked to skip them. It sits
    between RedirectMiddleware (600) and DownloaderStats (850): responses get their real URL back
    before retries and redirects see them, and only real downloads are counted.
    """

    def __init__(self, mirror: str) -> None:
        self.mirror = check_mirror_url(mirror)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OfflineMirrorMiddleware:
        mirror = crawler.settings.get(SETTING) or ""
        if not mirror:
            raise NotConfigured(f"{SETTING} not set")
        middleware = cls(mirror)
        logger.info("Offline mirror: fetching every page from %s", middleware.mirror)
        return middleware

    def is_mirrored(self, url: str) -> bool:
        return url.startswith(self.mirror + "/")

    def process_request(self, request: Request) -> Request | None:
        if self.is_mirrored(request.url):
            return None  # already rewritten (e.g. a retry of a mirrored request)
        saved: dict[str, Any] | None = request.meta.get(META_KEY)
        if saved is not None:
            # A redirect of a mirrored request: it inherited the flags that skipped the offsite
            # and robots.txt checks. Restore them, so the new URL is checked like any other.
            meta = {k: v for k, v in request.meta.items() if k != META_KEY}
            for key in ("dont_obey_robotstxt", "allow_offsite", "download_slot"):
                meta.pop(key, None)
                if saved.get(key) is not None:
                    meta[key] = saved[key]
            return request.replace(meta=meta, dont_filter=saved["dont_filter"])
        if urlsplit(request.url).scheme not in ("http", "https"):
            return None
        host = urlsplit(request.url).hostname or ""
        meta = dict(request.meta)
        meta[META_KEY] = {
            "url": request.url,
            "dont_filter": request.dont_filter,
            "dont_obey_robotstxt": request.meta.get("dont_obey_robotstxt"),
            "allow_offsite": request.meta.get("allow_offsite"),
            "download_slot": request.meta.get("download_slot"),
        }
        meta["dont_obey_robotstxt"] = True  # checked already, under the real URL
        meta["allow_offsite"] = True
        meta.setdefault("download_slot", host)  # keep per-host politeness slots
        return request.replace(url=to_mirror(self.mirror, request.url), meta=meta, dont_filter=True)

    def process_response(self, request: Request, response: Response) -> Response:
        if not self.is_mirrored(response.url):
            return response
        original = self.original_url(request, response.url)
        location = response.headers.get(b"Location")
        if 300 <= response.status < 400 and location:
            # RedirectMiddleware joins Location with the (mirrored) request URL: make it absolute
            # against the real URL first, and map a mirror URL back to the real one.
            target = urljoin(original, safe_url_string(location.decode("latin-1")))
            if self.is_mirrored(target):
                target = from_mirror(self.mirror, target)
            headers = response.headers.copy()
            headers[b"Location"] = target
            return response.replace(url=original, headers=headers)
        return response.replace(url=original)

    def original_url(self, request: Request, mirrored_url: str) -> str:
        """The real URL of a mirrored one: as requested when known (keeps ``http://``)."""
        saved = request.meta.get(META_KEY) or {}
        original = saved.get("url")
        if original and to_mirror(self.mirror, original) == mirrored_url:
            return str(original)
        return from_mirror(self.mirror, mirrored_url)


class RobotsTxtMiddleware(robotstxt.RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, fixed for requests that arrive while robots.txt downloads.

    In Scrapy 2.19 with the asyncio reactor, every request for a host waits on one Deferred for
    that host's parser, through ``Deferred.asFuture``, whose callback returns None: the first
    request gets the parser, every other one gets None and is let through unchecked. On a real
    crawl that is most of the first listing's articles. The parser is stored before the Deferred
    fires, so reading it back after the wait gives every request the real one.
    """

    async def robot_parser(self, request: Request) -> RobotParser | None:
        parser = await super().robot_parser(request)
        stored = self._parsers.get(urlparse_cached(request).netloc)
        return parser if isinstance(stored, Deferred) else stored


class MetaRefreshMiddleware(redirect.MetaRefreshMiddleware):
    """Scrapy's meta-refresh redirects, without letting one unreadable ``<base href>``
    (``http://[zz]/``) turn the page into a download error: such a page is passed on as it is."""

    # No spider argument (Scrapy 2.13+ style), unlike the method it overrides.
    def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        try:
            return super().process_response(request, response)
        except ValueError as error:
            logger.info("Unreadable base or refresh URL on %s (%s): page kept", response.url, error)
            return response
