"""A captured page as the Scrapy response the spider got: the same parsers read it again."""

from __future__ import annotations

from functools import cache

from scrapy import Request
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.utils.test import get_crawler

from kompas_crawler.capture.reader import Record


@cache
def _decoder() -> HttpCompressionMiddleware:
    """Scrapy's own Content-Encoding decoding (gzip, deflate, br, zstd), as the crawl did it.
    (get_crawler: a crawler that is set up without crawling, which the middleware needs.)"""
    return HttpCompressionMiddleware.from_crawler(
        get_crawler(settings_dict={"DOWNLOAD_MAXSIZE": 0})
    )


def as_response(record: Record, payload: bytes) -> Response:
    """The response of a ``response`` or ``revisit`` record, its payload decoded; ``payload``
    is the record's own, or for a revisit the payload of the capture it refers to."""
    url = str(record.url)
    headers = Headers(record.http_headers)
    cls = responsetypes.from_args(headers=headers, url=url, body=payload)
    request = Request(url)
    raw = cls(url=url, status=record.status or 200, headers=headers, body=payload, request=request)
    decoded = _decoder().process_response(request, raw)
    assert isinstance(decoded, Response)
    return decoded
