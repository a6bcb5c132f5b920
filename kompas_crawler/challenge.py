"""WAF challenge pages: "blocked, try later", never an empty page or an article.

Kompas's front (AWS WAF, 2026) answers a client it doubts with HTTP 202 (sometimes 403, or a
200) and a JavaScript page holding ``awsWafCookieDomainList`` or ``gokuProps``. Parsed, such a
page is an index with no article (the walk would end there) or an article with no body. This
middleware never lets one reach the spider: it is counted (``kompas/blocked``, and by kind),
every download pauses with a growing backoff (through the crawl's one download pause, as for
Retry-After) and the page is asked again; a page still challenged after every retry is given up
(``kompas/blocked/gave_up``), and ``kompas_crawler.health`` ends such a run ``blocked``.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest

from kompas_crawler.health import BLOCKED_GAVE_UP, BLOCKED_PAGES
from kompas_crawler.retry_after import download_pause
from kompas_crawler.urls import INDEX_HOST, article_id

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

logger = logging.getLogger(__name__)

CHALLENGE_STATUSES = frozenset({200, 202, 403, 405})
# Only the first bytes are looked at: challenge pages are small, articles are not.
_HEAD_BYTES = 64 * 1024
_WAF_MARKER = b"awsWafCookieDomainList"
_CHALLENGE_SCRIPT = re.compile(rb"gokuProps|awswaf\.com|/challenge\.js|AwsWafIntegration", re.I)
# Markup only a real page has: an article's content or a listing's items and paging.
_PAGE_MARKUP = re.compile(
    rb"read__content|read__title|article__list|articleItem|articleList|latest--indeks|paging__wrap"
)


class ChallengeBlocked(IgnoreRequest):
    """A page the site kept answering with a WAF challenge."""


def is_challenge(status: int, body: bytes) -> bool:
    """Whether a response is a WAF challenge page rather than the page asked for."""
    if status not in CHALLENGE_STATUSES:
        return False
    head = body[:_HEAD_BYTES]
    if _WAF_MARKER in head:
        return True
    return bool(_CHALLENGE_SCRIPT.search(head)) and not _PAGE_MARKUP.search(body)


def url_kind(url: str) -> str:
    """``listing``, ``article`` or ``other``: for counting what was challenged."""
    if (urlsplit(url).hostname or "").lower() == INDEX_HOST:
        return "listing"
    return "article" if article_id(url) else "other"


class ChallengeMiddleware:
    """Retries a challenged page after a backoff of KOMPAS_CHALLENGE_BACKOFF seconds, doubled on
    each retry (at most KOMPAS_RETRY_AFTER_MAX), up to KOMPAS_CHALLENGE_RETRIES times."""

    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.pause = download_pause(crawler)
        self.backoff = crawler.settings.getfloat("KOMPAS_CHALLENGE_BACKOFF", 15.0)
        self.retries = crawler.settings.getint("KOMPAS_CHALLENGE_RETRIES", 3)
        self.max_wait = crawler.settings.getfloat("KOMPAS_RETRY_AFTER_MAX", 300.0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ChallengeMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if not is_challenge(response.status, response.body):
            return response
        kind = url_kind(response.url)
        self.stats.inc_value(BLOCKED_PAGES)
        self.stats.inc_value(f"{BLOCKED_PAGES}/{kind}")
        assert self.crawler.spider is not None
        retry = get_retry_request(
            request,
            spider=self.crawler.spider,
            reason="waf_challenge",
            max_retry_times=self.retries,
            give_up_log_level=logging.DEBUG,  # our own line below says it better
        )
        if retry is None:
            self.stats.inc_value(BLOCKED_GAVE_UP)
            self.stats.inc_value(f"{BLOCKED_GAVE_UP}/{kind}")
            logger.warning(
                "HTTP %d WAF challenge for %s, still after %d retries: giving it up",
                response.status,
                response.url,
                self.retries,
            )
            raise ChallengeBlocked(f"WAF challenge: {response.url}")
        wait = min(self.max_wait, self.backoff * 2 ** (int(request.meta.get("retry_times", 0))))
        self.pause.extend(wait)
        logger.info(
            "HTTP %d WAF challenge for %s: pausing downloads %.1fs, then asking again",
            response.status,
            response.url,
            wait,
        )
        return retry
