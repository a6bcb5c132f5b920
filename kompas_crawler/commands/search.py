"""``kompas-crawler search QUERY``: full-text search, best matches first."""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

from kompas_crawler.commands._output import (
    BOLD,
    RESET,
    add_db_argument,
    add_filter_arguments,
    add_json_argument,
    color_enabled,
    filters_from,
    positive_int,
    print_json,
    printable,
    reading,
    terminal_width,
    wib,
)
from kompas_crawler.storage.search import DEFAULT_MARK, SearchResult, search

PLACEHOLDER_MARK = ("\ue000", "\ue001")

EXAMPLES = """\
query syntax (SQLite FTS5): words side by side must all match; "a phrase"; OR; NOT; prefix*;
NEAR(a b, 5); title:word (also body:, tag_list:). Accents are ignored (cafe finds café).
A word also finds its other forms (serangan finds menyerang, diserang; tuntut finds tuntutan),
the form typed ranked first; "a phrase" and --exact match the text as written.
examples:
  kompas-crawler search NATO Ukraina
  kompas-crawler search serangan --exact
  kompas-crawler search '"Laut Hitam" OR Baltik' --since 2022-02 --source AFP --sort newest
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "search",
        help="full-text search of titles, bodies and tags",
        description="Full-text search of the archive, ranked by relevance (bm25).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("query", nargs="+", metavar="QUERY", help="words to look for")
    parser.add_argument(
        "--exact",
        action="store_true",
        help="match the words as written only, not their other forms (no stemming)",
    )
    add_filter_arguments(parser)
    parser.add_argument("--limit", type=positive_int, default=20, help="hits to show (20)")
    parser.add_argument(
        "--sort", choices=["relevance", "newest", "oldest"], default="relevance", help="order"
    )
    add_json_argument(parser)
    add_db_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    query = " ".join(args.query)
    filters = filters_from(args)
    color = not args.json and color_enabled()
    # On screen, matches are marked with private-use characters first, so the snippet can be made
    # printable (no control characters) before the real marks go in.
    mark = DEFAULT_MARK if args.json else PLACEHOLDER_MARK
    with reading(args) as engine:
        result = search(
            engine, query, filters, limit=args.limit, sort=args.sort, mark=mark, exact=args.exact
        )
    if args.json:
        print_json([hit.to_dict() for hit in result.hits])
    else:
        print(render(result, color=color))
    return 0


def marked(snippet: str, *, color: bool) -> str:
    """A snippet made printable, its PLACEHOLDER_MARK matches marked bold or with ``**``."""
    start, end = (BOLD, RESET) if color else DEFAULT_MARK
    text = printable(snippet)
    return text.replace(PLACEHOLDER_MARK[0], start).replace(PLACEHOLDER_MARK[1], end)


def render(result: SearchResult, *, color: bool = False) -> str:
    """Hits as a numbered list: title, WIB time, writers and sources, URL, snippet."""
    shown = len(result.hits)
    if not shown:
        return printable(f"No articles match {result.query!r}.")
    how = {"relevance": "most relevant first", "newest": "newest first", "oldest": "oldest first"}[
        result.sort if result.used_fts else ("oldest" if result.sort == "oldest" else "newest")
    ]
    lines = [printable(f"{shown} of {result.total} articles matching {result.query!r} ({how})")]
    if not result.used_fts:
        lines[0] += " [no full-text index: plain text scan]"
    width = min(terminal_width(), 110)
    for number, hit in enumerate(result.hits, 1):
        title = f"{BOLD}{printable(hit.title)}{RESET}" if color else printable(hit.title)
        byline = printable(
            " · ".join(
                part
                for part in (wib(hit.published_at), ", ".join(hit.writers), ", ".join(hit.sources))
                if part
            )
        )
        snippet = textwrap.fill(
            " ".join(marked(hit.snippet, color=color).split()),
            width=width,
            initial_indent="    ",
            subsequent_indent="    ",
        )
        lines += [
            "",
            f"{number:>2}. {title}",
            f"    {byline}",
            f"    {printable(hit.url)}",
            snippet,
        ]
    return "\n".join(lines)
