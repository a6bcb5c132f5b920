"""Kompas article page -> :class:`Article`. No requests, no database, no clock.

Known layouts first: 2017-2023 (``read__credit__item``, ``div.photo``), 2023-2025
(``credit-title-name h6``, "Sumber AFP" credit line, "Diperbarui" times) and 2026 (``div.credit``
with per-person roles in ``#creditModal``, ``read__time`` led by a link). When the known markup
gives nothing for a field, recorded fallbacks follow (``Article.fallbacks``): title from the metas,
JSON-LD or ``<title>``; publish time and section from the URL; body from JSON-LD ``articleBody``
or the page's main block of paragraphs. A page with none of the known markup is
``layout="unknown"``.
"""

from __future__ import annotations

import json
import logging
import re
import weakref
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, TypeAlias
from urllib.parse import parse_qs, urlsplit

from lxml import etree
from scrapy.http import TextResponse

from kompas_crawler import processors as p
from kompas_crawler.items import Article
from kompas_crawler.loaders import ArticleLoader
from kompas_crawler.urls import article_id, canonical_url, join_url, url_section

logger = logging.getLogger(__name__)

Element: TypeAlias = etree._Element

_META = etree.XPath("//head/meta[@content]")
_JSON_LD = etree.XPath("//script[@type='application/ld+json']/text()")
_CANONICAL = etree.XPath("//head/link[@rel='canonical']/@href")
_HTML_TITLE = etree.XPath("//head/title")
_MAIN_BLOCKS = etree.XPath("//article | //main")
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
_INTERESTING_CLASS = re.compile(
    r"read__|credit|photo|breadcrumb|tag__article__wrap|opinion__author"
)
# huge_tree: without it libxml2 stops at 256 levels of nesting and the body below is lost.
_PARSER = etree.HTMLParser(encoding="utf-8", remove_comments=True, huge_tree=True)
# JSON-LD nested deeper than this is not a page's article (and recursing into it costs the page).
_LD_MAX_DEPTH = 8
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
    "articleRelated",
    "article__related",
    "inner__sidebar",
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
    """True when the page is an article: its known markup (title, body or time block), a
    NewsArticle JSON-LD, or a canonical link naming a Kompas article (markup of its own)."""
    root = html_root(response)
    index = class_index(response)
    markers = ("read__title", "read__content", "read__time")
    if any(index.all(marker) for marker in markers) or _news_article(root) is not None:
        return True
    return any(article_id(url) for url in _CANONICAL(root))


def base_url(response: TextResponse) -> str:
    """What the page's relative links are relative to: its ``<base href>`` when a URL parser
    can read it, else the page's own URL."""
    base = _BASE_HREF(html_root(response))
    return (join_url(response.url, base[0]) if base else None) or response.url


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
    if root is None:
        return etree.Element("html")
    # A stray second <html> makes libxml2 put the rest of the page in a sibling of the root,
    # where nothing iterating the root would find the article: fold it back in.
    for sibling in list(root.itersiblings()):
        if isinstance(sibling.tag, str):
            root.extend(list(sibling))
    return root


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
    """One parsed page; each method fills one group of fields, known markup first."""

    def __init__(self, response: TextResponse) -> None:
        self.response = response
        self.root = html_root(response)
        self.index = class_index(response)
        self.meta = _meta_contents(self.root)
        self.page_id = _page_article_id(self.root, response.url)
        self.ld = _news_article(self.root, self.page_id) or {}
        self.loader = ArticleLoader()
        self.fallbacks: list[str] = []

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
        article.layout = self.layout()
        article.fallbacks = self.fallbacks
        return article

    def layout(self) -> str:
        """Which known markup the page carries (see ``Article.layout``)."""
        index = self.index
        if index.all("creditModal") or index.all("credit-author") or self._credits_2026():
            return "2026"
        if index.all("credit-title-name") or index.all("credit-title"):
            return "2023-2025"
        if index.all("read__credit__item") or index.all("read__credit"):
            return "2017-2023"
        if any(index.all(marker) for marker in ("read__title", "read__content", "read__time")):
            time = index.first("read__time")
            if time is not None and time.text is None and next(time.iter("a"), None) is not None:
                return "2026"  # "<a>Kompas.com</a>, 17 April 2026, ..."
            return "2017-2023"
        return "unknown"

    def _credits_2026(self) -> bool:
        # 2026: names are the text of credit-title-nameEditor itself (2023-2025 wraps them in h6).
        return any(next(node.iter("h6"), None) is None for node in self.index.all(_NAME_EDITOR))

    def _fallback(self, field: str, values: list[Any]) -> None:
        """Add values from fallback sources, recording the field as read by fallback if any
        of them gives one."""
        before = self.loader.get_output_value(field)
        self.loader.add_value(field, values)
        if not before and self.loader.get_output_value(field):
            self.fallbacks.append(field)

    def load_url(self) -> None:
        urls = [url for url in _CANONICAL(self.root) if canonical_url(url)] or [self.response.url]
        self.loader.add_value("url", urls[0])
        self.loader.add_value("article_id", self.loader.get_output_value("url"))

    def load_title(self) -> None:
        self.loader.add_value("title", self._text_of("read__title", "h1"))
        if not self.loader.get_output_value("title"):
            titles = [_text(title) for title in _HTML_TITLE(self.root)]
            self._fallback(
                "title", [self.meta.get("og:title"), _ld_text(self.ld.get("headline")), *titles]
            )

    def load_times(self) -> None:
        shown_published, shown_updated = p.split_read_time(self._text_of("read__time"))
        # Most precise first: seconds (meta, JSON-LD) before the minutes shown on the page.
        # A "Diperbarui"-only read__time shows no publish time: shown_published is None then.
        self.loader.add_value(
            "published_at",
            [
                self.meta.get("content_PublishedDate"),
                self.meta.get("article:published_time"),
                _ld_text(self.ld.get("datePublished")),
                shown_published,
            ],
        )
        if not self.loader.get_output_value("published_at"):
            self._fallback("published_at", [self._url_publish_time()])
        published = self.loader.get_output_value("published_at")
        readings = [
            p.utc_datetime(self.meta.get("article:modified_time")),
            p.utc_datetime(_ld_text(self.ld.get("dateModified"))),
            p.utc_datetime(shown_updated),
        ]
        # An "update" at or before publication is the CMS repeating the publish time.
        later = [when for when in readings if when and (published is None or when > published)]
        self.loader.add_value("updated_at", later)

    def _url_publish_time(self) -> datetime | None:
        # The id's first six digits are the WIB time HHMMSS: "20220127-210600070" -> 21:06:00.
        if not self.page_id:
            return None
        day, _, number = self.page_id.partition("-")
        return p.url_publish_time(f"{day[:4]}/{day[4:6]}/{day[6:]}", number)

    def load_credits(self) -> None:
        roles = _Credits()
        # Weakest first: a stronger source's role for a name overrides a weaker one's.
        roles.add("writer", _split(self.meta.get("content_author")), strength=1)
        roles.add("editor", _split(self.meta.get("content_editor")), strength=1)
        for credit in self.index.all("read__credit__item", id="penulis"):
            roles.add("writer", _credit_names(credit, "a"), strength=2)
        for credit in self.index.all("read__credit__item", id="editor"):
            roles.add("editor", _credit_names(credit, "a"), strength=2)
        for block in self._credit_blocks():
            self._add_credit_block(roles, block)
        for author in self.index.all("opinion__author"):
            links = [a for a in author.iter("a") if "opinion__link" in (a.get("class") or "")]
            roles.add("writer", [_text(link) for link in links], strength=2)
        for person in self.index.all("credit-author"):
            self._add_modal_person(roles, person)
        self.loader.add_value("writers", roles.names("writer"))
        self.loader.add_value("editors", roles.names("editor"))
        if not self.loader.get_output_value("editors"):
            # JSON-LD "author" is the editor on Kompas, never the writer.
            editors = [n for n in _ld_names(self.ld.get("author")) if not roles.has(n, "writer")]
            self.loader.add_value("editors", editors)
        if roles.unresolved:
            logger.info(
                "credited without a role on %s (not stored): %s",
                self.response.url,
                ", ".join(roles.unresolved),
            )
        self.loader.add_value("sources", [self.meta.get("content_source"), *self._credit_sources()])

    def _credit_blocks(self) -> list[Element]:
        """Each ``div.credit-title``, and the name boxes that stand without one (2023-2025
        pages put ``credit-title-name`` and ``credit-title-nameEditor`` straight in the credit)."""
        blocks = self.index.all("credit-title")
        for box in self.index.all("credit-title-name") + self.index.all(_NAME_EDITOR):
            if not any(ancestor in blocks for ancestor in box.iterancestors()):
                blocks.append(box)
        return blocks

    def _add_credit_block(self, roles: _Credits, block: Element) -> None:
        """A ``div.credit-title``: its names, and the role its label gives them ("Penulis",
        "Editor"; "Tim Redaksi" gives none). 2023-2025 blocks without a label name writers in
        ``credit-title-name`` and editors in ``credit-title-nameEditor``."""
        labels = [p.credit_role(_text(label)) for label in block.iter("p")]
        role = next((label for label in labels if label), None)
        people = list(block.iter("h6"))
        if people:
            names = [_text(node) for node in people]
            if role is None:
                in_editor_box = any(
                    _is_name(ancestor) for node in people for ancestor in node.iterancestors()
                )
                role = "editor" if in_editor_box else "writer"
            roles.add(role, names, strength=2)
            return
        names = [_text(node) for node in block.iter("div") if _is_name(node)]  # self included
        if role is None:
            roles.unknown(names)
        else:
            roles.add(role, names, strength=2)

    @staticmethod
    def _add_modal_person(roles: _Credits, person: Element) -> None:
        """``#creditModal``: each person with their own role, the strongest source."""
        name = position = None
        for node in person.iter("div"):
            classes = (node.get("class") or "").split()
            if "credit-author-name" in classes:
                name = _text(node)
            elif "credit-author-position" in classes:
                position = _text(node)
        role = p.credit_role(position)
        if role is None:
            roles.unknown([name])
        else:
            roles.add(role, [name], strength=3)

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
        if crumbs:
            # Breadcrumb: Home > Section > Subsection.
            section, subsection = crumbs[1:2], crumbs[2:3]
        else:
            # 2026: div.breadcrumb li a.breadcrumb__link, the section last.
            links = [
                _text(link)
                for trail in self.index.all("breadcrumb", tag="div")
                for link in trail.iter("a")
                if "breadcrumb__link" in (link.get("class") or "")
            ]
            section, subsection = links[1:][-1:], []
        self.loader.add_value("section", [self.meta.get("content_category"), *section])
        self.loader.add_value("subsection", [self.meta.get("content_subcategory"), *subsection])
        if not self.loader.get_output_value("section"):
            # The section the URL names: nasional.kompas.com/read -> Nasional, /tren/read -> Tren.
            url = self.loader.get_output_value("url") or self.response.url
            self._fallback("section", [url_section(url)])

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
        if content is not None:
            self._read_body(content)
        if self.loader.get_output_value("body"):
            return
        ld_body = _ld_text(self.ld.get("articleBody"))
        if ld_body:
            self._read_body(_paragraphs_element(ld_body), fallback=True)
        elif content is None:
            # No known body container at all: the page's main block of paragraphs. (With one
            # that gave only noise, other paragraphs on the page are not this article's.)
            block = _main_text_block(self.root)
            if block is not None:
                self._read_body(block, fallback=True)

    def _read_body(self, content: Element, fallback: bool = False) -> None:
        body = _Body(self._base_url())
        body.read(content)
        if fallback and body.paragraphs:
            self.fallbacks.append("body")
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
        return base_url(self.response)

    def _text_of(self, token: str, tag: str | None = None) -> str | None:
        element = self.index.first(token, tag)
        return _text(element) if element is not None else None


_NAME_EDITOR = "credit-title-nameEditor"


def _is_name(node: Element) -> bool:
    return _NAME_EDITOR in (node.get("class") or "").split()


def _split(text: str | None) -> list[str]:
    return p.split_names(text)


class _Credits:
    """Who is credited in which role, from sources of different strength. A name keeps the roles
    its strongest source gives it (one person may write and edit); names listed without a role
    ("Tim Redaksi") are kept apart."""

    def __init__(self) -> None:
        self._roles: dict[str, dict[str, int]] = {}  # casefolded name -> {role: strength}
        self._names: dict[str, str] = {}  # casefolded name -> the name as first seen
        self._unknown: list[str] = []

    def add(self, role: str, names: Iterable[str | None], strength: int) -> None:
        for raw in names:
            for name in p.split_names(raw):
                key = name.casefold()
                self._names.setdefault(key, name)
                roles = self._roles.setdefault(key, {})
                roles[role] = max(strength, roles.get(role, 0))

    def unknown(self, names: Iterable[str | None]) -> None:
        for raw in names:
            self._unknown.extend(p.split_names(raw))

    def has(self, name: str, role: str) -> bool:
        return role in self._kept(name.casefold())

    def names(self, role: str) -> list[str]:
        return [self._names[key] for key in self._roles if role in self._kept(key)]

    def _kept(self, key: str) -> set[str]:
        roles = self._roles.get(key, {})
        strongest = max(roles.values(), default=0)
        return {role for role, strength in roles.items() if strength == strongest}

    @property
    def unresolved(self) -> list[str]:
        return [name for name in self._unknown if name.casefold() not in self._roles]


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
                links = (join_url(self.base_url, href) for href in _HREFS(block))
                self.related.extend(link for link in links if link)
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


def _page_article_id(root: Element, url: str) -> str | None:
    """The article id the page names (canonical link first, else its own URL)."""
    for candidate in [*_CANONICAL(root), url]:
        found = article_id(candidate)
        if found:
            return found
    return None


def _news_article(root: Element, page_id: str | None = None) -> dict[str, Any] | None:
    """The page's own NewsArticle JSON-LD node: the one naming this article when the page
    carries several (an ``@graph`` of related stories), never another article's."""
    articles = []
    for script in _JSON_LD(root):
        try:
            data = json.loads(script, strict=False)
        except (ValueError, RecursionError):  # malformed, or nested past Python's stack
            logger.debug("unreadable JSON-LD block skipped")
            continue
        for node in _ld_nodes(data):
            types = node.get("@type")
            types = types if isinstance(types, list) else [types]
            if "NewsArticle" in types or "Article" in types:
                articles.append(node)
    named = [node for node in articles if _ld_article_id(node) is not None]
    if page_id is not None:
        own = [node for node in named if _ld_article_id(node) == page_id]
        if own:
            return own[0]
        if named and len(named) == len(articles):
            return None  # every node names another article
    if len(articles) == 1 and (page_id is None or _ld_article_id(articles[0]) is None):
        return articles[0]
    return articles[0] if articles and page_id is None else None


def _ld_article_id(node: dict[str, Any]) -> str | None:
    page = node.get("mainEntityOfPage")
    candidates = [node.get("url"), page.get("@id") if isinstance(page, dict) else page]
    for candidate in candidates:
        if isinstance(candidate, str) and (found := article_id(candidate)):
            return found
    return None


def _ld_nodes(data: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > _LD_MAX_DEPTH:
        return
    if isinstance(data, list):
        for item in data:
            yield from _ld_nodes(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        yield from _ld_nodes(data.get("@graph"), depth + 1)


def _paragraphs_element(text: str) -> Element:
    """JSON-LD ``articleBody`` text as a ``<div>`` of ``<p>`` (one a line), for the body reader."""
    container = etree.Element("div")
    for line in p.strip_controls(text).splitlines():
        if line.strip():
            etree.SubElement(container, "p").text = line
    return container


def _main_text_block(root: Element) -> Element | None:
    """Where the text is on a page of unknown markup: its ``<article>`` or ``<main>`` if it holds
    paragraphs, else the element with the most paragraph text in its own ``<p>`` children."""
    for block in _MAIN_BLOCKS(root):
        if any(True for _ in block.iter("p")):
            return block
    best, best_size = None, 0
    for parent in {paragraph.getparent() for paragraph in root.iter("p")}:
        if parent is None or _is_skipped(parent):
            continue
        size = sum(len(child.xpath("string()")) for child in parent if child.tag == "p")
        if size > best_size:
            best, best_size = parent, size
    return best


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
