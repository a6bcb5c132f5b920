"""Pages of a section's archive index (``indeks.kompas.com/?site=global[&date=D][&page=N]``,
``site=news``...) in each listing markup: ``old`` (``div.article__list``, to mid 2024), ``2024``
(``div.articleList > div.articleItem > a.article-link``) and ``2026`` (the same items, 20 a
page, no "Last" link: the live site does not tell how many pages a day has)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

from kompas_crawler.offline.chrome import FOOTER, HEADER, esc, head
from kompas_crawler.offline.specs import MONTHS_ID, ArticleSpec, ListingEntry
from kompas_crawler.urls import DEFAULT_SITE, index_url

LISTING_OLD = "old"
LISTING_2024 = "2024"
LISTING_2026 = "2026"
# How the next page is linked: real paging links, links only inside a script string (escaped,
# on odd pages; none at all on even ones) as script-built live pages do, or no paging at all.
PAGING_LINKS = "links"
PAGING_SCRIPT = "script"
PAGING_NONE = "none"


def render_listing(
    entries: Sequence[ListingEntry],
    day: date | None,
    page: int,
    last: int,
    markup: str,
    paging: str = PAGING_LINKS,
    *,
    site: str = DEFAULT_SITE,
) -> str:
    """One page of the archive index of an indeks ``site`` (``page`` of ``last``)."""
    when = f"{day.day} {MONTHS_ID[day.month - 1]} {day.year}" if day else "Terbaru"
    name = site.replace("-", " ").title()
    top = head(f"Indeks Berita {name} {when} - Kompas.com", [], index_url(day, page, site), [])
    if not entries:
        items = '<div class="searchContent --emptyAlart">Tidak ada berita</div>'
    elif markup == LISTING_OLD:
        items = (
            '<div class="latest--indeks mt2 clearfix">\n'
            + "\n".join(_old_item(e) for e in entries)
            + "\n</div>"
        )
    else:
        items = '<div class="articleList">\n' + "\n".join(_item(e) for e in entries) + "\n</div>"
    if paging == PAGING_LINKS:
        pager = _paging(day, page, last, site, with_last=markup != LISTING_2026)
    elif paging == PAGING_SCRIPT:
        pager = _script_paging(day, page, last, site)
    else:
        pager = ""
    return f"""{top}
<body class="indeks">
{HEADER}
<div class="container clearfix">
  <h1 class="indeks__title">Indeks Berita {when}</h1>
  {items}
  {pager}
</div>
{FOOTER}
</body>
</html>
"""


def _channel(spec: ArticleSpec) -> str:
    return spec.section if spec.is_global else (spec.subsection or "News")


def _item(entry: ListingEntry) -> str:
    spec = entry.article
    image = esc(spec.image_url or "")
    return f"""\
    <div class="articleItem">
      <a class="article-link" href="{esc(entry.href)}">
        <div class="articleItem-img"><img src="{image}" alt="{esc(spec.title)}"></div>
        <div class="articleItem-wrap">
          <h2 class="articleTitle">{esc(spec.title)}</h2>
          <div class="articlePost">
            <div class="articlePost-subtitle">{esc(_channel(spec))}</div>
            <div class="articlePost-date">{spec.published:%d/%m/%Y}</div>
          </div>
        </div>
      </a>
    </div>"""


def _old_item(entry: ListingEntry) -> str:
    spec = entry.article
    return f"""\
    <div class="article__list clearfix">
      <div class="article__list__asset clearfix">
        <div class="article__asset"><a href="{esc(entry.href)}">
          <img data-src="{esc(spec.image_url or "")}" alt="{esc(spec.title)}"></a></div>
      </div>
      <div class="article__list__title">
        <h3 class="article__title article__title--medium">
          <a class="article__link" href="{esc(entry.href)}">{esc(spec.title)}</a></h3>
      </div>
      <div class="article__list__info">
        <div class="article__subtitle article__subtitle--inline">{esc(_channel(spec))}</div>
        <div class="article__date">{spec.published:%d/%m/%Y, %H:%M} WIB</div>
      </div>
    </div>"""


def paging_link(
    day: date | None,
    number: int,
    label: str,
    modifier: str = "",
    rel: str = "",
    site: str = DEFAULT_SITE,
) -> str:
    cls = "paging__link" + (f" paging__link--{modifier}" if modifier else "")
    rel_attr = f' rel="{rel}"' if rel else ""
    href = esc(index_url(day, number, site))
    return (
        f'<div class="paging__item"><a class="{cls}" href="{href}"'
        f'{rel_attr} data-ci-pagination-page="{number}">{label}</a></div>'
    )


def _paging(day: date | None, page: int, last: int, site: str, *, with_last: bool) -> str:
    if last <= 1:
        return ""
    items = []
    if page > 1:
        items.append(paging_link(day, page - 1, "Prev", "prev", "prev", site))
    for number in range(max(1, page - 2), min(last, page + 2) + 1):
        active = "active" if number == page else ""
        items.append(paging_link(day, number, str(number), active, site=site))
    if page < last:
        items.append(paging_link(day, page + 1, "Next", "next", "next", site))
        if with_last:
            items.append(paging_link(day, last, "Last", "last", site=site))
    return (
        '<div class="paging clearfix"><div class="paging__wrap clearfix">'
        + "".join(items)
        + "</div></div>"
    )


def _script_paging(day: date | None, page: int, last: int, site: str) -> str:
    """The paging as a script builds it: the link exists only as an escaped JavaScript string
    (odd pages) or not at all (even pages, where the script computes it from a number)."""
    if page >= last:
        return '<div class="paging" id="indeksPaging"></div>'
    if page % 2 == 0:
        script = f"var nextPage = {page + 1}; renderPaging('indeksPaging', nextPage);"
    else:
        link = paging_link(day, page + 1, "Next", "next", "next", site)
        # json.dumps escapes nothing HTML-significant: do what the live pages' templates do.
        escaped = json.dumps(link).replace("<", "\\u003c").replace(">", "\\u003e")
        escaped = escaped.replace("/", "\\/")
        script = f"document.getElementById('indeksPaging').innerHTML = {escaped};"
    return f'<div class="paging" id="indeksPaging"></div>\n  <script>{script}</script>'
