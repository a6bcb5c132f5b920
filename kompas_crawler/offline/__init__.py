"""A Kompas-shaped site generated in memory, and a local HTTP server that serves it.

The crawler never needs kompas.com to be tested: `OfflineSite` renders robots.txt, the Global
archive index (per day and newest first, in the old, 2024 and 2026 listing markups, with paging)
and article pages in the 2017-2023, 2023-2025 and 2026 markups from `ArticleSpec` records, which
hold the values a correct crawl must store; `OfflineServer` serves it on 127.0.0.1 in the mirror
layout the crawler's ``KOMPAS_MIRROR`` setting expects (``/HOST/PATH?QUERY``).

Every response can be scripted per URL (`OfflineSite.script`): status, headers, body, a delay, a
connection reset or a truncated body, one reply per request, so fault tests need no other server.
A site-wide mode (`modes.MODES`: ``drifted``, ``waf_midwalk``, ``gzip_bomb``...) serves a
drifted or hostile copy of the same site.

Rooms: `specs` (what an article is), `text` (generated articles), `chrome`, `article_parts`,
`articles_2017_2025`, `articles_2026`, `articles` (article pages), `listings` (index pages),
`drift`, `hostile`, `modes`, `routes`, `site`, `sites` (the demo and generated sites), `server`,
`demo` (the command line: ``python -m kompas_crawler.offline --port 8800 [--mode NAME]``).
"""

from kompas_crawler.offline.articles import render_article, render_broken
from kompas_crawler.offline.chrome import ROBOTS_TXT
from kompas_crawler.offline.demo import LOCAL_CRAWL_SETTINGS, crawl
from kompas_crawler.offline.listings import render_listing
from kompas_crawler.offline.modes import MODES
from kompas_crawler.offline.server import Hit, OfflineServer, Reply, route_key
from kompas_crawler.offline.site import OfflineSite
from kompas_crawler.offline.sites import demo_site, design_article, generated_site, live_days
from kompas_crawler.offline.specs import ERAS, ArticleSpec, ListingEntry
from kompas_crawler.offline.text import make_article
from kompas_crawler.processors import WIB

__all__ = [
    "ERAS",
    "LOCAL_CRAWL_SETTINGS",
    "MODES",
    "ROBOTS_TXT",
    "WIB",
    "ArticleSpec",
    "Hit",
    "ListingEntry",
    "OfflineServer",
    "OfflineSite",
    "Reply",
    "crawl",
    "demo_site",
    "design_article",
    "generated_site",
    "live_days",
    "make_article",
    "render_article",
    "render_broken",
    "render_listing",
    "route_key",
]
