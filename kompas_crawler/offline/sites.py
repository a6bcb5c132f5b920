"""Whole sites: the small bundled one (tests, ``make demo``) and large generated ones
(benchmarks), built from `make_article` specs."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta

from kompas_crawler.offline.site import OfflineSite
from kompas_crawler.offline.specs import ERA_2026, ArticleSpec, ListingEntry
from kompas_crawler.offline.text import make_article
from kompas_crawler.processors import WIB

DEMO_DAYS = [
    date(2022, 1, 25),
    date(2022, 1, 26),
    date(2022, 1, 27),
    date(2024, 6, 11),
    date(2024, 6, 12),
    date(2024, 6, 13),
]


def _day_articles(
    day: date, count: int, first_number: int, seed: int, markup: str | None = None
) -> list[ArticleSpec]:
    rng = random.Random(seed * 1_000_003 + day.toordinal())
    # Spread over the day, newest first as the index lists them.
    minutes = sorted(rng.sample(range(6 * 60, 23 * 60), count), reverse=True)
    specs = []
    for offset, minute in enumerate(minutes):
        published = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=WIB)
        specs.append(
            make_article(
                seed + first_number + offset,
                published,
                number=first_number + offset,
                markup=markup,
            )
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


def demo_site(
    seed: int = 20220127, *, with_2026: bool = False, with_sections: bool = False
) -> OfflineSite:
    """The bundled site: 6 days, 5 articles a day, both markups, with every case worth testing.

    - a multi-page article (2022-01-27): page 1 shows ``read__paging``, ``?page=all`` is whole;
    - a duplicate: an article of 2022-01-26 listed again on 2022-01-27 under its AMP URL, with
      tracking parameters;
    - a broken page (2024-06-12): 200, but the template rendered without the article;
    - non-Global articles in the listings of 2022-01-26 and 2024-06-13, which must not be followed;
    - one article updated after publication ("Diperbarui");
    - the article the project was designed around (``design_article``), on 2022-01-27.

    ``with_2026`` (what ``make demo`` serves) adds the 2026 days of `live_days`, listed newest
    first 20 a page like the live index. ``with_sections`` (served by ``make demo`` too) adds the
    indexes of other sections, `section_days`: ``site=news``, ``site=hype`` and ``site=all``.
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
    if with_2026:
        days.update(live_days(seed, first_number=number + 10))
    sections = section_days(seed, nasional, hype, jan26[0]) if with_sections else None
    return OfflineSite(days, per_page=4, newest_per_page=20 if with_2026 else 10, sections=sections)


def _on_own_host(spec: ArticleSpec, channel: str) -> ArticleSpec:
    """The article moved from ``www.kompas.com/<channel>/read`` to ``<channel>.kompas.com/read``."""
    url = spec.url.replace(f"www.kompas.com/{channel}/", f"{channel}.kompas.com/", 1)
    return replace(spec, url=url)


def section_days(
    seed: int, nasional: ArticleSpec, hype: ArticleSpec, global_: ArticleSpec
) -> dict[str, dict[date, list[ListingEntry]]]:
    """Other sections' indexes for `demo_site`, sharing its articles where Kompas does:

    - ``site=news`` on 2022-01-26 (two pages of 4): the Nasional article of the Global listing,
      one on ``regional.kompas.com``, one on ``megapolitan.kompas.com`` listed by its AMP URL
      with tracking parameters, and a Global article (``www.kompas.com/global/read``, also on
      Global's index); on 2022-01-27 one more Nasional article;
    - ``site=hype`` on 2024-06-13: the Hype article (``www.kompas.com/hype/read``) of the Global
      listing, and one more.
    """
    news = []
    for offset, (channel, sub) in enumerate(
        [("regional", "Regional"), ("megapolitan", "Megapolitan")]
    ):
        spec = make_article(
            seed + 910 + offset,
            datetime(2022, 1, 26, 11 - offset, 15, tzinfo=WIB),
            number=910 + offset,
            section_path=channel,
            section="News",
            subsection=sub,
        )
        news.append(_on_own_host(spec, channel))
    regional, megapolitan = news
    amp = megapolitan.url.replace("megapolitan.kompas.com/", "amp.kompas.com/megapolitan/", 1)
    nasional27 = _on_own_host(
        make_article(
            seed + 912,
            datetime(2022, 1, 27, 8, 40, tzinfo=WIB),
            number=912,
            section_path="nasional",
            section="News",
            subsection="Nasional",
        ),
        "nasional",
    )
    hype2 = make_article(
        seed + 913,
        datetime(2024, 6, 13, 20, 5, tzinfo=WIB),
        number=913,
        section_path="hype",
        section="Hype",
        subsection="Film",
    )
    by_time = sorted([nasional, regional, megapolitan, global_], key=lambda s: s.published)
    jan26 = [ListingEntry(amp if s is megapolitan else s.url, s) for s in reversed(by_time)]
    return {
        "news": {
            date(2022, 1, 26): jan26,
            date(2022, 1, 27): [ListingEntry(nasional27.url, nasional27)],
        },
        "hype": {date(2024, 6, 13): [ListingEntry(hype2.url, hype2), ListingEntry(hype.url, hype)]},
    }


LIVE_DAYS = (date(2026, 4, 16), date(2026, 4, 17))
LIVE_LAST_DAY = date(2026, 4, 30)  # generated 2026-era days end here


def _with_dash(spec: ArticleSpec, dash: str) -> ArticleSpec:
    head, rest = spec.paragraphs[0].split(", KOMPAS.com ", 1)
    lead = f"{head}, KOMPAS.com {dash} {rest.split(' ', 1)[1]}"
    return replace(spec, paragraphs=(lead, *spec.paragraphs[1:]))


def live_days(seed: int = 20220127, first_number: int = 100) -> dict[date, list[ListingEntry]]:
    """Two days of the 2026 live site: 2026-04-16 (5 articles) and 2026-04-17 (24 articles, two
    index pages of 20), with one article per special case on 2026-04-17, in this order:

    0. two writers and an editor, all under a "Tim Redaksi" label (roles only in the modal);
    1. "Diperbarui"-only time (read__time shows the update; publish time only in metas/JSON-LD);
    2. "(Sumber: Reuters)" as the body's last line, the only place naming the wire source;
    3. an opinion column (``div.opinion__author a.opinion__link`` names the writer);
    4. no #creditModal: the writer after the "Penulis" label, the editor only in JSON-LD;
    5. the source only in ``content_source`` (AFP);
    6-8. the lead's dash as "-", an en dash and an em dash.
    """
    days: dict[date, list[ListingEntry]] = {}
    specs16 = _day_articles(LIVE_DAYS[0], 5, first_number, seed, markup=ERA_2026)
    specs17 = _day_articles(LIVE_DAYS[1], 24, first_number + 5, seed, markup=ERA_2026)
    pool = [(spec.url, spec.title) for spec in specs16]
    specs17[:] = [
        replace(spec, related=tuple(pool[n % 4 : n % 4 + 2])) for n, spec in enumerate(specs17)
    ]
    specs17[0] = replace(
        specs17[0],
        writers=("Melvina Tionardus", "Yunanto Wiji Utomo"),
        editors=("Egidius Patnistik",),
    )
    specs17[1] = replace(
        specs17[1],
        updated_only=True,
        updated=specs17[1].published + timedelta(hours=23, minutes=33),
    )
    specs17[2] = replace(specs17[2], sources=("Reuters",), source_line=True)
    specs17[3] = replace(specs17[3], opinion=True)
    specs17[4] = replace(specs17[4], credit_modal=False)
    specs17[5] = replace(specs17[5], sources=("AFP",), source_line=False)
    for index, dash in zip((6, 7, 8), ("-", "\u2013", "\u2014"), strict=True):
        specs17[index] = _with_dash(specs17[index], dash)
    for day, specs in zip(LIVE_DAYS, (specs16, specs17), strict=True):
        days[day] = [ListingEntry(spec.url, spec) for spec in specs]
    return days


def generated_site(
    articles: int,
    *,
    per_day: int = 40,
    per_page: int = 20,
    last_day: date = date(2024, 6, 30),
    day_step: int = 15,
    seed: int = 7,
    days_2026: int = 0,
) -> OfflineSite:
    """A large site for benchmarks: ``articles`` Global articles, ``per_day`` on every
    ``day_step``-th day back from ``last_day`` (by default reaching back across both historic
    eras); the first ``days_2026`` days of articles are 2026-era days instead, one a day back
    from `LIVE_LAST_DAY` (listed 20 a page)."""
    day_count = -(-articles // per_day)
    days: dict[date, list[ListingEntry]] = {}
    number = 0
    for offset in range(day_count):
        live = offset < days_2026
        if live:
            day = LIVE_LAST_DAY - timedelta(days=offset)
        else:
            day = last_day - timedelta(days=(offset - days_2026) * day_step)
        count = min(per_day, articles - number)
        specs = _day_articles(day, count, number, seed, markup=ERA_2026 if live else None)
        days[day] = [ListingEntry(spec.url, spec) for spec in specs]
        number += count
    historic = max(day_count - days_2026, 0)
    return OfflineSite(
        days,
        per_page=per_page,
        newest_per_page=per_page,
        new_listing_from=last_day - timedelta(days=historic // 2 * day_step),
    )
