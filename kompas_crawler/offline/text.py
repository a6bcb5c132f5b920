"""Deterministic Indonesian news text, and `make_article`: a realistic `ArticleSpec` from a seed."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from kompas_crawler.items import Article
from kompas_crawler.offline.specs import DAYS_ID, ERA_2026, ArticleSpec
from kompas_crawler.processors import WIB

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


def slug(title: str) -> str:
    words = "".join(ch.lower() if ch.isalnum() else " " for ch in title).split()
    slug = "-".join(words)
    return slug if len(slug) <= 90 else slug[:90].rsplit("-", 1)[0]


# 2026 pages: the lead's dash varies, and "Tim Redaksi" is a credit label there, never a person.
_DASHES_2026 = ("-", "\u2013", "\u2014")
_EDITORS_2026 = [name for name in _EDITORS if name != "Tim Redaksi"]


def make_article(
    rng_seed: int,
    published: datetime,
    *,
    number: int,
    paragraphs: int | None = None,
    section_path: str = "global",
    related_pool: Sequence[tuple[str, str]] = (),
    markup: str | None = None,
    **overrides: object,
) -> ArticleSpec:
    """A realistic article published at ``published`` (WIB); ``number`` keeps ids unique.

    ``markup="2026"`` makes a page of the live site: the time to the second (the id's HHMMSS),
    a lead dash of any kind, and sources only where such pages show them (a "(Sumber: X)" line
    or ``content_source``), else none.
    """
    text = _TextMaker(rng_seed)
    city, country, short, name = text.rng.choice(_PLACES)
    topic, detail, tag = text.rng.choice(_TOPICS)
    live = markup == ERA_2026
    local = published.astimezone(WIB)
    if live and local.second == 0:
        local = local.replace(second=text.rng.randint(1, 59))
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
    dash = text.pick(_DASHES_2026) if live else "-"
    body = [f"{city}, KOMPAS.com {dash} " + text.paragraph(ctx)]
    body += [text.paragraph(ctx) for _ in range(count - 1)]
    # The id's first six digits are the WIB time HHMMSS; Global ids end in 70.
    article_number = f"{local:%H%M%S}{number % 10:01d}70"
    host = "www.kompas.com"
    path = f"/{section_path}/read/{local:%Y/%m/%d}/{article_number}/{slug(title)}"
    if section_path == "internasional":
        host, path = "internasional.kompas.com", path.replace("/internasional", "", 1)
    url = f"https://{host}{path}"
    related = tuple(text.rng.sample(list(related_pool), min(2, len(related_pool))))
    photo = f"{local:%Y/%m/%d}/{text.rng.getrandbits(40):010x}.jpg"
    # Drawn in the order the first version of this generator drew them: same seed, same site.
    writer = text.pick(_WRITERS)
    editor = text.pick(_EDITORS_2026 if live else _EDITORS)
    agency = text.pick(_AGENCIES)
    subsection = text.pick(_SUBSECTIONS)
    credit = text.pick(["AFP", "REUTERS", "AP PHOTO", "ANADOLU AGENCY"])
    sources: tuple[str, ...] = (agency,)
    source_line = False
    if live:
        shown = text.rng.random()
        source_line = shown < 0.4
        sources = (agency,) if shown < 0.55 else ()
    spec = ArticleSpec(
        url=url,
        title=title,
        published=local,
        paragraphs=tuple(body),
        dateline=city,
        writers=(writer,),
        editors=(editor,),
        sources=sources,
        tags=(tag, country, name),
        subsection=subsection,
        related=related,
        image_url=f"https://asset.kompas.com/crops/{photo}",
        image_caption=f"{name} saat memberikan keterangan di {city.title()}.",
        image_credit=credit,
        markup=markup,
        source_line=source_line,
    )
    return replace(spec, **overrides)  # type: ignore[arg-type]


def as_article(spec: ArticleSpec) -> Article:
    """``spec`` as an Article item, to write an archive without a crawl (tests, benchmarks)."""
    return Article(
        url=spec.url,
        title=spec.title,
        published_at=spec.published,
        body=spec.body,
        writers=list(spec.writers),
        sources=list(spec.sources),
        tags=list(spec.tags),
        section="Global",
        fetched_at=spec.published,
    )
