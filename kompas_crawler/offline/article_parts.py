"""Pieces every article template shares: the lead image, body paragraphs and their inline
"Baca juga" links, tag lists, multi-page paging, and the metas/JSON-LD every era carries."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC

from kompas_crawler.offline.chrome import esc, json_ld, meta
from kompas_crawler.offline.specs import ERA_2026, ArticleSpec
from kompas_crawler.offline.text import slug
from kompas_crawler.processors import WIB

# "CITY, KOMPAS.com - " (or an en or em dash): the lead's dateline, in <strong> on the page.
_LEAD = re.compile(r"^(?P<head>.+?, KOMPAS\.com) (?P<dash>[-\u2013\u2014]) (?P<rest>.*)$", re.S)


def photo(spec: ArticleSpec) -> str:
    if not spec.image_url:
        return ""
    return (
        f'<div class="photo"><div class="photo__wrap"><img src="{esc(spec.image_url)}" '
        f'alt="{esc(spec.title)}"></div>\n'
        f'<div class="photo__caption">{esc(spec.image_caption or "")} '
        f'<span class="photo__author">{esc(spec.image_credit or "")}</span></div></div>'
    )


def paragraph_html(spec: ArticleSpec, index: int, text: str) -> str:
    lead = _LEAD.match(text) if index == 0 else None
    if lead:
        return f"<p><strong>{esc(lead['head'])}</strong> {lead['dash']} {esc(lead['rest'])}</p>"
    # An inline tag link is part of the sentence: its text must survive extraction.
    for tag in spec.tags:
        if tag in text:
            before, after = text.split(tag, 1)
            link = (
                f"<a class='inner-link-tag' href='https://www.kompas.com/tag/{slug(tag)}' "
                f"target='_self'>{esc(tag)}</a>"
            )
            return f"<p>{esc(before)}{link}{esc(after)}</p>"
    return f"<p>{esc(text)}</p>"


def baca_juga(href: str, title: str) -> str:
    return (
        f'<p><strong>Baca juga: <a class="inner-link-baca-juga" href="{esc(href)}" '
        f'target="_self">{esc(title)}</a></strong></p>'
    )


def nested(inner: str, depth: int) -> str:
    """``inner`` wrapped in ``depth`` plain divs (hostile pages: deeper than libxml2's limit)."""
    return "<div>" * depth + inner + "</div>" * depth


def tag_list(spec: ArticleSpec) -> str:
    tags = "\n".join(
        f'    <li class="tag__article__item"><a class="tag__article__link" '
        f'href="https://www.kompas.com/tag/{slug(tag)}">{esc(tag)}</a></li>'
        for tag in spec.tags
    )
    return (
        '<h3 class="tag tag--article clearfix"><div class="tag__article__teaser">Tag:</div>\n'
        f'  <ul class="tag__article__wrap">\n{tags}\n  </ul></h3>'
    )


def article_paging(spec: ArticleSpec, page: int) -> str:
    links = []
    for number in range(1, spec.pages + 1):
        active = " paging__link--active" if number == page else ""
        href = spec.url if number == 1 else f"{spec.url}?page={number}"
        links.append(
            f'<div class="paging__item"><a class="paging__link{active}" href="{esc(href)}" '
            f'data-ci-pagination-page="{number}">{number}</a></div>'
        )
    if page < spec.pages:
        links.append(
            f'<div class="paging__item"><a class="paging__link paging__link--next" rel="next" '
            f'href="{esc(spec.url)}?page={page + 1}" data-ci-pagination-page="{page + 1}">Next'
            "</a></div>"
        )
    links.append(
        f'<div class="paging__item"><a class="paging__link paging__link--show" '
        f'href="{esc(spec.url)}?page=all">Show All</a></div>'
    )
    return '<div class="read__paging"><div class="paging__wrap">' + "".join(links) + "</div></div>"


def page_slice(spec: ArticleSpec, page: int | None) -> list[tuple[int, str]]:
    """The paragraphs shown on one page of the article; ``None`` is the whole text."""
    numbered = list(enumerate(spec.paragraphs))
    if page is None or spec.pages <= 1:
        return numbered
    size = -(-len(numbered) // spec.pages)
    return numbered[(page - 1) * size : page * size]


def source_text(spec: ArticleSpec) -> str:
    """What ``content_source`` holds: old pages fill it; 2023-2025 pages leave it empty (they
    show a "Sumber" credit line); 2026 pages fill it unless the body carries "(Sumber: X)"."""
    if spec.era == ERA_2026:
        return "" if spec.source_line else ", ".join(spec.sources)
    return "" if spec.new_markup else ", ".join(spec.sources)


def drift_metas(spec: ArticleSpec) -> list[str]:
    """The metas a drifted page keeps whatever its era: everything a fallback may read."""
    metas = [
        meta("content_author", ", ".join(spec.writers)),
        meta("content_editor", ", ".join(spec.editors)),
        meta("content_PublishedDate", f"{spec.published:%Y-%m-%d %H:%M:%S}"),
        meta("content_source", ", ".join(spec.sources)),
        meta("content_tags", ", ".join(spec.tags)),
        meta("article:published_time", spec.published_utc.isoformat(), "property"),
    ]
    if spec.updated is not None:
        modified = spec.updated.astimezone(UTC).isoformat()
        metas.append(meta("article:modified_time", modified, "property"))
    return metas


def news_article_ld(spec: ArticleSpec, *, with_body: bool = False) -> list[str]:
    """The page's JSON-LD blocks: a WebSite and the NewsArticle (``author`` is the editor, as on
    the real site). 2026 pages give times with +07:00, older ones in UTC."""
    zone = WIB if spec.era == ERA_2026 else UTC
    modified = (spec.updated or spec.published).astimezone(zone)
    news: dict[str, object] = {
        "@context": "http://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": spec.url + "#"},
        "headline": spec.title,
        "image": {"@type": "ImageObject", "url": spec.image_url or "", "height": 500, "width": 750},
        "datePublished": spec.published.astimezone(zone).isoformat(),
        "dateModified": modified.isoformat(),
        "author": {"@type": "Person", "name": ", ".join(spec.editors)},
        "publisher": {"@type": "Organization", "name": "Kompas.com"},
        "description": spec.paragraphs[0][:160],
    }
    if with_body:
        news["articleBody"] = spec.body
    website = {
        "@context": "http://schema.org",
        "@type": "WebSite",
        "url": "https://www.kompas.com/",
    }
    return [json_ld(website), json_ld(news)]


def common_metas(spec: ArticleSpec, whole: bool) -> list[str]:
    """The metas every era carries (title, description, section, tags, word count, image)."""
    suffix = " Halaman all" if whole else ""
    description = spec.paragraphs[0].split(" - ", 1)[-1][:160]
    metas = [
        meta("description", description),
        meta("keywords", ", ".join(spec.tags)),
        meta("author", "Kompas Cyber Media"),
        meta("og:type", "article", "property"),
        meta("og:title", spec.title + suffix, "property"),
        meta("og:url", spec.url, "property"),
        meta("og:site_name", "KOMPAS.com", "property"),
        meta("content_category", spec.section),
        meta("content_subcategory", spec.subsection or ""),
        meta("content_location", spec.dateline.title()),
    ]
    return metas


def section_paragraphs(spec: ArticleSpec, paragraphs: Sequence[tuple[int, str]]) -> list[str]:
    """The body's paragraphs with "Baca juga" links after the 2nd and 5th, and the ads and
    inject blocks a real page carries between them."""
    out: list[str] = []
    related = list(spec.related)
    for position, (index, text) in enumerate(paragraphs):
        out.append(paragraph_html(spec, index, text))
        if position == 1 and related:
            out.append(baca_juga(*related.pop(0)))
        if position == 2:
            out.append("<!-- (ads.paragraph.4) -->")
            out.append(
                '<div class="ads-on-body"><div>ADVERTISEMENT</div>'
                "<div>SCROLL TO CONTINUE WITH CONTENT</div></div>"
            )
        if position == 3:
            out.append(
                '<div class="inject-baca-juga"><div class="inject-baca-juga__title">Baca juga'
                '</div><a href="https://www.kompas.com/tren/read/2022/01/01/1/x">Tren lain</a>'
                "</div>"
            )
        if position == 4 and related:
            out.append(baca_juga(*related.pop(0)))
    return out
