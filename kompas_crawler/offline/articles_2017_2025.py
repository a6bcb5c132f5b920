"""Article pages of the two historic markup eras: 2017-2023 (``read__credit__item`` credits,
``content_tag``, ``content_source`` filled) and 2023-2025 (``credit-title-name h6`` credits,
a "Sumber AFP" credit line, ``content_tags``, ``article:published_time``, "Diperbarui" times).
Both eras share one template: the real site changed only these blocks between them."""

from __future__ import annotations

import zlib

from kompas_crawler.offline.article_parts import (
    article_paging,
    common_metas,
    drift_metas,
    nested,
    news_article_ld,
    page_slice,
    photo,
    section_paragraphs,
    source_text,
    tag_list,
)
from kompas_crawler.offline.chrome import FOOTER, HEADER, esc, head, meta
from kompas_crawler.offline.specs import MONTHS_ID, ArticleSpec
from kompas_crawler.offline.text import slug
from kompas_crawler.processors import WIB


def render(spec: ArticleSpec, page: int | None, *, nesting: int = 0, drifted: bool = False) -> str:
    """One page of a 2017-2023 or 2023-2025 article (``page`` None: the whole text);
    ``nesting`` wraps the body in that many divs; ``drifted`` adds the metas and JSON-LD body a
    drifted page keeps (its classes are renamed afterwards)."""
    whole = page is None
    title_suffix = " Halaman all" if whole and spec.pages > 1 else ""
    metas = _metas(spec, whole and spec.pages > 1) + (drift_metas(spec) if drifted else [])
    top = head(
        f"{spec.title}{title_suffix} - Kompas.com",
        metas,
        spec.url,
        news_article_ld(spec, with_body=drifted),
    )
    paging = article_paging(spec, page) if spec.pages > 1 and page is not None else ""
    return f"""{top}
<body class="article">
{HEADER}
<div class="container clearfix">
  {_breadcrumb(spec)}
  <div class="read__header">
    <h1 class="read__title">{esc(spec.title)}</h1>
    <div class="read__time">{_read_time(spec)}</div>
  </div>
  <div class="row col-offset-fluid clearfix js-giant-wp-sticky-parent">
  <div class="col-bs10-7 js-read-article">
  {photo(spec)}
  {_credits(spec)}
  {_body(spec, page, nesting)}
  {paging}
  {tag_list(spec)}
  </div>
  <div class="col-bs10-3"><div class="most__wrap"><h4>Terpopuler</h4>
    <div class="most__list"><a class="most__link"
      href="https://www.kompas.com/tren/read/2022/01/27/1/populer">Berita terpopuler</a></div>
  </div></div>
  </div>
</div>
{FOOTER}
</body>
</html>
"""


def _metas(spec: ArticleSpec, whole: bool) -> list[str]:
    metas = common_metas(spec, whole)
    metas += [
        meta("content_author", ", ".join(spec.writers)),
        meta("content_editor", ", ".join(spec.editors)),
        meta("content_type", "Standard"),
        meta("content_PublishedDate", f"{spec.published:%Y-%m-%d %H:%M:%S}"),
        meta("content_source", source_text(spec)),
        meta("content_tags" if spec.new_markup else "content_tag", ", ".join(spec.tags)),
        meta("content_total_words", sum(len(p.split()) for p in spec.paragraphs)),
    ]
    if spec.image_url:
        metas.append(meta("og:image", spec.image_url, "property"))
    if spec.new_markup:
        metas.append(meta("article:published_time", spec.published.isoformat(), "property"))
        if spec.updated is not None:
            modified = spec.updated.astimezone(WIB).isoformat()
            metas.append(meta("article:modified_time", modified, "property"))
    return metas


def _read_time(spec: ArticleSpec) -> str:
    local = spec.published
    if spec.new_markup:
        text = (
            f"Kompas.com, {local.day} {MONTHS_ID[local.month - 1]} {local.year}, {local:%H:%M} WIB"
        )
        if spec.updated is not None:
            up = spec.updated.astimezone(WIB)
            text += (
                f' <span class="read__time__updated">Diperbarui {up.day} '
                f"{MONTHS_ID[up.month - 1]} {up.year}, {up:%H:%M} WIB</span>"
            )
        return text
    return f"Kompas.com - {local:%d/%m/%Y, %H:%M} WIB"


def _breadcrumb(spec: ArticleSpec) -> str:
    crumbs = [("Home", "https://www.kompas.com/"), (spec.section, "https://www.kompas.com/global")]
    if spec.subsection:
        crumbs.append((spec.subsection, "https://www.kompas.com/global/" + slug(spec.subsection)))
    items = "\n".join(
        f'    <li class="breadcrumb__item" itemprop="itemListElement" itemscope '
        f'itemtype="http://schema.org/ListItem"><a class="breadcrumb__link" href="{esc(href)}" '
        f'itemprop="item"><span itemprop="name">{esc(name)}</span></a>'
        f'<meta content="{i}" itemprop="position"/></li>'
        for i, (name, href) in enumerate(crumbs, 1)
    )
    return (
        '<h3 class="breadcrumb clearfix">\n  <ul class="breadcrumb__wrap" itemscope '
        f'itemtype="http://schema.org/BreadcrumbList">\n{items}\n  </ul>\n</h3>'
    )


def _credits(spec: ArticleSpec) -> str:
    if spec.new_markup:
        writers = "".join(
            f'<div class="credit-title-name"><h6>{esc(name)}'
            f"{',' if i < len(spec.writers) - 1 else ''}</h6><p>Penulis</p></div>"
            for i, name in enumerate(spec.writers)
        )
        editors = "".join(
            f'<div class="credit-title-nameEditor"><h6>{esc(name)}</h6><p>Editor</p></div>'
            for name in spec.editors
        )
        sources = "".join(
            f'<div class="credit-title-source"><p>Sumber '
            f'<span class="credit-source-name">{esc(name)}</span></p></div>'
            for name in spec.sources
        )
        return f'<div class="credit">\n  {writers}\n  {sources}\n  {editors}\n</div>'
    writers = ", ".join(
        f'<a href="https://indeks.kompas.com/profile/{zlib.crc32(n.encode()) % 9000}/'
        f'{esc(n.replace(" ", "."))}">{esc(n)}</a>'
        for n in spec.writers
    )
    editors = ", ".join(
        f'<a href="https://indeks.kompas.com/profile/1/x">{esc(n)}</a>' for n in spec.editors
    )
    return (
        '<div class="read__credit clearfix">\n'
        f'  <div class="read__credit__item" id="penulis"><span>Penulis</span> {writers}</div>\n'
        "  |\n"
        f'  <div class="read__credit__item" id="editor"><span>Editor</span> {editors}</div>\n'
        "</div>"
    )


def _body(spec: ArticleSpec, page: int | None, nesting: int) -> str:
    """The read__content block with the noise a real page carries between paragraphs."""
    out = section_paragraphs(spec, page_slice(spec, page))
    if spec.new_markup:
        out.append(
            "<p>Simak breaking news dan berita pilihan kami langsung di ponselmu. Pilih saluran "
            "andalanmu akses berita Kompas.com WhatsApp Channel : "
            "https://www.whatsapp.com/channel/0029VaFPbedBPzjZrk13HO3D. Pastikan kamu sudah "
            "install aplikasi WhatsApp ya.</p>"
        )
    out.append('<div class="kompasidRec">Dapatkan update berita pilihan setiap hari.</div>')
    inner = "\n      ".join(out)
    if nesting:
        inner = nested(inner, nesting)
    return (
        '<div class="read__content">\n    <div class="clearfix">\n      '
        f'{inner}\n    </div>\n    <div id="EndOfArticle"></div>\n  </div>'
    )
