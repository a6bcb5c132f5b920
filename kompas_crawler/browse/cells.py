"""Datasette plugin hooks of ``kompas-crawler serve``: how cells of the archive are drawn."""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from markupsafe import Markup

from kompas_crawler.urls import canonical_url

FLAT_VIEW = "articles_flat"


@hookimpl  # type: ignore[untyped-decorator]
def render_cell(row: Any, value: Any, column: str, table: str | None) -> Markup | None:
    """The flat view's title links to the article on Kompas.com.

    Markup.format escapes both the title and the URL: text holding HTML stays text. Only a
    canonical kompas.com URL becomes a link (never ``javascript:`` or another site).
    """
    if table != FLAT_VIEW or column != "title" or not isinstance(value, str):
        return None
    try:
        url = row["url"]
    except (IndexError, KeyError):
        return None
    if not isinstance(url, str) or canonical_url(url) != url:
        return None
    return Markup('<a href="{}">{}</a>').format(url, value)
