"""``kompas-crawler extract FILE [--url URL]``: the fields of one saved Kompas page, as JSON."""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy.http import HtmlResponse

from kompas_crawler.errors import KompasError
from kompas_crawler.pages.article import is_article_page, parse_article
from kompas_crawler.pages.listing import is_listing_page, parse_listing

# A page that names itself lets a listing be read without --url.
_SELF_URL = re.compile(
    rb"""<link[^>]+rel=["']canonical["'][^>]*href=["'](https?://[^"']+)["']"""
    rb"""|<link[^>]+href=["'](https?://[^"']+)["'][^>]*rel=["']canonical["']""",
    re.I,
)
_BINARY_SNIFF = 8192


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "extract",
        help="print the fields of a saved Kompas article or listing page as JSON",
        description=(
            "Print one JSON object for a saved page: an article with every field "
            '({"kind": "article", ...}), or a listing\'s Global article URLs and next page '
            '({"kind": "listing", ...}). Datetimes are ISO-8601 with their UTC offset.'
        ),
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="the saved HTML page")
    parser.add_argument(
        "--url",
        help="the address the page was saved from (needed for listings; "
        "articles fall back to their link[rel=canonical])",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    path: Path = args.file
    body = _read_page(path)
    response = HtmlResponse(url=_page_url(args.url, body, path), body=body)
    fetched_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    if is_article_page(response):
        output = _article_output(response, fetched_at)
    elif is_listing_page(response):
        if args.url is None and response.url.startswith("file:"):
            raise KompasError(f"{path}: a listing page needs --url to resolve its links")
        output = {"kind": "listing", **dataclasses.asdict(parse_listing(response))}
    else:
        raise KompasError(f"{path}: not a Kompas article or listing page")
    print(json.dumps(output, ensure_ascii=False, indent=2, default=_json_value))
    return 0


def _read_page(path: Path) -> bytes:
    try:
        body = path.read_bytes()
    except FileNotFoundError:
        raise KompasError(f"{path}: no such file") from None
    except OSError as error:
        raise KompasError(f"{path}: cannot read it ({error.strerror or error})") from None
    if not body.strip():
        raise KompasError(f"{path}: the file is empty")
    if b"\x00" in body[:_BINARY_SNIFF]:
        raise KompasError(f"{path}: a binary file, not an HTML page")
    return body


def _page_url(url: str | None, body: bytes, path: Path) -> str:
    if url is not None:
        if not re.match(r"https?://", url):
            raise KompasError(f"--url must be an http(s) address, not {url!r}")
        return url
    named = _SELF_URL.search(body)
    if named is not None:
        return (named[1] or named[2]).decode("ascii", "replace")
    return path.resolve().as_uri()


def _article_output(response: HtmlResponse, fetched_at: datetime) -> dict[str, Any]:
    article = parse_article(response, fetched_at)
    fields = dataclasses.asdict(article)
    fields.pop("capture")  # a saved page is no crawl capture
    return {"kind": "article", **fields}


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
