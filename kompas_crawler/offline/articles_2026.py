"""Article pages of the live site in 2026, from the "live site in 2025-2026" section of
KOMPAS_SITE.md (no real 2026 page bytes exist; every block below is one fact from there).

- ``div.credit``: a ``credit-picture`` per person; one writer is shown after a ``<p>Penulis</p>``
  label, several people (writers and editors alike) each in ``div.credit-title-nameEditor`` with
  a comma after all but the last and ``<p>Tim Redaksi</p>`` after the names;
- ``div#creditModal.creditModal``: every person's profile link, name and role ("Penulis" or
  "Editor"), the only place roles are certain (``ArticleSpec.credit_modal=False`` drops it);
- ``div.read__time``: ``<a>Kompas.com</a> , 17 April 2026, 10:30 WIB`` or, for
  ``updated_only``, ``<a>Kompas.com</a>, Diperbarui 18/04/2026, 10:03 WIB`` (no publish time);
- times: ``article:published_time`` / ``article:modified_time`` in UTC, JSON-LD with +07:00;
  no ``content_PublishedDate``, no ``content_author`` / ``content_editor`` (the people are in
  the credit block and modal only), ``content_source`` empty unless that is where sources are;
- body in ``div.read__content > div.clearfix``, with the 2026 noise blocks and lines, an
  optional ``(Sumber: X)`` last line (``source_line``), then ``div.fb-quote``;
- breadcrumb ``div.breadcrumb li a.breadcrumb__link`` (Home, then the section last).
"""

from __future__ import annotations

import zlib
from datetime import UTC

from kompas_crawler.offline.article_parts import (
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
from kompas_crawler.offline.chrome import HEADER, esc, head, meta
from kompas_crawler.offline.specs import MONTHS_ID, ArticleSpec
from kompas_crawler.processors import WIB

FOOTER_2026 = """\
<footer class="footer">
  <div class="footer__wrap">
    <ul class="footer__nav">
      <li><a href="https://www.kompas.com/about-us">Tentang Kami</a></li>
      <li><a href="https://www.kompas.com/pedoman-media-siber">Pedoman Media Siber</a></li>
    </ul>
    <div class="footer__copyright">Copyright 2008 - 2026 PT. Kompas Cyber Media (Kompas Gramedia
      Digital Group). All Rights Reserved.</div>
  </div>
</footer>
"""

# Lines the 2026 body carries that are never article text (KOMPAS_SITE.md, "Body and noise").
NOISE_LINES_2026 = (
    "Gabung KOMPAS.com Plus sekarang dan nikmati berita tanpa iklan.",
    "Lihat Foto",
    "Dapatkan update berita teraktual dan terpercaya setiap hari dari Kompas.com.",
    "Download sekarang aplikasi Kompas.com untuk berita pilihan.",
    "Tim Redaksi",
    "Copyright 2008 - 2026 PT. Kompas Cyber Media (Kompas Gramedia Digital Group). "
    "All Rights Reserved.",
    "Baca berita tanpa iklan. Gabung Kompas.com+",
)
# Blocks inside the body that are never article text.
NOISE_BLOCKS_2026 = ("kompasidRec__wrap", "articleRelated", "article__related", "inner__sidebar")


def render(spec: ArticleSpec, page: int | None, *, nesting: int = 0, drifted: bool = False) -> str:
    """A 2026 article page (``page`` is accepted for symmetry: 2026 specs are single-page)."""
    metas = _metas(spec) + (drift_metas(spec) if drifted else [])
    top = head(
        f"{spec.title} - Kompas.com", metas, spec.url, news_article_ld(spec, with_body=drifted)
    )
    return f"""{top}
<body class="article">
{HEADER}
<div class="container clearfix">
  {_breadcrumb(spec)}
  <div class="read__header">
    <h1 class="read__title">{esc(spec.title)}</h1>
    <div class="read__time">{_read_time(spec)}</div>
  </div>
  <div class="row clearfix">
  <div class="col-bs10-7 js-read-article">
  {_opinion(spec)}
  {_credit(spec)}
  {photo(spec)}
  {_body(spec, page, nesting)}
  {tag_list(spec)}
  </div>
  <div class="col-bs10-3"><div class="inner__sidebar"><h4>Terpopuler</h4>
    <a href="https://www.kompas.com/tren/read/2026/04/17/1/populer">Berita terpopuler</a></div>
  </div>
  </div>
  {_modal(spec)}
</div>
{FOOTER_2026}
</body>
</html>
"""


def _metas(spec: ArticleSpec) -> list[str]:
    metas = common_metas(spec, False)
    metas += [
        meta("content_type", "Standard"),
        meta("content_source", source_text(spec)),
        meta("content_tags", ", ".join(spec.tags)),
        meta("content_total_words", sum(len(p.split()) for p in spec.paragraphs)),
        meta("article:published_time", spec.published_utc.isoformat(), "property"),
    ]
    if spec.updated is not None:
        modified = spec.updated.astimezone(UTC).isoformat()
        metas.append(meta("article:modified_time", modified, "property"))
    if spec.image_url:
        metas.append(meta("og:image", spec.image_url, "property"))
    return metas


def _read_time(spec: ArticleSpec) -> str:
    # Some pages put a space before the comma after the link; the choice is fixed per article.
    link = '<a href="https://www.kompas.com">Kompas.com</a>'
    if spec.updated_only:
        if spec.updated is None:
            raise ValueError(f"{spec.url}: updated_only needs an updated time")
        up = spec.updated.astimezone(WIB)
        return f"{link}, Diperbarui {up:%d/%m/%Y, %H:%M} WIB"
    local = spec.published
    comma = " ," if zlib.crc32(spec.url.encode()) % 2 else ","
    return f"{link}{comma} {local.day} {MONTHS_ID[local.month - 1]} {local.year}, {local:%H:%M} WIB"


def _breadcrumb(spec: ArticleSpec) -> str:
    crumbs = [("Home", "https://www.kompas.com/"), (spec.section, "https://www.kompas.com/global")]
    items = "".join(
        f'<li class="breadcrumb__item"><a class="breadcrumb__link" href="{esc(href)}">'
        f"{esc(name)}</a></li>"
        for name, href in crumbs
    )
    return f'<div class="breadcrumb"><ul class="breadcrumb__wrap">{items}</ul></div>'


def _people(spec: ArticleSpec) -> list[tuple[str, str]]:
    return [(name, "Penulis") for name in spec.writers] + [
        (name, "Editor") for name in spec.editors
    ]


def _profile(name: str) -> str:
    return f"https://indeks.kompas.com/profile/{zlib.crc32(name.encode()) % 90000}/" + ".".join(
        name.split()
    )


def _credit(spec: ArticleSpec) -> str:
    people = _people(spec)
    pictures = "".join(
        f'<div class="credit-picture"><div class="credit-picture-img"><img '
        f'src="https://asset.kompas.com/data/profile/{zlib.crc32(name.encode()):x}.jpg" '
        f'alt="{esc(name)}"></div></div>'
        for name, _ in people
    )
    if len(spec.writers) == 1:
        names = f'<div class="credit-title-nameEditor">{esc(spec.writers[0])}</div>'
        title = f'<p>Penulis</p>\n    <div class="credit-title-name">{names}</div>'
    else:
        names = "".join(
            f'<div class="credit-title-nameEditor">{esc(name)}'
            f"{',' if i < len(people) - 1 else ''}</div>"
            for i, (name, _) in enumerate(people)
        )
        title = f'<div class="credit-title-name">{names}</div>\n    <p>Tim Redaksi</p>'
    return (
        f'<div class="credit">\n  {pictures}\n  <div class="credit-title">\n    {title}\n'
        "  </div>\n</div>"
    )


def _modal(spec: ArticleSpec) -> str:
    if not spec.credit_modal:
        return ""
    authors = "\n".join(
        f'  <a href="{esc(_profile(name))}"><div class="credit-author"><div '
        f'class="credit-author-title"><div class="credit-author-name">{esc(name)}</div>'
        f'<div class="credit-author-position">{role}</div></div></div></a>'
        for name, role in _people(spec)
    )
    return f'<div id="creditModal" class="creditModal">\n{authors}\n</div>'


def _opinion(spec: ArticleSpec) -> str:
    if not spec.opinion:
        return ""
    name = spec.writers[0]
    return (
        f'<div class="opinion__author"><a class="opinion__link" href="{esc(_profile(name))}">'
        f'{esc(name)}</a><div class="opinion__desc">Kolumnis Kompas.com</div></div>'
    )


def _body(spec: ArticleSpec, page: int | None, nesting: int) -> str:
    out = section_paragraphs(spec, page_slice(spec, page))
    gabung, foto, update, download, team, copyright_, gate = NOISE_LINES_2026
    # Noise between paragraphs, where the live pages put it, and at the end.
    out.insert(1, f"<p>{foto}</p>")
    out.insert(
        3,
        '<div class="articleRelated"><h3>Berita Terkait</h3><a '
        'href="https://www.kompas.com/tren/read/2026/04/16/1/terkait">Berita lain</a></div>',
    )
    out.insert(5, f"<p><strong>{gabung}</strong></p>")
    out.append('<div class="article__related"><a href="https://www.kompas.com/tren">Tren</a></div>')
    if spec.source_line and spec.sources:
        out.append(f"<p>(Sumber: {esc(', '.join(spec.sources))})</p>")
    out += [
        f"<p>Artikel ini sudah tayang di Kompas.com dengan judul &quot;{esc(spec.title)}"
        "&quot;.</p>",
        f"<p>{update}</p>",
        f"<p>{download}</p>",
        f"<p>{team}</p>",
        f"<p>{copyright_}</p>",
        f"<p>{gate}</p>",
        '<div class="kompasidRec__wrap"><div class="kompasidRec__title">Rekomendasi</div></div>',
        '<div class="inner__sidebar"><a href="https://www.kompas.com/global">Global</a></div>',
    ]
    inner = "\n      ".join(out)
    if nesting:
        inner = nested(inner, nesting)
    return (
        '<div class="read__content">\n    <div class="clearfix">\n      '
        f'{inner}\n    </div>\n    <div class="fb-quote">Bagikan kutipan artikel ini</div>\n'
        '    <div id="EndOfArticle"></div>\n  </div>'
    )
