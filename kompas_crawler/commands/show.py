"""``kompas-crawler show URL_OR_ID``: one article with all its fields and its revisions."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import textwrap
from pathlib import Path
from typing import Any

from warcio.exceptions import ArchiveLoadFailed

from kompas_crawler import settings
from kompas_crawler.capture.reader import read_indexed
from kompas_crawler.capture.replay import as_response
from kompas_crawler.commands._output import (
    add_db_argument,
    add_json_argument,
    print_json,
    printable,
    reading,
    terminal_width,
    wib,
)
from kompas_crawler.errors import KompasError
from kompas_crawler.items import Article
from kompas_crawler.storage.archive import load_article, load_revisions
from kompas_crawler.storage.captures import article_capture
from kompas_crawler.storage.rows import find_article

# Fields compared between versions to say what a revision changed.
_COMPARED = [
    f.name
    for f in dataclasses.fields(Article)
    if f.name not in ("fetched_at", "article_id", "capture")
]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "show",
        help="one article with all its fields and its revisions",
        description="Show one stored article: every field, then its earlier versions.",
    )
    parser.add_argument(
        "key",
        metavar="URL_OR_ID",
        help="article URL (any form: amp, ?page=all...), article id (20220127-210600070) or row id",
    )
    parser.add_argument("--no-body", action="store_true", help="leave the article text out")
    parser.add_argument(
        "--raw", action="store_true", help="print the page's HTML as fetched (its WARC capture)"
    )
    parser.add_argument(
        "--warc",
        metavar="DIR",
        default=settings.KOMPAS_WARC_DIR,
        help="folder of WARC files, for --raw (default: $KOMPAS_WARC_DIR, else data/warc)",
    )
    add_json_argument(parser)
    add_db_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.raw:
        return print_raw(args)
    with reading(args) as engine:
        meta = find_article(engine, args.key)
        if meta is None:
            raise KompasError(
                printable(f"no article {args.key!r} in the archive (try `kompas-crawler search`)")
            )
        article = load_article(engine, meta["url"])
        versions = load_revisions(engine, meta["url"])
    if article is None:  # deleted between the two reads
        raise KompasError(f"no article {args.key!r} in the archive")
    revisions = [
        {"version": version, "changed": changed_fields(version, newer)}
        for version, newer in zip(versions, [*versions[1:], article], strict=False)
    ]
    if args.json:
        print_json(as_json(article, meta, revisions, body=not args.no_body))
    else:
        print(render(article, meta, revisions, body=not args.no_body))
    return 0


def print_raw(args: argparse.Namespace) -> int:
    """The HTML of the capture the article was read from, bytes as the server sent them."""
    with reading(args) as engine:
        found = article_capture(engine, args.key)
        if found is None:
            if find_article(engine, args.key) is None:
                raise KompasError(f"no article {args.key!r} in the archive")
            raise KompasError(f"article {args.key!r} has no capture (stored with capture off)")
    if found.payload is None:
        raise KompasError(
            f"the capture of {args.key!r} is a revisit whose original the archive does not index"
        )
    try:
        record = read_indexed(Path(args.warc), found.payload)
    except (OSError, ArchiveLoadFailed) as error:
        raise KompasError(f"cannot read the capture of {args.key!r}: {error}") from error
    response = as_response(record, record.payload)
    sys.stdout.buffer.write(response.body)
    sys.stdout.flush()
    return 0


def changed_fields(old: Article, new: Article) -> list[str]:
    """The fields a newer version changed (compared as stored: lists and text)."""
    return [name for name in _COMPARED if getattr(old, name) != getattr(new, name)]


def _article_json(article: Article, *, body: bool) -> dict[str, Any]:
    data = dataclasses.asdict(article)
    data.pop("capture")  # not loaded: `show --raw` prints it
    if not body:
        data.pop("body")
    return data


def as_json(
    article: Article, meta: dict[str, Any], revisions: list[dict[str, Any]], *, body: bool
) -> dict[str, Any]:
    """The article for ``print_json``, which writes its datetimes in WIB."""
    data = _article_json(article, body=body)
    data["id"] = meta["id"]
    data["first_seen_at"] = meta["first_seen_at"]
    data["last_seen_at"] = meta["last_seen_at"]
    data["revisions"] = [
        {**_article_json(r["version"], body=body), "changed": r["changed"]} for r in revisions
    ]
    return data


def render(
    article: Article, meta: dict[str, Any], revisions: list[dict[str, Any]], *, body: bool
) -> str:
    width = min(terminal_width(), 100)
    section = " / ".join(part for part in (article.section, article.subsection) if part)
    fields = [
        ("URL", article.url),
        ("Article id", f"{article.article_id} (row {meta['id']})"),
        ("Published", wib(article.published_at)),
        ("Updated", wib(article.updated_at) if article.updated_at else None),
        ("Writers", ", ".join(article.writers)),
        ("Editors", ", ".join(article.editors)),
        ("Sources", ", ".join(article.sources)),
        ("Section", section),
        ("Tags", ", ".join(article.tags)),
        ("Dateline", article.dateline),
        ("Image", article.image_url),
        ("Caption", article.image_caption),
        ("Credit", article.image_credit),
        ("Words", article.word_count),
        ("Fetched", wib(article.fetched_at)),
        ("First seen", wib(meta["first_seen_at"])),
        ("Last seen", wib(meta["last_seen_at"])),
    ]
    lines = [article.title or "", "=" * min(len(article.title or ""), width)]
    lines += [f"{label + ':':<12}{value}" for label, value in fields if value not in (None, "")]
    if article.related_urls:
        lines.append("Related:")
        lines += [f"  {url}" for url in article.related_urls]
    lines.append(f"Revisions:  {len(revisions) or 'none'}")
    for number, revision in enumerate(revisions, 1):
        version = revision["version"]
        changed = ", ".join(revision["changed"]) or "nothing visible"
        lines.append(f"  {number}. fetched {wib(version.fetched_at)}: {version.title}")
        lines.append(f"     then changed: {changed}")
    if body and article.body:
        lines.append("")
        for paragraph in article.body.split("\n"):
            lines.append(textwrap.fill(paragraph, width=width) if paragraph.strip() else "")
    return printable("\n".join(lines))
