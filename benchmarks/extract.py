"""Time article extraction per page against the lxml parse floor and trafilatura, in one run.

    .venv/bin/python benchmarks/extract.py                 # real pages in ../shared + fixtures
    .venv/bin/python benchmarks/extract.py PAGE.html ...   # any saved article pages

For each page: lxml parsing alone (the floor every extractor pays), the full extraction
(``HtmlResponse`` + ``parse_article``, what the spider runs), and ``trafilatura.extract`` on the
same bytes. Each figure is the best of several rounds, so other work on the machine counts less.
Targets: extraction within 3x the lxml floor, at least 10x faster than trafilatura, judged on
pages of real size (the fixtures are 1-10 KB skeletons; they are timed and shown, not judged).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree
from scrapy.http import HtmlResponse

from kompas_crawler.pages.article import parse_article

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SHARED_PAGES = ROOT.parent / "shared" / "kompas-pages"
FETCHED_AT = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)
_CANONICAL = re.compile(
    rb'<link[^>]*rel="canonical"[^>]*href="([^"]+)"|<link[^>]*href="([^"]+)"[^>]*rel="canonical"'
)


@dataclass
class Page:
    name: str
    url: str
    body: bytes


@dataclass
class Timing:
    page: Page
    lxml: float
    extract: float
    trafilatura: float


def default_pages() -> list[Path]:
    real = sorted(SHARED_PAGES.glob("article_*.html")) if SHARED_PAGES.exists() else []
    return real + sorted(FIXTURES.glob("article_*.html"))


def load_page(path: Path) -> Page:
    body = path.read_bytes()
    urls_file = FIXTURES / "urls.json"
    known = json.loads(urls_file.read_text()) if urls_file.exists() else {}
    match = _CANONICAL.search(body)
    named = (match[1] or match[2]).decode() if match else None
    url = known.get(path.name) or named or path.resolve().as_uri()
    return Page(path.name, url, body)


def best_time(function: Callable[[], object], rounds: int, min_seconds: float = 0.05) -> float:
    """Best seconds per call over ``rounds`` rounds of enough calls to last ``min_seconds``."""
    function()  # warm caches and lazy imports outside the timing
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            function()
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds or calls >= 1000:
            break
        calls *= 2
    best = elapsed / calls
    for _ in range(rounds - 1):
        start = time.perf_counter()
        for _ in range(calls):
            function()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def time_page(page: Page, rounds: int, extract_text: Callable[..., object]) -> Timing:
    parser = etree.HTMLParser()
    text = page.body.decode("utf-8", "replace")
    return Timing(
        page=page,
        lxml=best_time(lambda: etree.fromstring(page.body, parser), rounds),
        extract=best_time(
            lambda: parse_article(HtmlResponse(url=page.url, body=page.body), FETCHED_AT), rounds
        ),
        trafilatura=best_time(lambda: extract_text(text, url=page.url), rounds),
    )


def report(timings: Sequence[Timing], full_page_kb: int) -> str:
    header = (
        f"{'page':<52} {'KB':>6} {'lxml ms':>8} {'ours ms':>8} {'traf ms':>8}"
        f" {'ours/lxml':>9} {'traf/ours':>9}"
    )
    lines = [header] + [_row(t.page.name, len(t.page.body), t) for t in timings]
    full = [t for t in timings if len(t.page.body) >= full_page_kb * 1024]
    small = [t for t in timings if len(t.page.body) < full_page_kb * 1024]
    if small:
        lines.append(_row(f"mean, pages < {full_page_kb} KB (skeletons)", *_mean(small)))
    if not full:
        lines.append(f"targets: no page of {full_page_kb} KB or more (a page as served) to judge")
        return "\n".join(lines)
    size, mean = _mean(full)
    lines.append(_row(f"mean, full pages >= {full_page_kb} KB ({len(full)})", size, mean))
    ratio, speedup = mean.extract / mean.lxml, mean.trafilatura / mean.extract
    lines.append(
        f"targets on full pages: ours/lxml {ratio:.2f}x"
        f" (<= 3x: {'met' if ratio <= 3 else 'MISSED'})"
        f", trafilatura/ours {speedup:.1f}x (>= 10x: {'met' if speedup >= 10 else 'MISSED'})"
    )
    return "\n".join(lines)


def _mean(timings: Sequence[Timing]) -> tuple[int, Timing]:
    count = len(timings)
    mean = Timing(
        page=Page("", "", b""),
        lxml=sum(t.lxml for t in timings) / count,
        extract=sum(t.extract for t in timings) / count,
        trafilatura=sum(t.trafilatura for t in timings) / count,
    )
    return sum(len(t.page.body) for t in timings) // count, mean


def _row(name: str, size: int, timing: Timing) -> str:
    return (
        f"{name[:52]:<52} {size / 1024:>6.1f} {timing.lxml * 1000:>8.3f}"
        f" {timing.extract * 1000:>8.3f} {timing.trafilatura * 1000:>8.3f}"
        f" {timing.extract / timing.lxml:>8.2f}x {timing.trafilatura / timing.extract:>8.1f}x"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", type=Path, help="saved article pages")
    parser.add_argument("--rounds", type=int, default=5, help="timing rounds per figure")
    parser.add_argument(
        "--full-page-kb",
        type=int,
        default=50,
        help="pages this size or larger are judged against the targets (served Kompas pages are "
        "150-300 KB; the hand-written fixtures are skeletons where fixed per-item cost dominates)",
    )
    args = parser.parse_args(argv)
    paths = args.pages or default_pages()
    if not paths:
        print("no pages to time", file=sys.stderr)
        return 2
    from trafilatura import extract  # imported here: it is a benchmark-only dependency

    timings = [time_page(load_page(path), args.rounds, extract) for path in paths]
    print(report(timings, args.full_page_kb))
    return 0


if __name__ == "__main__":
    sys.exit(main())
