"""The offline mirror middleware: requests go to the mirror, responses come back under real URLs."""

from __future__ import annotations

import pytest
from scrapy import Request, Spider
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from kompas_crawler.errors import ConfigError
from kompas_crawler.middlewares import META_KEY, OfflineMirrorMiddleware, from_mirror, to_mirror

MIRROR = "http://127.0.0.1:8800"
ARTICLE = "https://www.kompas.com/global/read/2022/01/27/210600070/as-tolak?page=all"


class _Spider(Spider):
    name = "test"


def make_crawler(**settings: object):  # type: ignore[no-untyped-def]
    crawler = get_crawler(_Spider, settings_dict=settings)
    crawler.spider = crawler._create_spider()
    return crawler


@pytest.fixture
def middleware() -> OfflineMirrorMiddleware:
    return OfflineMirrorMiddleware.from_crawler(make_crawler(KOMPAS_MIRROR=MIRROR + "/"))


def mirrored(middleware: OfflineMirrorMiddleware, request: Request) -> Request:
    result = middleware.process_request(request)
    assert isinstance(result, Request)
    return result


@pytest.mark.parametrize(
    ("url", "mirror_url"),
    [
        (ARTICLE, f"{MIRROR}/www.kompas.com/global/read/2022/01/27/210600070/as-tolak?page=all"),
        ("https://indeks.kompas.com/?site=global&date=2022-01-27&page=2",
         f"{MIRROR}/indeks.kompas.com/?site=global&date=2022-01-27&page=2"),
        ("https://www.kompas.com/robots.txt", f"{MIRROR}/www.kompas.com/robots.txt"),
        ("https://www.kompas.com/", f"{MIRROR}/www.kompas.com/"),
    ],
)  # fmt: skip
def test_url_mapping_round_trips(url: str, mirror_url: str) -> None:
    assert to_mirror(MIRROR, url) == mirror_url
    assert from_mirror(MIRROR, mirror_url) == url


def test_disabled_without_a_mirror() -> None:
    with pytest.raises(NotConfigured):
        OfflineMirrorMiddleware.from_crawler(make_crawler(KOMPAS_MIRROR=""))


@pytest.mark.parametrize("bad", ["127.0.0.1:8800", "ftp://127.0.0.1", "http://127.0.0.1:1/?x=1"])
def test_unusable_mirror_url_is_a_config_error(bad: str) -> None:
    with pytest.raises(ConfigError, match="KOMPAS_MIRROR"):
        OfflineMirrorMiddleware.from_crawler(make_crawler(KOMPAS_MIRROR=bad))


def test_request_is_sent_to_the_mirror(middleware: OfflineMirrorMiddleware) -> None:
    original = Request(ARTICLE, cb_kwargs={"canonical": "x"}, priority=5)
    request = mirrored(middleware, original)
    assert request.url == to_mirror(MIRROR, ARTICLE)
    assert request.meta[META_KEY]["url"] == ARTICLE
    assert request.cb_kwargs == {"canonical": "x"}
    assert request.priority == 5
    # Already checked under its real URL: the copy skips the offsite and robots.txt checks...
    assert request.meta["dont_obey_robotstxt"] is True
    assert request.meta["allow_offsite"] is True
    assert request.dont_filter is True
    # ...and keeps the real host's download slot (per-host concurrency, AutoThrottle).
    assert request.meta["download_slot"] == "www.kompas.com"
    assert "dont_obey_robotstxt" not in original.meta


def test_response_carries_the_original_url(middleware: OfflineMirrorMiddleware) -> None:
    request = mirrored(middleware, Request(ARTICLE))
    response = HtmlResponse(request.url, body=b"<html></html>", request=request)
    restored = middleware.process_response(request, response)
    assert restored.url == ARTICLE
    assert restored.body == b"<html></html>"


def test_original_scheme_is_kept_when_known(middleware: OfflineMirrorMiddleware) -> None:
    url = "http://internasional.kompas.com/read/2019/12/07/07430001/lama"
    request = mirrored(middleware, Request(url))
    response = Response(request.url, request=request)
    assert middleware.process_response(request, response).url == url


def test_unmirrored_responses_pass_unchanged(middleware: OfflineMirrorMiddleware) -> None:
    response = Response(ARTICLE)
    assert middleware.process_response(Request(ARTICLE), response) is response


def test_retry_is_not_prefixed_twice(middleware: OfflineMirrorMiddleware) -> None:
    crawler = make_crawler(KOMPAS_MIRROR=MIRROR)
    retry = RetryMiddleware.from_crawler(crawler)
    request = mirrored(middleware, Request(ARTICLE))
    response = middleware.process_response(request, Response(request.url, status=503))
    retried = retry.process_response(request, response)
    assert isinstance(retried, Request)
    assert middleware.process_request(retried) is None  # goes out as it is
    assert retried.url == to_mirror(MIRROR, ARTICLE)


@pytest.mark.parametrize(
    "location",
    [
        "/global/read/2022/01/27/210600070/as-tolak-baru",
        "as-tolak-baru",
        "https://www.kompas.com/global/read/2022/01/27/210600070/as-tolak-baru",
        f"{MIRROR}/www.kompas.com/global/read/2022/01/27/210600070/as-tolak-baru",
    ],
)
def test_redirect_is_checked_again_then_mirrored(
    middleware: OfflineMirrorMiddleware, location: str
) -> None:
    crawler = make_crawler(KOMPAS_MIRROR=MIRROR)
    redirect = RedirectMiddleware.from_crawler(crawler)
    request = mirrored(middleware, Request(ARTICLE))
    response = Response(request.url, status=301, headers={"Location": location})
    response = middleware.process_response(request, response)
    redirected = redirect.process_response(request, response)
    assert isinstance(redirected, Request)
    target = "https://www.kompas.com/global/read/2022/01/27/210600070/as-tolak-baru"
    assert redirected.url == target  # joined with the real URL, not the mirror's
    # First back to a plain request, so robots.txt and offsite checks see the new URL...
    checked = mirrored(middleware, redirected)
    assert checked.url == target
    assert META_KEY not in checked.meta
    assert "dont_obey_robotstxt" not in checked.meta
    assert "allow_offsite" not in checked.meta
    assert checked.dont_filter is False
    # ...then to the mirror like any other request.
    again = mirrored(middleware, checked)
    assert again.url == to_mirror(MIRROR, target)


def test_non_http_requests_are_left_alone(middleware: OfflineMirrorMiddleware) -> None:
    assert middleware.process_request(Request("data:text/plain,hello")) is None
