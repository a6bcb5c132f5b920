"""A Kompas-shaped site generated in memory, and a local HTTP server that serves it.

The crawler never needs kompas.com to be tested: `OfflineSite` renders robots.txt, the Global
archive index (per day and newest first, both listing markups, with paging) and article pages in
both markup eras from `ArticleSpec` records; `OfflineServer` serves it on 127.0.0.1 in the mirror
layout the crawler's `KOMPAS_MIRROR` setting expects (``/HOST/PATH?QUERY``).

Every response can be scripted per URL (`OfflineSite.script`): status, headers, body, a delay, a
connection reset or a truncated body, one reply per request, so fault tests need no other server.

    python -m kompas_crawler.offline_site --port 8800            # the bundled demo site
    python -m kompas_crawler.offline_site --articles 2000        # a large generated one
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

from kompas_crawler.processors import WIB
from kompas_crawler.urls import index_url, is_global_article_url

logger = logging.getLogger(__name__)

HTML = "text/html; charset=utf-8"
# Listing pages switched from div.article__list to div.articleItem in mid 2024.
NEW_LISTING_FROM = date(2024, 6, 1)
# Article pages switched credit blocks (read__credit__item -> credit-title-name) in 2023.
NEW_ARTICLE_FROM = date(2023, 1, 1)

ROBOTS_TXT = """\
User-agent: *
Disallow: /search/?q=
Disallow: /komentar/*
Disallow: /copy/*
Disallow: /*?jxrecoid=
Disallow: /*?utm_source=
Disallow: /*?source=

Sitemap: https://www.kompas.com/sitemap.xml
"""

MONTHS_ID = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]
DAYS_ID = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]


# --------------------------------------------------------------------------------------------
# What an article is, and what a site is made of
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleSpec:
    """One article of the site, with the values a correct parser must find on its page."""

    url: str  # canonical: https://www.kompas.com/global/read/YYYY/MM/DD/<id>/<slug>
    title: str
    published: datetime  # aware, WIB
    paragraphs: tuple[str, ...]  # the body, the first one starting with the dateline
    dateline: str = "JAKARTA"
    writers: tuple[str, ...] = ()
    editors: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    section: str = "Global"
    subsection: str | None = None
    updated: datetime | None = None
    related: tuple[tuple[str, str], ...] = ()  # ("Baca juga" url, its title), in body order
    image_url: str | None = None
    image_caption: str | None = None
    image_credit: str | None = None
    pages: int = 1  # > 1: split over ?page=N, with the whole text at ?page=all
    broken: bool = False  # the page is served as a half-rendered shell with no article in it

    @property
    def day(self) -> date:
        return self.published.date()

    @property
    def new_markup(self) -> bool:
        return self.day >= NEW_ARTICLE_FROM

    @property
    def is_global(self) -> bool:
        return is_global_article_url(self.url)

    @property
    def published_utc(self) -> datetime:
        return self.published.astimezone(UTC)

    @property
    def body(self) -> str:
        """The body as the extraction is expected to return it: paragraphs, one blank line apart."""
        return "\n\n".join(self.paragraphs)


@dataclass(frozen=True)
class ListingEntry:
    """One item on an index page: the URL as listed (any form) and the article it points to."""

    href: str
    article: ArticleSpec


@dataclass
class Reply:
    """What the server answers for one request. Build scripted faults from it."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": HTML})
    delay: float = 0.0  # seconds to wait before answering
    reset: bool = False  # drop the connection with a TCP reset instead of answering
    truncate_to: int | None = None  # send only this many body bytes (Content-Length stays full)

    @classmethod
    def html(cls, text: str, status: int = 200, **kwargs: object) -> Reply:
        return cls(status=status, body=text.encode("utf-8"), **kwargs)  # type: ignore[arg-type]

    @classmethod
    def text(cls, text: str, status: int = 200) -> Reply:
        return cls(
            status=status,
            body=text.encode("utf-8"),
            headers={"Content-Type": "text/plain; charset=utf-8"},
        )


def route_key(url: str) -> str:
    """``HOST/PATH?QUERY`` with the host lower-cased and the query sorted: one key per page."""
    parts = urlsplit(url if "://" in url else "//" + url.lstrip("/"))
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    path = parts.path or "/"
    return f"{(parts.hostname or '').lower()}{path}" + (f"?{query}" if query else "")


# --------------------------------------------------------------------------------------------
# Deterministic Indonesian news text
# --------------------------------------------------------------------------------------------

_PLACES = [  # dateline, country, short name, a leader speaking for it
    ("WASHINGTON DC", "Amerika Serikat", "AS", "Antony Blinken"),
    ("MOSKWA", "Rusia", "Rusia", "Sergei Lavrov"),
    ("KIEV", "Ukraina", "Ukraina", "Volodymyr Zelensky"),
    ("BEIJING", "China", "China", "Wang Yi"),
    ("TOKYO", "Jepang", "Jepang", "Fumio Kishida"),
    ("SEOUL", "Korea Selatan", "Korsel", "Yoon Suk Yeol"),
    ("PARIS", "Perancis", "Perancis", "Emmanuel Macron"),
    ("LONDON", "Inggris", "Inggris", "Rishi Sunak"),
    ("BERLIN", "Jerman", "Jerman", "Olaf Scholz"),
    ("NEW DELHI", "India", "India", "Narendra Modi"),
    ("ANKARA", "Turki", "Turki", "Recep Tayyip Erdogan"),
    ("CANBERRA", "Australia", "Australia", "Anthony Albanese"),
    ("KUALA LUMPUR", "Malaysia", "Malaysia", "Anwar Ibrahim"),
    ("MANILA", "Filipina", "Filipina", "Ferdinand Marcos Jr"),
    ("BRASILIA", "Brasil", "Brasil", "Lula da Silva"),
    ("KAIRO", "Mesir", "Mesir", "Abdel Fattah el-Sisi"),
    ("BANGKOK", "Thailand", "Thailand", "Srettha Thavisin"),
    ("TEHERAN", "Iran", "Iran", "Hossein Amir-Abdollahian"),
]
_ACTORS = [
    "Juru bicara pemerintah",
    "Duta Besar",
    "Pemimpin oposisi",
    "Kepala Staf Angkatan Darat",
    "Menteri Dalam Negeri",
    "Penasihat keamanan nasional",
]
_TOPICS = [
    ("krisis pangan", "harga gandum", "Krisis Pangan"),
    ("perubahan iklim", "emisi karbon", "Perubahan Iklim"),
    ("konflik perbatasan", "gencatan senjata", "Konflik"),
    ("pemilihan umum", "hasil pemungutan suara", "Pemilu"),
    ("banjir besar", "korban jiwa", "Bencana Alam"),
    ("gempa bumi", "upaya penyelamatan", "Gempa"),
    ("perang dagang", "tarif impor", "Ekonomi Global"),
    ("kesepakatan nuklir", "inspeksi internasional", "Nuklir"),
    ("krisis pengungsi", "bantuan kemanusiaan", "Pengungsi"),
    ("latihan militer", "ketegangan kawasan", "Militer"),
    ("wabah penyakit", "program vaksinasi", "Kesehatan"),
    ("unjuk rasa", "aparat keamanan", "Demonstrasi"),
]
_SUBSECTIONS = ["Amerika", "Eropa", "Asia Pasifik", "Timur Tengah", "Afrika", "Global"]
_VERBS = [
    "menegaskan",
    "mengatakan",
    "menyatakan",
    "mengungkapkan",
    "menjelaskan",
    "menyebutkan",
    "memperingatkan",
]
_TITLE_VERBS = [
    "Tolak",
    "Desak",
    "Kecam",
    "Sambut",
    "Bahas",
    "Umumkan",
    "Tanggapi",
    "Siapkan",
]
_WRITERS = [
    "Aditya Jaya Iswara",
    "Ardi Priyatno Utomo",
    "Bernadette Aderi Puspaningrum",
    "Danur Lambang Pristiandaru",
    "Irawan Sapto Adhi",
    "Krisna Diantha Akassa",
    "Miranti Kencana Wirawan",
    "Tito Hilmawan Reditya",
    "Vina Fadhrotul Mukaromah",
    "Willem Jonata",
]
_EDITORS = [
    "Aditya Jaya Iswara",
    "Ardi Priyatno Utomo",
    "Bayu Galih",
    "Egidius Patnistik",
    "Rizal Setyo Nugroho",
    "Tim Redaksi",
]
_AGENCIES = ["AFP", "Reuters", "AP", "BBC", "Al Jazeera", "CNN", "The Guardian", "Kyodo"]
_SENTENCES = [
    "{actor} {country} {verb}, pihaknya akan terus memantau {topic} yang kian memburuk.",
    "Menurut {name}, {topic} tidak dapat diselesaikan tanpa kerja sama seluruh negara di kawasan.",
    "Pernyataan itu disampaikan dalam konferensi pers di {city} pada {weekday} ({dmy}).",
    '"Kami tidak akan tinggal diam menghadapi {topic}," kata {name} kepada wartawan.',
    "Sejumlah pengamat menilai {detail} akan menjadi ujian besar bagi pemerintahan {short}.",
    "Data terbaru menunjukkan {detail} meningkat hampir {pct} persen dalam sepekan terakhir.",
    "Perserikatan Bangsa-Bangsa (PBB) sebelumnya telah mendesak semua pihak menahan diri.",
    "Ribuan warga {country} turun ke jalan untuk menyuarakan keprihatinan mereka soal {topic}.",
    "Pemerintah {short} juga berjanji menyalurkan bantuan senilai {amount} juta dollar AS.",
    "Situasi di lapangan dilaporkan masih tegang hingga Kamis malam waktu setempat.",
    "{name} dijadwalkan bertemu mitranya dari negara tetangga pekan depan.",
    "Dalam beberapa bulan terakhir, {detail} menjadi sorotan utama media internasional.",
    "Para diplomat berharap perundingan lanjutan menghasilkan kesepakatan yang lebih konkret.",
    "Hingga berita ini diturunkan, belum ada tanggapan resmi dari pihak {short}.",
    "Laporan itu juga menyebutkan {detail} berdampak langsung pada jutaan penduduk.",
]


class _TextMaker:
    """Seeded generator of Indonesian news sentences, titles and names."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def pick(self, items: Sequence[str]) -> str:
        return self.rng.choice(items)

    def sentence(self, template: str, ctx: dict[str, str]) -> str:
        values = dict(ctx)
        values["verb"] = self.pick(_VERBS)
        values["actor"] = self.pick(_ACTORS)
        values["pct"] = str(self.rng.randint(3, 45))
        values["amount"] = str(self.rng.randint(2, 90) * 5)
        return template.format(**values)

    def paragraph(self, ctx: dict[str, str]) -> str:
        templates = self.rng.sample(_SENTENCES, self.rng.randint(2, 3))
        return " ".join(self.sentence(template, ctx) for template in templates)


def _slug(title: str) -> str:
    words = "".join(ch.lower() if ch.isalnum() else " " for ch in title).split()
    slug = "-".join(words)
    return slug if len(slug) <= 90 else slug[:90].rsplit("-", 1)[0]


def make_article(
    rng_seed: int,
    published: datetime,
    *,
    number: int,
    paragraphs: int | None = None,
    section_path: str = "global",
    related_pool: Sequence[tuple[str, str]] = (),
    **overrides: object,
) -> ArticleSpec:
    """A realistic article published at ``published`` (WIB); ``number`` keeps ids unique."""
    text = _TextMaker(rng_seed)
    city, country, short, name = text.rng.choice(_PLACES)
    topic, detail, tag = text.rng.choice(_TOPICS)
    local = published.astimezone(WIB)
    ctx = {
        "city": city.title(),
        "country": country,
        "short": short,
        "name": name,
        "topic": topic,
        "detail": detail,
        "weekday": DAYS_ID[local.weekday()],
        "dmy": f"{local.day}/{local.month}/{local.year}",
    }
    title = f"{short} {text.pick(_TITLE_VERBS)} {topic.title()} di Tengah {detail.title()}"
    title = f"{title}, {name} Angkat Bicara" if text.rng.random() < 0.4 else title
    count = paragraphs if paragraphs is not None else text.rng.randint(6, 12)
    body = [f"{city}, KOMPAS.com - " + text.paragraph(ctx)]
    body += [text.paragraph(ctx) for _ in range(count - 1)]
    # The id's first six digits are the WIB time HHMMSS; Global ids end in 70.
    article_number = f"{local:%H%M%S}{number % 10:01d}70"
    host = "www.kompas.com"
    path = f"/{section_path}/read/{local:%Y/%m/%d}/{article_number}/{_slug(title)}"
    if section_path == "internasional":
        host, path = "internasional.kompas.com", path.replace("/internasional", "", 1)
    url = f"https://{host}{path}"
    related = tuple(text.rng.sample(list(related_pool), min(2, len(related_pool))))
    photo = f"{local:%Y/%m/%d}/{text.rng.getrandbits(40):010x}.jpg"
    spec = ArticleSpec(
        url=url,
        title=title,
        published=local,
        paragraphs=tuple(body),
        dateline=city,
        writers=(text.pick(_WRITERS),),
        editors=(text.pick(_EDITORS),),
        sources=(text.pick(_AGENCIES),),
        tags=(tag, country, name),
        subsection=text.pick(_SUBSECTIONS),
        related=related,
        image_url=f"https://asset.kompas.com/crops/{photo}",
        image_caption=f"{name} saat memberikan keterangan di {city.title()}.",
        image_credit=text.pick(["AFP", "REUTERS", "AP PHOTO", "ANADOLU AGENCY"]),
    )
    return replace(spec, **overrides)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Page rendering
# --------------------------------------------------------------------------------------------


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _json_ld(data: Mapping[str, object]) -> str:
    # Kompas escapes the slashes in its JSON-LD URLs.
    return json.dumps(data, ensure_ascii=False, indent=2).replace("/", "\\/")


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


_HEADER = """\
<header class="header">
  <div class="header__wrap"><a class="logo" href="https://www.kompas.com/">
    <img src="https://asset.kompas.com/data/2017/wp/images/logo-kompascom.png" alt="Kompas.com"></a>
    <ul class="nav__wrap">
      <li class="nav__item"><a href="https://www.kompas.com/">Home</a></li>
      <li class="nav__item"><a href="https://nasional.kompas.com/">News</a></li>
      <li class="nav__item"><a href="https://www.kompas.com/global">Global</a></li>
      <li class="nav__item"><a href="https://money.kompas.com/">Money</a></li>
      <li class="nav__item"><a href="https://www.kompas.com/tren">Tren</a></li>
      <li class="nav__item"><a href="https://www.kompas.com/hype">Hype</a></li>
      <li class="nav__item"><a href="https://bola.kompas.com/">Bola</a></li>
      <li class="nav__item"><a href="https://tekno.kompas.com/">Tekno</a></li>
      <li class="nav__item"><a href="https://indeks.kompas.com/">Indeks</a></li>
    </ul>
  </div>
  <div class="gate-kgplus">Baca berita tanpa iklan. Gabung Kompas.com+</div>
</header>
<!-- (ads.header) -->
<div class="ads-header"><script>
  googletag.cmd.push(function(){googletag.display('div-gpt-ad-header');});
</script></div>
"""

_FOOTER = """\
<footer class="footer">
  <div class="footer__wrap">
    <ul class="footer__nav">
      <li><a href="https://www.kompas.com/about-us">Tentang Kami</a></li>
      <li><a href="https://www.kompas.com/kebijakan-data-pribadi">Kebijakan Data Pribadi</a></li>
      <li><a href="https://www.kompas.com/pedoman-media-siber">Pedoman Media Siber</a></li>
      <li><a href="https://www.kompas.com/karir">Karir</a></li>
      <li><a href="https://www.kompas.com/kontak">Kontak Kami</a></li>
    </ul>
    <div class="footer__copyright">Copyright 2008 - 2024 PT. Kompas Cyber Media (Kompas Gramedia
      Digital Group). All Rights Reserved.</div>
  </div>
</footer>
<script src="https://asset.kompas.com/data/2017/wp/js/kcm2017.min.js"></script>
"""


def _head(title: str, metas: Iterable[str], canonical: str | None, scripts: Iterable[str]) -> str:
    lines = [
        "<!DOCTYPE html>",
        '<html lang="id">',
        "<head>",
        '  <meta charset="utf-8">',
        '  <meta content="width=device-width" name="viewport">',
        f"  <title>{_e(title)}</title>",
        *("  " + meta for meta in metas),
    ]
    if canonical:
        lines.append(f'  <link href="{_e(canonical)}" rel="canonical"/>')
    lines.append(
        '  <link href="https://asset.kompas.com/data/2017/wp/css/kcm2017-article.min.css?v=68" '
        'rel="stylesheet" type="text/css">'
    )
    for script in scripts:
        lines.append(f'  <script type="application/ld+json">\n{script}\n  </script>')
    lines.append("</head>")
    return "\n".join(lines)


def _meta(name: str, content: object, attr: str = "name") -> str:
    return f'<meta content="{_e(content)}" {attr}="{_e(name)}"/>'


def _article_metas(spec: ArticleSpec, whole: bool) -> list[str]:
    suffix = " Halaman all" if whole else ""
    description = spec.paragraphs[0].split(" - ", 1)[-1][:160]
    metas = [
        _meta("description", description),
        _meta("keywords", ", ".join(spec.tags)),
        _meta("author", "Kompas Cyber Media"),
        _meta("og:type", "article", "property"),
        _meta("og:title", spec.title + suffix, "property"),
        _meta("og:url", spec.url, "property"),
        _meta("og:site_name", "KOMPAS.com", "property"),
        _meta("content_category", spec.section),
        _meta("content_subcategory", spec.subsection or ""),
        _meta("content_location", spec.dateline.title()),
        _meta("content_author", ", ".join(spec.writers)),
        _meta("content_editor", ", ".join(spec.editors)),
        _meta("content_type", "Standard"),
        _meta("content_PublishedDate", f"{spec.published:%Y-%m-%d %H:%M:%S}"),
        # Old pages fill content_source; new ones leave it empty and show a "Sumber" credit line.
        _meta("content_source", "" if spec.new_markup else ", ".join(spec.sources)),
        _meta("content_tags" if spec.new_markup else "content_tag", ", ".join(spec.tags)),
        _meta("content_total_words", sum(len(p.split()) for p in spec.paragraphs)),
    ]
    if spec.image_url:
        metas.append(_meta("og:image", spec.image_url, "property"))
    if spec.new_markup:
        metas.append(_meta("article:published_time", spec.published.isoformat(), "property"))
        if spec.updated is not None:
            modified = spec.updated.astimezone(WIB).isoformat()
            metas.append(_meta("article:modified_time", modified, "property"))
    return metas


def _article_json_ld(spec: ArticleSpec) -> list[str]:
    modified = (spec.updated or spec.published).astimezone(UTC)
    news: dict[str, object] = {
        "@context": "http://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": spec.url + "#"},
        "headline": spec.title,
        "image": {"@type": "ImageObject", "url": spec.image_url or "", "height": 500, "width": 750},
        "datePublished": spec.published_utc.isoformat(),
        "dateModified": modified.isoformat(),
        # As on the real site: JSON-LD "author" names the editor.
        "author": {"@type": "Person", "name": ", ".join(spec.editors)},
        "publisher": {"@type": "Organization", "name": "Kompas.com"},
        "description": spec.paragraphs[0][:160],
    }
    website = {
        "@context": "http://schema.org",
        "@type": "WebSite",
        "url": "https://www.kompas.com/",
    }
    return [_json_ld(website), _json_ld(news)]


def _breadcrumb(spec: ArticleSpec) -> str:
    crumbs = [("Home", "https://www.kompas.com/"), (spec.section, "https://www.kompas.com/global")]
    if spec.subsection:
        crumbs.append((spec.subsection, "https://www.kompas.com/global/" + _slug(spec.subsection)))
    items = "\n".join(
        f'    <li class="breadcrumb__item" itemprop="itemListElement" itemscope '
        f'itemtype="http://schema.org/ListItem"><a class="breadcrumb__link" href="{_e(href)}" '
        f'itemprop="item"><span itemprop="name">{_e(name)}</span></a>'
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
            f'<div class="credit-title-name"><h6>{_e(name)}'
            f"{',' if i < len(spec.writers) - 1 else ''}</h6><p>Penulis</p></div>"
            for i, name in enumerate(spec.writers)
        )
        editors = "".join(
            f'<div class="credit-title-nameEditor"><h6>{_e(name)}</h6><p>Editor</p></div>'
            for name in spec.editors
        )
        sources = "".join(
            f'<div class="credit-title-source"><p>Sumber '
            f'<span class="credit-source-name">{_e(name)}</span></p></div>'
            for name in spec.sources
        )
        return f'<div class="credit">\n  {writers}\n  {sources}\n  {editors}\n</div>'
    writers = ", ".join(
        f'<a href="https://indeks.kompas.com/profile/{zlib.crc32(n.encode()) % 9000}/'
        f'{_e(n.replace(" ", "."))}">{_e(n)}</a>'
        for n in spec.writers
    )
    editors = ", ".join(
        f'<a href="https://indeks.kompas.com/profile/1/x">{_e(n)}</a>' for n in spec.editors
    )
    return (
        '<div class="read__credit clearfix">\n'
        f'  <div class="read__credit__item" id="penulis"><span>Penulis</span> {writers}</div>\n'
        "  |\n"
        f'  <div class="read__credit__item" id="editor"><span>Editor</span> {editors}</div>\n'
        "</div>"
    )


def _photo(spec: ArticleSpec) -> str:
    if not spec.image_url:
        return ""
    return (
        f'<div class="photo"><div class="photo__wrap"><img src="{_e(spec.image_url)}" '
        f'alt="{_e(spec.title)}"></div>\n'
        f'<div class="photo__caption">{_e(spec.image_caption or "")} '
        f'<span class="photo__author">{_e(spec.image_credit or "")}</span></div></div>'
    )


def _paragraph_html(spec: ArticleSpec, index: int, text: str) -> str:
    if index == 0 and ", KOMPAS.com - " in text:
        head, rest = text.split(" - ", 1)
        return f"<p><strong>{_e(head)}</strong> - {_e(rest)}</p>"
    # An inline tag link is part of the sentence: its text must survive extraction.
    for tag in spec.tags:
        if tag in text:
            before, after = text.split(tag, 1)
            link = (
                f"<a class='inner-link-tag' href='https://www.kompas.com/tag/{_slug(tag)}' "
                f"target='_self'>{_e(tag)}</a>"
            )
            return f"<p>{_e(before)}{link}{_e(after)}</p>"
    return f"<p>{_e(text)}</p>"


def _body_html(spec: ArticleSpec, paragraphs: Sequence[tuple[int, str]]) -> str:
    """The read__content block with the noise a real page carries between paragraphs."""
    out: list[str] = []
    related = list(spec.related)
    for position, (index, text) in enumerate(paragraphs):
        out.append(_paragraph_html(spec, index, text))
        if position == 1 and related:
            href, title = related.pop(0)
            out.append(
                f'<p><strong>Baca juga: <a class="inner-link-baca-juga" href="{_e(href)}" '
                f'target="_self">{_e(title)}</a></strong></p>'
            )
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
            href, title = related.pop(0)
            out.append(
                f'<p><strong>Baca juga: <a class="inner-link-baca-juga" href="{_e(href)}" '
                f'target="_self">{_e(title)}</a></strong></p>'
            )
    if spec.new_markup:
        out.append(
            "<p>Simak breaking news dan berita pilihan kami langsung di ponselmu. Pilih saluran "
            "andalanmu akses berita Kompas.com WhatsApp Channel : "
            "https://www.whatsapp.com/channel/0029VaFPbedBPzjZrk13HO3D. Pastikan kamu sudah "
            "install aplikasi WhatsApp ya.</p>"
        )
    out.append('<div class="kompasidRec">Dapatkan update berita pilihan setiap hari.</div>')
    inner = "\n      ".join(out)
    return (
        '<div class="read__content">\n    <div class="clearfix">\n      '
        f'{inner}\n    </div>\n    <div id="EndOfArticle"></div>\n  </div>'
    )


def _article_paging(spec: ArticleSpec, page: int) -> str:
    links = []
    for number in range(1, spec.pages + 1):
        active = " paging__link--active" if number == page else ""
        href = spec.url if number == 1 else f"{spec.url}?page={number}"
        links.append(
            f'<div class="paging__item"><a class="paging__link{active}" href="{_e(href)}" '
            f'data-ci-pagination-page="{number}">{number}</a></div>'
        )
    if page < spec.pages:
        links.append(
            f'<div class="paging__item"><a class="paging__link paging__link--next" rel="next" '
            f'href="{_e(spec.url)}?page={page + 1}" data-ci-pagination-page="{page + 1}">Next</a>'
            "</div>"
        )
    links.append(
        f'<div class="paging__item"><a class="paging__link paging__link--show" '
        f'href="{_e(spec.url)}?page=all">Show All</a></div>'
    )
    return '<div class="read__paging"><div class="paging__wrap">' + "".join(links) + "</div></div>"


def _page_slice(spec: ArticleSpec, page: int | None) -> list[tuple[int, str]]:
    """The paragraphs shown on one page of the article; ``None`` is the whole text."""
    numbered = list(enumerate(spec.paragraphs))
    if page is None or spec.pages <= 1:
        return numbered
    size = -(-len(numbered) // spec.pages)
    return numbered[(page - 1) * size : page * size]


def render_article(spec: ArticleSpec, page: int | None = None) -> str:
    """An article page: one ``page`` of a multi-page article, or (None) the whole text."""
    if spec.broken:
        return render_broken(spec)
    whole = page is None
    paragraphs = _page_slice(spec, page)
    title_suffix = " Halaman all" if whole and spec.pages > 1 else ""
    head = _head(
        f"{spec.title}{title_suffix} - Kompas.com",
        _article_metas(spec, whole and spec.pages > 1),
        spec.url,
        _article_json_ld(spec),
    )
    tags = "\n".join(
        f'    <li class="tag__article__item"><a class="tag__article__link" '
        f'href="https://www.kompas.com/tag/{_slug(tag)}">{_e(tag)}</a></li>'
        for tag in spec.tags
    )
    paging = _article_paging(spec, page) if spec.pages > 1 and page is not None else ""
    return f"""{head}
<body class="article">
{_HEADER}
<div class="container clearfix">
  {_breadcrumb(spec)}
  <div class="read__header">
    <h1 class="read__title">{_e(spec.title)}</h1>
    <div class="read__time">{_read_time(spec)}</div>
  </div>
  <div class="row col-offset-fluid clearfix js-giant-wp-sticky-parent">
  <div class="col-bs10-7 js-read-article">
  {_photo(spec)}
  {_credits(spec)}
  {_body_html(spec, paragraphs)}
  {paging}
  <h3 class="tag tag--article clearfix"><div class="tag__article__teaser">Tag:</div>
  <ul class="tag__article__wrap">
{tags}
  </ul></h3>
  </div>
  <div class="col-bs10-3"><div class="most__wrap"><h4>Terpopuler</h4>
    <div class="most__list"><a class="most__link"
      href="https://www.kompas.com/tren/read/2022/01/27/1/populer">Berita terpopuler</a></div>
  </div></div>
  </div>
</div>
{_FOOTER}
</body>
</html>
"""


def render_broken(spec: ArticleSpec) -> str:
    """A 200 page whose template rendered without the article: no title, time, credit or body."""
    head = _head("Kompas.com", [_meta("og:type", "website", "property")], None, [])
    return f"""{head}
<body class="article">
{_HEADER}
<div class="container clearfix">
  <div class="read__header"></div>
  <div class="col-bs10-7 js-read-article"><div class="read__content"><div class="clearfix">
  <!-- render error: article {_e(spec.url.rsplit("/", 2)[-2])} -->
  </div></div></div>
</div>
{_FOOTER}
</body>
</html>
"""


def _listing_date(spec: ArticleSpec, new_markup: bool) -> str:
    return f"{spec.published:%d/%m/%Y}" if new_markup else f"{spec.published:%d/%m/%Y, %H:%M} WIB"


def _listing_item(entry: ListingEntry, new_markup: bool) -> str:
    spec = entry.article
    channel = spec.section if spec.is_global else (spec.subsection or "News")
    image = spec.image_url or ""
    if new_markup:
        return f"""\
    <div class="articleItem">
      <a class="article-link" href="{_e(entry.href)}">
        <div class="articleItem-img"><img src="{_e(image)}" alt="{_e(spec.title)}"></div>
        <div class="articleItem-wrap">
          <h2 class="articleTitle">{_e(spec.title)}</h2>
          <div class="articlePost">
            <div class="articlePost-subtitle">{_e(channel)}</div>
            <div class="articlePost-date">{_listing_date(spec, True)}</div>
          </div>
        </div>
      </a>
    </div>"""
    return f"""\
    <div class="article__list clearfix">
      <div class="article__list__asset clearfix">
        <div class="article__asset"><a href="{_e(entry.href)}">
          <img data-src="{_e(image)}" alt="{_e(spec.title)}"></a></div>
      </div>
      <div class="article__list__title">
        <h3 class="article__title article__title--medium">
          <a class="article__link" href="{_e(entry.href)}">{_e(spec.title)}</a></h3>
      </div>
      <div class="article__list__info">
        <div class="article__subtitle article__subtitle--inline">{_e(channel)}</div>
        <div class="article__date">{_listing_date(spec, False)}</div>
      </div>
    </div>"""


def _listing_paging(day: date | None, page: int, last: int) -> str:
    if last <= 1:
        return ""

    def link(number: int, label: str, modifier: str = "", rel: str = "") -> str:
        cls = "paging__link" + (f" paging__link--{modifier}" if modifier else "")
        rel_attr = f' rel="{rel}"' if rel else ""
        return (
            f'<div class="paging__item"><a class="{cls}" href="{_e(index_url(day, number))}"'
            f'{rel_attr} data-ci-pagination-page="{number}">{label}</a></div>'
        )

    items = []
    if page > 1:
        items.append(link(page - 1, "Prev", "prev", "prev"))
    for number in range(max(1, page - 2), min(last, page + 2) + 1):
        items.append(link(number, str(number), "active" if number == page else ""))
    if page < last:
        items.append(link(page + 1, "Next", "next", "next"))
        items.append(link(last, "Last", "last"))
    return (
        '<div class="paging clearfix"><div class="paging__wrap clearfix">'
        + "".join(items)
        + "</div></div>"
    )


def render_listing(
    entries: Sequence[ListingEntry], day: date | None, page: int, last: int, new_markup: bool
) -> str:
    """One page of the Global archive index."""
    when = f"{day.day} {MONTHS_ID[day.month - 1]} {day.year}" if day else "Terbaru"
    head = _head(f"Indeks Berita Global {when} - Kompas.com", [], index_url(day, page), [])
    if not entries:
        items = '<div class="searchContent --emptyAlart">Tidak ada berita</div>'
    elif new_markup:
        items = (
            '<div class="articleList">\n'
            + "\n".join(_listing_item(e, True) for e in entries)
            + "\n</div>"
        )
    else:
        items = (
            '<div class="latest--indeks mt2 clearfix">\n'
            + "\n".join(_listing_item(e, False) for e in entries)
            + "\n</div>"
        )
    return f"""{head}
<body class="indeks">
{_HEADER}
<div class="container clearfix">
  <h1 class="indeks__title">Indeks Berita {when}</h1>
  {items}
  {_listing_paging(day, page, last)}
</div>
{_FOOTER}
</body>
</html>
"""


_NOT_FOUND = """<!DOCTYPE html><html lang="id"><head><meta charset="utf-8">
<title>Halaman Tidak Ditemukan - Kompas.com</title></head>
<body><h1>404</h1><p>Maaf, halaman yang Anda cari tidak ditemukan.</p></body></html>
"""


# --------------------------------------------------------------------------------------------
# The site: route table of generated pages plus scripted replies
# --------------------------------------------------------------------------------------------


class OfflineSite:
    """A Kompas-shaped site: generated pages by URL, plus per-URL scripted replies.

    ``days`` maps each day to its index entries (newest first); the newest-first index lists every
    day's entries, newest day first. Articles may appear in several listings under other URL forms.
    """

    def __init__(
        self,
        days: dict[date, list[ListingEntry]],
        *,
        per_page: int = 20,
        newest_per_page: int | None = None,
        new_listing_from: date = NEW_LISTING_FROM,
    ) -> None:
        self.days = {day: days[day] for day in sorted(days, reverse=True)}
        self.per_page = per_page
        self.newest_per_page = newest_per_page or per_page
        self.new_listing_from = new_listing_from
        self.articles: dict[str, ArticleSpec] = {}
        for entries in self.days.values():
            for entry in entries:
                self.articles.setdefault(entry.article.url, entry.article)
        self._pages: dict[str, Callable[[], Reply]] = {}
        self._scripts: dict[str, list[Reply]] = {}
        self._lock = threading.Lock()
        self._build_routes()

    # -- what is on the site -----------------------------------------------------------------

    @property
    def newest(self) -> list[ListingEntry]:
        return [entry for entries in self.days.values() for entry in entries]

    def listing_pages(self, day: date | None = None) -> list[list[ListingEntry]]:
        """The entries of each page of one day's index (or of the newest-first index)."""
        entries = self.newest if day is None else self.days.get(day, [])
        size = self.newest_per_page if day is None else self.per_page
        return [entries[i : i + size] for i in range(0, len(entries), size)] or [[]]

    def expected_articles(
        self, days: Iterable[date] | None = None, max_pages: int | None = None
    ) -> list[ArticleSpec]:
        """The articles a correct crawl stores: Global, not broken, listed on the pages walked."""
        walks = [None] if days is None else list(days)
        found: dict[str, ArticleSpec] = {}
        for day in walks:
            for page in self.listing_pages(day)[:max_pages]:
                for entry in page:
                    spec = entry.article
                    if spec.is_global and not spec.broken and is_global_article_url(entry.href):
                        found.setdefault(spec.url, spec)
        return sorted(found.values(), key=lambda spec: spec.url)

    def broken_articles(self) -> list[ArticleSpec]:
        return [spec for spec in self.articles.values() if spec.broken]

    def page_urls(self) -> list[str]:
        """Every generated URL (as https://... original URLs)."""
        return ["https://" + key for key in self._pages]

    # -- route table -------------------------------------------------------------------------

    def _add(self, url: str, make: Callable[[], Reply]) -> None:
        self._pages[route_key(url)] = make

    def _build_routes(self) -> None:
        for host in (
            "www.kompas.com",
            "indeks.kompas.com",
            "amp.kompas.com",
            "internasional.kompas.com",
            "nasional.kompas.com",
        ):
            self._add(f"https://{host}/robots.txt", lambda: Reply.text(ROBOTS_TXT))
        for day in [None, *self.days]:
            pages = self.listing_pages(day)
            new_markup = day is None or day >= self.new_listing_from
            for number, entries in enumerate(pages, 1):
                render = self._listing_renderer(entries, day, number, len(pages), new_markup)
                self._add(index_url(day, number), render)
                if number == 1:  # ?page=1 is the same page as no page parameter
                    self._add(index_url(day, 1) + "&page=1", render)
        for spec in self.articles.values():
            self._add(spec.url, self._article_renderer(spec, None if spec.pages == 1 else 1))
            self._add(spec.url + "?page=all", self._article_renderer(spec, None))
            for number in range(1 if spec.pages > 1 else 2, spec.pages + 1):
                self._add(f"{spec.url}?page={number}", self._article_renderer(spec, number))
            amp = spec.url.replace("://www.", "://amp.", 1)
            if amp != spec.url:
                self._add(amp, self._article_renderer(spec, None))

    @staticmethod
    def _listing_renderer(
        entries: list[ListingEntry], day: date | None, number: int, last: int, new_markup: bool
    ) -> Callable[[], Reply]:
        return lambda: Reply.html(render_listing(entries, day, number, last, new_markup))

    @staticmethod
    def _article_renderer(spec: ArticleSpec, page: int | None) -> Callable[[], Reply]:
        return lambda: Reply.html(render_article(spec, page))

    # -- scripting ---------------------------------------------------------------------------

    def script(self, url: str, *replies: Reply) -> None:
        """Answer the next requests for ``url`` with ``replies`` in turn; the last one repeats."""
        with self._lock:
            self._scripts[route_key(url)] = list(replies)

    def unscript(self, url: str | None = None) -> None:
        """Back to the generated page for ``url`` (every URL when None)."""
        with self._lock:
            if url is None:
                self._scripts.clear()
            else:
                self._scripts.pop(route_key(url), None)

    def reply(self, url: str) -> Reply:
        """The reply for one request: a scripted one, else the generated page, else a 404."""
        key = route_key(url)
        with self._lock:
            scripted = self._scripts.get(key)
            if scripted:
                return scripted.pop(0) if len(scripted) > 1 else scripted[0]
        make = self._pages.get(key)
        if make is None:
            return Reply.html(_NOT_FOUND, status=404)
        return make()


# --------------------------------------------------------------------------------------------
# Sites: the small bundled one (tests, demo) and large generated ones (benchmarks)
# --------------------------------------------------------------------------------------------

DEMO_DAYS = [
    date(2022, 1, 25),
    date(2022, 1, 26),
    date(2022, 1, 27),
    date(2024, 6, 11),
    date(2024, 6, 12),
    date(2024, 6, 13),
]


def _day_articles(day: date, count: int, first_number: int, seed: int) -> list[ArticleSpec]:
    rng = random.Random(seed * 1_000_003 + day.toordinal())
    # Spread over the day, newest first as the index lists them.
    minutes = sorted(rng.sample(range(6 * 60, 23 * 60), count), reverse=True)
    specs = []
    for offset, minute in enumerate(minutes):
        published = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=WIB)
        specs.append(
            make_article(seed + first_number + offset, published, number=first_number + offset)
        )
    return specs


def design_article(related: tuple[tuple[str, str], ...] = ()) -> ArticleSpec:
    """The article the project was designed around (27/01/2022 21:06 WIB, Penulis Aditya Jaya
    Iswara, Sumber AFP), with its real URL and byline; the body is a short summary of our own."""
    return ArticleSpec(
        url=(
            "https://www.kompas.com/global/read/2022/01/27/210600070/"
            "as-tolak-permintaan-rusia-larang-ukraina-gabung-nato-di-tengah-risiko-perang"
        ),
        title="AS Tolak Permintaan Rusia Larang Ukraina Gabung NATO di Tengah Risiko Perang",
        published=datetime(2022, 1, 27, 21, 6, tzinfo=WIB),
        paragraphs=(
            "WASHINGTON DC, KOMPAS.com - Amerika Serikat menolak tuntutan Rusia agar Ukraina "
            "dilarang bergabung dengan NATO, sambil menawarkan jalur diplomasi.",
            "Menteri Luar Negeri AS Antony Blinken menyampaikan jawaban tertulis Washington "
            "kepada Moskwa, yang tidak akan dipublikasikan.",
            "Menurut Blinken, setiap negara berhak memilih aliansi keamanannya sendiri, "
            "termasuk Ukraina.",
            "Washington juga menyatakan siap membahas pengendalian senjata dan transparansi "
            "latihan militer di Eropa bersama Moskwa.",
            "Blinken berencana berbicara dengan Menteri Luar Negeri Rusia Sergei Lavrov dalam "
            "beberapa hari mendatang.",
            "Pejabat AS menilai Rusia masih mungkin menggunakan kekuatan militer terhadap "
            "Ukraina pada pertengahan Februari.",
        ),
        dateline="WASHINGTON DC",
        writers=("Aditya Jaya Iswara",),
        editors=("Tito Hilmawan Reditya",),
        sources=("AFP",),
        tags=("NATO", "Rusia", "Ukraina", "Antony Blinken"),
        subsection="Amerika",
        related=related,
    )


def demo_site(seed: int = 20220127) -> OfflineSite:
    """The bundled site: 6 days, 5 articles a day, both markups, with every case worth testing.

    - a multi-page article (2022-01-27): page 1 shows ``read__paging``, ``?page=all`` is whole;
    - a duplicate: an article of 2022-01-26 listed again on 2022-01-27 under its AMP URL, with
      tracking parameters;
    - a broken page (2024-06-12): 200, but the template rendered without the article;
    - non-Global articles in the listings of 2022-01-26 and 2024-06-13, which must not be followed;
    - one article updated after publication ("Diperbarui");
    - the article the project was designed around (``design_article``), on 2022-01-27.
    """
    days: dict[date, list[ListingEntry]] = {}
    number = 0
    all_specs: dict[date, list[ArticleSpec]] = {}
    for day in DEMO_DAYS:
        all_specs[day] = _day_articles(day, 5, number, seed)
        number += 5
    pool = [(spec.url, spec.title) for specs in all_specs.values() for spec in specs]
    for specs in all_specs.values():
        specs[:] = [
            replace(spec, related=tuple(p for p in pool[:40:7] if p[0] != spec.url)[:2])
            for spec in specs
        ]

    jan26, jan27 = all_specs[date(2022, 1, 26)], all_specs[date(2022, 1, 27)]
    long = make_article(seed + 777, jan27[1].published, number=777, paragraphs=15)
    jan27[1] = replace(long, pages=3, related=jan27[1].related)
    jan27[3] = design_article(related=jan27[3].related)
    jun12 = all_specs[date(2024, 6, 12)]
    jun12[2] = replace(jun12[2], broken=True)
    jun11 = all_specs[date(2024, 6, 11)]
    jun11[0] = replace(jun11[0], updated=jun11[0].published + timedelta(hours=3, minutes=12))
    jun11[3] = replace(
        jun11[3], writers=(*jun11[3].writers, "Tim Redaksi"), sources=("AFP", "Reuters")
    )

    for day, specs in all_specs.items():
        days[day] = [ListingEntry(spec.url, spec) for spec in specs]
    duplicate = jan26[3]
    amp = duplicate.url.replace("://www.", "://amp.", 1) + "?utm_source=kompas&utm_medium=amp"
    days[date(2022, 1, 27)].insert(2, ListingEntry(amp, duplicate))
    nasional = make_article(
        seed + 900,
        datetime(2022, 1, 26, 14, 5, tzinfo=WIB),
        number=900,
        section_path="nasional",
        section="News",
        subsection="Nasional",
    )
    nasional = replace(
        nasional, url=nasional.url.replace("www.kompas.com/nasional", "nasional.kompas.com")
    )
    days[date(2022, 1, 26)].insert(1, ListingEntry(nasional.url, nasional))
    hype = make_article(
        seed + 901,
        datetime(2024, 6, 13, 9, 30, tzinfo=WIB),
        number=901,
        section_path="hype",
        section="Hype",
        subsection="Musik",
    )
    days[date(2024, 6, 13)].insert(3, ListingEntry(hype.url, hype))
    return OfflineSite(days, per_page=4, newest_per_page=10)


def generated_site(
    articles: int,
    *,
    per_day: int = 40,
    per_page: int = 20,
    last_day: date = date(2024, 6, 30),
    day_step: int = 15,
    seed: int = 7,
) -> OfflineSite:
    """A large site for benchmarks: ``articles`` Global articles, ``per_day`` on every
    ``day_step``-th day back from ``last_day`` (by default reaching back across both eras)."""
    day_count = -(-articles // per_day)
    days: dict[date, list[ListingEntry]] = {}
    number = 0
    for offset in range(day_count):
        day = last_day - timedelta(days=offset * day_step)
        count = min(per_day, articles - number)
        specs = _day_articles(day, count, number, seed)
        days[day] = [ListingEntry(spec.url, spec) for spec in specs]
        number += count
    return OfflineSite(
        days,
        per_page=per_page,
        newest_per_page=per_page,
        new_listing_from=last_day - timedelta(days=day_count // 2 * day_step),
    )


# --------------------------------------------------------------------------------------------
# The HTTP server
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """One request the server received."""

    time: float  # time.monotonic()
    method: str
    url: str  # the original URL, https://HOST/PATH?QUERY
    status: int | None  # None when the connection was reset
    headers: dict[str, str]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        url = "https://" + self.path.lstrip("/")
        reply = self.server.site.reply(url)
        self.server.record(
            Hit(
                time.monotonic(),
                self.command,
                url,
                None if reply.reset else reply.status,
                dict(self.headers),
            )
        )
        if reply.delay:
            time.sleep(reply.delay)
        if reply.reset:
            # SO_LINGER 0: close() sends a TCP RST, as a dropped connection does.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        if reply.truncate_to is not None:
            self.send_header("Connection", "close")
        self.end_headers()
        if send_body:
            body = reply.body if reply.truncate_to is None else reply.body[: reply.truncate_to]
            self.wfile.write(body)
        if reply.truncate_to is not None:
            self.wfile.flush()
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("offline site: " + format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], site: OfflineSite) -> None:
        super().__init__(address, _Handler)
        self.site = site
        self.hits: list[Hit] = []
        self._hits_lock = threading.Lock()

    def record(self, hit: Hit) -> None:
        with self._hits_lock:
            self.hits.append(hit)


class OfflineServer:
    """Serves an `OfflineSite` on 127.0.0.1 (a free port unless given), in a background thread.

    ``with OfflineServer(demo_site()) as server:`` then crawl with ``KOMPAS_MIRROR=server.url``.
    """

    def __init__(self, site: OfflineSite, port: int = 0, host: str = "127.0.0.1") -> None:
        self.site = site
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The mirror base URL, e.g. ``http://127.0.0.1:41234``."""
        if self._server is None:
            raise RuntimeError("server not started")
        host, port = self._address[0], self._server.server_address[1]
        return f"http://{host}:{port}"

    @property
    def hits(self) -> list[Hit]:
        """Every request received so far, in order."""
        if self._server is None:
            return []
        with self._server._hits_lock:
            return list(self._server.hits)

    def clear_hits(self) -> None:
        if self._server is not None:
            with self._server._hits_lock:
                self._server.hits.clear()

    def start(self) -> OfflineServer:
        self._server = _Server(self._address, self.site)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="offline-site", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> OfflineServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


# Local crawls need no politeness delay; everything else stays as in settings.py.
LOCAL_CRAWL_SETTINGS = [
    "-s", "AUTOTHROTTLE_ENABLED=False",
    "-s", "DOWNLOAD_DELAY=0",
    "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
]  # fmt: skip


def crawl(server: OfflineServer, database_url: str, *scrapy_args: str) -> int:
    """``scrapy crawl kompas_global`` against the server into ``database_url``; the exit code."""
    env = {
        **os.environ,
        "KOMPAS_MIRROR": server.url,
        "KOMPAS_DATABASE_URL": database_url,
        "SCRAPY_SETTINGS_MODULE": os.environ.get(
            "SCRAPY_SETTINGS_MODULE", "kompas_crawler.settings"
        ),
    }
    command = [sys.executable, "-m", "scrapy", "crawl", "kompas_global"]
    process = subprocess.Popen([*command, *LOCAL_CRAWL_SETTINGS, *scrapy_args], env=env)
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            # Ctrl-C reached the crawl too: it stops cleanly, and its exit status is the answer.
            continue


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kompas_crawler.offline_site``: serve the demo (or a generated) site, or crawl
    it."""
    parser = argparse.ArgumentParser(
        prog="python -m kompas_crawler.offline_site",
        description="Serve a Kompas-shaped offline site for KOMPAS_MIRROR=http://127.0.0.1:PORT.",
        epilog="Arguments after -- go to scrapy crawl (with --crawl).",
    )
    parser.add_argument(
        "--port", type=int, default=8800, help="port on 127.0.0.1 (0: any free one)"
    )
    parser.add_argument(
        "--articles",
        type=int,
        default=0,
        help="serve a generated site of this many articles instead of the demo",
    )
    parser.add_argument("--port-file", help="write the port chosen to this file once listening")
    parser.add_argument(
        "--crawl",
        metavar="DATABASE_URL",
        help="crawl the site into this archive (e.g. sqlite:///data/demo.db), then stop serving",
    )
    args, scrapy_args = parser.parse_known_args(argv)
    if scrapy_args and (args.crawl is None or scrapy_args[0] != "--"):
        parser.error(f"unrecognized arguments: {' '.join(scrapy_args)}")
    site = generated_site(args.articles) if args.articles else demo_site()
    server = OfflineServer(site, port=args.port).start()
    port = server.url.rsplit(":", 1)[1]
    if args.port_file:
        with open(args.port_file, "w", encoding="utf-8") as handle:
            handle.write(port + "\n")
    print(f"Serving {len(site.articles)} articles at {server.url}  (KOMPAS_MIRROR={server.url})")
    sys.stdout.flush()
    # SIGTERM (kill, make's cleanup) stops the server as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        if args.crawl:
            return crawl(server, args.crawl, *scrapy_args[1:])
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    raise SystemExit(main())
