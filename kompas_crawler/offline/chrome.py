"""What every page of the offline site shares: escaping, <head>, metas, JSON-LD, the site's
header and footer, robots.txt and the 404 page."""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping

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


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def json_ld(data: Mapping[str, object]) -> str:
    # Kompas escapes the slashes in its JSON-LD URLs.
    return json.dumps(data, ensure_ascii=False, indent=2).replace("/", "\\/")


HEADER = """\
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

FOOTER = """\
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


def head(title: str, metas: Iterable[str], canonical: str | None, scripts: Iterable[str]) -> str:
    lines = [
        "<!DOCTYPE html>",
        '<html lang="id">',
        "<head>",
        '  <meta charset="utf-8">',
        '  <meta content="width=device-width" name="viewport">',
        f"  <title>{esc(title)}</title>",
        *("  " + meta for meta in metas),
    ]
    if canonical:
        lines.append(f'  <link href="{esc(canonical)}" rel="canonical"/>')
    lines.append(
        '  <link href="https://asset.kompas.com/data/2017/wp/css/kcm2017-article.min.css?v=68" '
        'rel="stylesheet" type="text/css">'
    )
    for script in scripts:
        lines.append(f'  <script type="application/ld+json">\n{script}\n  </script>')
    lines.append("</head>")
    return "\n".join(lines)


def meta(name: str, content: object, attr: str = "name") -> str:
    return f'<meta content="{esc(content)}" {attr}="{esc(name)}"/>'


NOT_FOUND = """<!DOCTYPE html><html lang="id"><head><meta charset="utf-8">
<title>Halaman Tidak Ditemukan - Kompas.com</title></head>
<body><h1>404</h1><p>Maaf, halaman yang Anda cari tidak ditemukan.</p></body></html>
"""
