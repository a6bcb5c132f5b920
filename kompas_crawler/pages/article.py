"""Kompas article page -> :class:`Article`. No requests, no database, no clock.

Handles both markup eras: the 2017-2023 layout (``read__credit__item``, ``div.photo``) and the
2023-on layout (``credit-title-name h6``, "Sumber AFP" credit line, "Diperbarui" times).
"""

from __future__ import annotations

import json
import logging
import re
import weakref
from collections.abc import Iterator
from datetime import datetime
from typing import Any, TypeAlias
from urllib.parse import parse_qs, urljoin, urlsplit

from lxml import etree
from scrapy.http import TextResponse

from kompas_crawler import processors as p
from kompas_crawler.items import Article
from kompas_crawler.loaders import ArticleLoader
from kompas_crawler.urls import canonical_url

logger = logging.getLogger(__name__)

Element: TypeAlias = etree._Element

_META = etree.XPath("//head/meta[@content]")
_JSON_LD = etree.XPath("//script[@type='application/ld+json']/text()")
_CANONICAL = etree.XPath("//head/link[@rel='canonical']/@href")
_HTML_TITLE = etree.XPath("//head/title")
_BASE_HREF = etree.XPath("//head/base/@href")
_HREFS = etree.XPath(".//a/@href")
_SOURCE_WORDS = frozenset({"Sumber", "SUMBER"})
_SOURCE_LABEL = etree.XPath(
    ".//text()[starts-with(normalize-space(), 'Sumber')"
    " or starts-with(normalize-space(), 'SUMBER')]"
)
# Every element the article fields come from, found in one pass and looked up by class token.
# (A Python loop over these tags beats XPath contains(@class, ...), which stringifies every node.)
_CLASSED_TAGS = ("div", "h1", "ul")
_INTERESTING_CLASS = re.compile(r"read__|credit|photo|breadcrumb__wrap|tag__article__wrap")
_PARSER = etree.HTMLParser(encoding="utf-8", remove_comments=True)
_ROOTS: weakref.WeakKeyDictionary[TextResponse, Element] = weakref.WeakKeyDictionary()
_INDEXES: weakref.WeakKeyDictionary[TextResponse, _ClassIndex] = weakref.WeakKeyDictionary()

# Inside the body: whole subtrees that are never article text.
_SKIPPED_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "object",
        "embed",
        "img",
        "picture",
        "figure",
        "video",
        "audio",
        "svg",
        "button",
        "form",
        "input",
        "select",
        "textarea",
        "ins",
    }
)
_SKIPPED_CLASS_PREFIXES = (
    "inject-baca-juga",
    "kompasidRec",
    "gate-kgplus",
    "read__paging",
    "ads-on-body",
    "fb-quote",
    "twitter-tweet",
    "instagram-media",
    "tiktok-embed",
    "photo",
    "video",
    "ads-",
    "ads_",
    "advertisement",
)
_BLOCK_TAGS = frozenset(["p", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre"])
_END_OF_ARTICLE = "EndOfArticle"
# <br> becomes LINE SEPARATOR: two in a row split a paragraph, one is just a space.
_BREAK = "\u2028"
_PARAGRAPH_BREAK = re.compile(r"\u2028\s*\u2028")


def parse_article(response: TextResponse, fetched_at: datetime) -> Article:
    """The article on ``response``; fields it cannot find stay None or empty. Never raises."""
    try:
        return _ArticlePage(response).load(fetched_at)
    except Exception:  # a crawl must survive any page; the validation pipeline drops bad items
        logger.exception("could not parse article %s", response.url)
        return Article(url=canonical_url(response.url), fetched_at=p.utc_datetime(fetched_at))


def has_more_pages(response: TextResponse) -> bool:
    """True for one page of a multi-page article (not already its ``?page=all`` form)."""
    if "all" in parse_qs(urlsplit(response.url).query).get("page", []):
        return False
    return any(
        "page=" in (link.get("href") or "")
        for paging in class_index(response).all("read__paging")
        for link in paging.iter("a")
    )


def is_article_page(response: TextResponse) -> bool:
    """True when the markup is an article page (title, body or time block of an article)."""
    root = html_root(response)
    index = class_index(response)
    markers = ("read__title", "read__content", "read__time")
    return any(index.all(marker) for marker in markers) or _news_article(root) is not None


def html_root(response: TextResponse) -> Element:
    """The page parsed once with lxml (cached per response); an empty ``<html>`` if unparsable."""
    root = _ROOTS.get(response)
    if root is None:
        root = _parse_html(response)
        _ROOTS[response] = root
    return root


def class_index(response: TextResponse) -> _ClassIndex:
    """The page's elements of interest by class token (built once per response: the spider
    asks ``has_more_pages`` before ``parse_article`` reads the same page)."""
    index = _INDEXES.get(response)
    if index is None:
        index = _ClassIndex(html_root(response))
        _INDEXES[response] = index
    return index


def _parse_html(response: TextResponse) -> Element:
    # Plain lxml.etree elements: parsel's lxml.html classes cost a Python call per element touched.
    try:
        root = etree.fromstring(response.text.encode("utf-8", "replace"), _PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError, AttributeError) as error:
        logger.debug("unparsable page %s: %s", response.url, error)
        root = None
    return root if root is not None else etree.Element("html")


class _ClassIndex:
    """Elements of interest by class token, each list in document order."""

    def __init__(self, root: Element) -> None:
        self.ordered: list[Element] = [
            element
            for element in root.iter(*_CLASSED_TAGS)
            if _INTERESTING_CLASS.search(element.get("class") or "")
        ]
        self.by_class: dict[str, list[Element]] = {}
        for element in self.ordered:
            for token in element.get("class", "").split():
                self.by_class.setdefault(token, []).append(element)

    def all(self, token: str, tag: str | None = None, id: str | None = None) -> list[Element]:
        return [
            element
            for element in self.by_class.get(token, [])
            if (tag is None or element.tag == tag) and (id is None or element.get("id") == id)
        ]

    def first(self, token: str, tag: str | None = None) -> Element | None:
        found = self.all(token, tag)
        return found[0] if found else None

    def first_of(self, *tokens: str) -> Element | None:
        wanted = set(tokens)
        return next((e for e in self.ordered if wanted & set(e.get("class", "").split())), None)


class _ArticlePage:
    """One parsed page; each method fills one group of fields."""

    def __init__(self, response: TextResponse) -> None:
        self.response = response
        self.root = html_root(response)
        self.index = class_index(response)
        self.meta = _meta_contents(self.root)
        self.ld = _news_article(self.root) or {}
        self.loader = ArticleLoader()

    def load(self, fetched_at: datetime) -> Article:
        self.load_url()
        self.load_title()
        self.load_times()
        self.load_credits()
        self.load_section()
        self.load_tags()
        self.load_body()
        self.load_image()
        self.loader.add_value("fetched_at", fetched_at)
        article: Article = self.loader.load_item()
        article.word_count = p.count_words(article.body)
        return article

    def load_url(self) -> None:
        urls = [url for url in _CANONICAL(self.root) if canonical_url(url)] or [self.response.url]
        self.loader.add_value("url", urls[0])
        self.loader.add_value("article_id", self.loader.get_output_value("url"))

    def load_title(self) -> None:
        self.loader.add_value(
            "title",
            [
                self._text_of("read__title", "h1"),
                self.meta.get("og:title"),
                _ld_text(self.ld.get("headline")),
                *(_text(title) for title in _HTML_TITLE(self.root)),
            ],
        )

    def load_times(self) -> None:
        shown_published, shown_updated = p.split_read_time(self._text_of("read__time"))
        # Most precise first: seconds (meta, JSON-LD) before the minutes shown on the page.
        self.loader.add_value(
            "published_at",
            [
                self.meta.get("content_PublishedDate"),
                self.meta.get("article:published_time"),
                _ld_text(self.ld.get("datePublished")),
                shown_published,
            ],
        )
        published = self.loader.get_output_value("published_at")
        readings = [
            p.utc_datetime(self.meta.get("article:modified_time")),
            p.utc_datetime(_ld_text(self.ld.get("dateModified"))),
            p.utc_datetime(shown_updated),
        ]
        # An "update" at or before publication is the CMS repeating the publish time.
        later = [when for when in readings if when and (published is None or when > published)]
        self.loader.add_value("updated_at", later)

    def load_credits(self) -> None:
        index = self.index
        writers = [self.meta.get("content_author")]
        for credit in index.all("read__credit__item", id="penulis"):
            writers.extend(_credit_names(credit, "a"))
        for credit in index.all("credit-title-name"):
            writers.extend(_text(name) for name in credit.iter("h6"))
        self.loader.add_value("writers", writers)

        editors = [self.meta.get("content_editor")]
        for credit in index.all("read__credit__item", id="editor"):
            editors.extend(_credit_names(credit, "a"))
        for credit in index.all("credit-title-nameEditor"):
            editors.extend(_credit_names(credit, "h6"))
        self.loader.add_value("editors", editors)
        if not self.loader.get_output_value("editors"):
            # JSON-LD "author" is the editor on Kompas, never the writer.
            self.loader.add_value("editors", _ld_names(self.ld.get("author")))

        self.loader.add_value("sources", [self.meta.get("content_source"), *self._credit_sources()])

    def _credit_sources(self) -> list[str | None]:
        # "Sumber AFP": the element holding a credit-block text that starts with the label.
        holders = dict.fromkeys(
            _source_holder(text)
            for block in self.index.all("read__credit") + self.index.all("credit")
            for text in _SOURCE_LABEL(block)
        )
        return [_text(holder) for holder in holders if holder is not None]

    def load_section(self) -> None:
        crumbs = [
            _text(item)
            for trail in self.index.all("breadcrumb__wrap")
            for item in trail.iter("li")
            if "breadcrumb__item" in (item.get("class") or "")
        ]
        # Breadcrumb: Home > Section > Subsection.
        self.loader.add_value("section", [self.meta.get("content_category"), *crumbs[1:2]])
        self.loader.add_value("subsection", [self.meta.get("content_subcategory"), *crumbs[2:3]])

    def load_tags(self) -> None:
        self.loader.add_value("tags", [self.meta.get("content_tags"), self.meta.get("content_tag")])
        if not self.loader.get_output_value("tags"):
            links = [
                link
                for wrap in self.index.all("tag__article__wrap")
                for link in wrap.iter("a")
                if "tag__article__link" in (link.get("class") or "")
            ]
            self.loader.add_value("tags", [_text(link) for link in links])

    def load_body(self) -> None:
        content = self.index.first("read__content")
        if content is None:
            return
        body = _Body(self._base_url())
        body.read(content)
        self.loader.add_value("body", body.paragraphs)
        self.loader.add_value("dateline", body.paragraphs[:1])
        self.loader.add_value("related_urls", body.related)
        self.loader.add_value("sources", body.sources)

    def load_image(self) -> None:
        photo = self.index.first_of("photo", "photo__wrap")
        if photo is not None:
            if "photo__wrap" in photo.get("class", "").split() and photo.getparent() is not None:
                photo = photo.getparent()
            self._load_photo(photo)
        self.loader.add_value(
            "image_url", [self.meta.get("og:image"), _ld_image(self.ld.get("image"))]
        )

    def _load_photo(self, photo: Element) -> None:
        image = next(photo.iter("img"), None)
        if image is not None:
            self.loader.add_value("image_url", [image.get("data-src"), image.get("src")])
        credits = [
            node
            for node in photo.iter(tag=etree.Element)
            if {"photo__author", "author"} & set(node.get("class", "").split())
        ]
        self.loader.add_value("image_credit", [_text(node) for node in credits])
        captions = [
            node
            for node in photo.iter(tag=etree.Element)
            if "photo__caption" in node.get("class", "").split()
        ]
        if captions:
            self.loader.add_value("image_caption", _text(captions[0]))
        elif credits:
            # 2017-2022: <span class="author">CREDIT</span>Caption text.
            self.loader.add_value("image_caption", credits[0].tail)
        if image is not None:
            self.loader.add_value("image_caption", image.get("alt"))

    def _base_url(self) -> str:
        base = _BASE_HREF(self.root)
        return urljoin(self.response.url, base[0].strip()) if base else self.response.url

    def _text_of(self, token: str, tag: str | None = None) -> str | None:
        element = self.index.first(token, tag)
        return _text(element) if element is not None else None


class _Body:
    """Walks ``div.read__content`` once: paragraphs, inline "Baca juga" links, closing source."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.paragraphs: list[str] = []
        self.related: list[str] = []
        self.sources: list[str] = []
        self._ended = False

    def read(self, content: Element) -> None:
        blocks = list(self._blocks(content))
        if not blocks:
            # Very old pages: bare text with <br><br> between paragraphs.
            blocks = [content]
        for block in blocks:
            self._read_block(block)

    def _blocks(self, element: Element) -> Iterator[Element]:
        for child in element:
            if self._ended:
                return
            if not isinstance(child.tag, str) or _is_skipped(child):
                continue
            if child.get("id") == _END_OF_ARTICLE:
                self._ended = True
                return
            if child.tag in _BLOCK_TAGS:
                yield child
            else:
                yield from self._blocks(child)

    def _read_block(self, block: Element) -> None:
        raw = "".join(_text_parts(block))
        for chunk in _PARAGRAPH_BREAK.split(raw) if _BREAK in raw else [raw]:
            text = p.clean_text(chunk)
            kind = p.classify_paragraph(text)
            if kind == "text":
                self.paragraphs.append(text or "")
            elif kind == "related":
                self.related.extend(urljoin(self.base_url, href) for href in _HREFS(block))
            elif kind == "source":
                self.sources.append(p.source_line(text) or "")


def _is_skipped(element: Element) -> bool:
    if element.tag in _SKIPPED_TAGS:
        return True
    classes = element.get("class")
    return bool(classes) and any(
        token.startswith(_SKIPPED_CLASS_PREFIXES) for token in classes.split()
    )


def _text_parts(element: Element) -> Iterator[str]:
    """Text of an element in order, skipping noise subtrees but keeping the text after them."""
    if element.text:
        yield element.text
    for child in element:
        if isinstance(child.tag, str) and not _is_skipped(child):
            if child.tag == "br":
                yield _BREAK
            else:
                yield from _text_parts(child)
        if child.tail:
            yield child.tail


def _text(element: Element) -> str | None:
    return p.clean_text("".join(_text_parts(element)))


def _source_holder(label: etree._ElementUnicodeResult) -> Element | None:
    """The element holding "Sumber AFP"; when the label has an element of its own
    (``<span>Sumber</span> <b>AFP</b>``), the one around both."""
    holder = label.getparent()
    label_only = label.is_text and label.strip().rstrip(":") in _SOURCE_WORDS
    if holder is not None and label_only and not len(holder) and holder.getparent() is not None:
        return holder.getparent()
    return holder


def _credit_names(credit: Element, name_tag: str = "a") -> list[str | None]:
    names = [_text(node) for node in credit.iter(name_tag)]
    return names or [_text(credit)]


def _meta_contents(root: Element) -> dict[str, str]:
    contents: dict[str, str] = {}
    for meta in _META(root):
        key = meta.get("name") or meta.get("property") or meta.get("itemprop")
        if key and key not in contents and (meta.get("content") or "").strip():
            contents[key] = meta.get("content")
    return contents


def _news_article(root: Element) -> dict[str, Any] | None:
    for script in _JSON_LD(root):
        try:
            data = json.loads(script, strict=False)
        except ValueError:
            logger.debug("unreadable JSON-LD block skipped")
            continue
        for node in _ld_nodes(data):
            types = node.get("@type")
            types = types if isinstance(types, list) else [types]
            if "NewsArticle" in types or "Article" in types:
                return node
    return None


def _ld_nodes(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _ld_nodes(item)
    elif isinstance(data, dict):
        yield data
        yield from _ld_nodes(data.get("@graph"))


def _ld_text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _ld_names(value: Any) -> list[str]:
    people = value if isinstance(value, list) else [value]
    names = [person.get("name") if isinstance(person, dict) else person for person in people]
    return [name for name in names if isinstance(name, str)]


def _ld_image(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url")
    return value if isinstance(value, str) else None
