"""Drifted pages: the same articles and listings after a redesign that renamed every container
class the known markups rely on, while the metas and JSON-LD (with ``articleBody``) stay.

Renaming works on the rendered page, one class token at a time, so a drifted page has exactly
the structure and text of its normal copy: only the names the parsers match on are gone.
"""

from __future__ import annotations

import re

# Whole tokens first, then prefixes (the rest of the token is kept): "credit-title-nameEditor"
# becomes "byline-title-nameEditor-x".
_ARTICLE_TOKENS = {
    "read__title": "article-title-x",
    "read__content": "article-body-x",
    "read__time": "article-date-x",
    "read__header": "article-head-x",
    "tag": "topics-x",
    "tag--article": "topics--x",
    "creditModal": "people-modal-x",
}
_ARTICLE_PREFIXES = (
    ("read__", "article-x-"),
    ("credit", "byline"),
    ("photo", "media"),
    ("breadcrumb", "trail"),
    ("tag__article", "topics"),
    ("opinion__", "columnist__"),
    ("paging", "pager"),
)
_ARTICLE_IDS = {"creditModal": "people-modal-x", "penulis": "by-writer-x", "editor": "by-editor-x"}
_LISTING_TOKENS = {
    "articleList": "feed-x",
    "article-link": "feedCard-link-x",
    "articleTitle": "feedCard-title-x",
    "latest--indeks": "feed-x",
}
_LISTING_PREFIXES = (
    ("articleItem", "feedCard"),
    ("articlePost", "feedCard-meta"),
    ("article__", "feed__"),
    ("paging", "pager"),
)
_CLASS = re.compile(r'\bclass="([^"]*)"')
_ID = re.compile(r'\bid="([^"]*)"')


def _rename(token: str, tokens: dict[str, str], prefixes: tuple[tuple[str, str], ...]) -> str:
    if token in tokens:
        return tokens[token]
    for prefix, new in prefixes:
        if token.startswith(prefix):
            return new + token[len(prefix) :] + "-x"
    return token


def _rename_classes(
    page: str, tokens: dict[str, str], prefixes: tuple[tuple[str, str], ...]
) -> str:
    def classes(match: re.Match[str]) -> str:
        renamed = " ".join(_rename(t, tokens, prefixes) for t in match[1].split())
        return f'class="{renamed}"'

    return _CLASS.sub(classes, page)


def drift_article(page: str) -> str:
    """An article page with its title, body, time, credit, photo, breadcrumb, tag and paging
    classes (and the credit ids) renamed; render it with ``drifted=True`` first, so it carries
    every meta and the JSON-LD ``articleBody``."""
    page = _rename_classes(page, _ARTICLE_TOKENS, _ARTICLE_PREFIXES)
    return _ID.sub(lambda m: f'id="{_ARTICLE_IDS.get(m[1], m[1])}"', page)


def drift_listing(page: str) -> str:
    """An index page whose item, list and paging classes are renamed; the links stay
    (``rel="next"`` included, when the page has paging)."""
    return _rename_classes(page, _LISTING_TOKENS, _LISTING_PREFIXES)
