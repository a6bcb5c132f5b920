"""parse_article on our fixtures (both eras) and on the real 2019 page; never raises on bad HTML."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy.http import HtmlResponse, Request

from kompas_crawler.items import Article
from kompas_crawler.pages.article import has_more_pages, is_article_page, parse_article
from tests.conftest import FIXTURES, SHARED, get_testdata, load_response, shared_page

FETCHED_AT = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)
ARTICLE_FIXTURES = sorted(path.name for path in FIXTURES.glob("article_*.html"))
# Every field a parser fills (capture: which WARC record, set by the crawl).
ARTICLE_FIELDS = [field.name for field in dataclasses.fields(Article) if field.name != "capture"]
REAL_2019 = "article_2019-12-07_hype_didi-kempot.html"
REAL_2019_URL = (
    "https://www.kompas.com/hype/read/2019/12/07/074300566/"
    "karena-didi-kempot-musik-campursari-rasuki-the-pallas"
)
NATO = "article_2022-01-27_as-tolak-permintaan-rusia.html"


def fixture_url(name: str) -> str:
    return json.loads(get_testdata("urls.json"))[name]


def expected_output(name: str) -> dict:
    return json.loads(get_testdata(name.replace(".html", ".expected.json")))


def as_json(value):
    return value.isoformat() if isinstance(value, datetime) else value


def parse_fixture(name: str) -> Article:
    return parse_article(load_response(name, fixture_url(name)), FETCHED_AT)


@pytest.mark.parametrize("name", ARTICLE_FIXTURES)
@pytest.mark.parametrize("field", ARTICLE_FIELDS)
def test_fixture_field(name, field):
    article = parse_fixture(name)
    assert as_json(getattr(article, field)) == expected_output(name)[field]


@pytest.mark.parametrize("name", ARTICLE_FIXTURES)
def test_fixture_datetimes_are_utc(name):
    article = parse_fixture(name)
    for moment in (article.published_at, article.updated_at, article.fetched_at):
        assert moment is None or moment.tzinfo is UTC


def test_nato_body_is_the_seed_text_without_noise():
    seed = SHARED / "seed" / "000_c246d5d85f584d0a.txt"
    if not seed.exists():
        pytest.skip(f"{seed} not available")
    lines = [line.strip() for line in seed.read_text(encoding="utf-8").splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith("WASHINGTON DC, KOMPAS.com"))
    end = next(i for i, line in enumerate(lines) if line.startswith("Simak breaking news"))
    paragraphs = [line for line in lines[start:end] if line and not line.startswith("Baca juga")]
    assert parse_fixture(NATO).body == "\n\n".join(paragraphs)


def test_nato_related_titles_match_the_seed_baca_juga_lines():
    # The seed shows two "Baca juga" lines; both become related URLs, none stays in the text.
    article = parse_fixture(NATO)
    assert len(article.related_urls) == 2
    assert "Baca juga" not in article.body


# --- the real 2019 page: exact values from KOMPAS_SITE.md -------------------------------------


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("url", REAL_2019_URL),
        ("article_id", "20191207-074300566"),
        ("title", "Karena Didi Kempot, Musik Campursari Rasuki The Pallas"),
        ("published_at", datetime(2019, 12, 7, 0, 43, tzinfo=UTC)),
        ("updated_at", None),
        ("writers", ["Baharudin Al Farisi"]),
        ("editors", ["Andi Muttya Keteng Pangerang"]),
        ("sources", []),
        ("section", "Hype"),
        ("subsection", "Musik"),
        ("tags", ["Didi Kempot", "Konser Didi Kempot", "The Lord of Loro Ati"]),
        ("dateline", "JAKARTA"),
        ("image_credit", "KOMPAS.com/BAHARUDIN AL FARISI"),
        (
            "image_caption",
            "Penyanyi Didi Kempot saat bernyanyi di konser The Lord of Loro Ati di The Pallas, "
            "SCBD, Jakarta Selatan, Jumat (6/12/2019).",
        ),
        (
            "image_url",
            "https://asset.kompas.com/crops/LlhmgtrJ9WKVSbNaL7-yQibssPY=/0x0:0x0/750x500/"
            "data/photo/2019/12/06/5dea8373e2ee8.jpg",
        ),
        ("fetched_at", FETCHED_AT),
    ],
)
def test_real_2019_page(field, expected):
    response = load_response(shared_page(REAL_2019), REAL_2019_URL)
    assert getattr(parse_article(response, FETCHED_AT), field) == expected


def test_real_2019_page_published_in_wib():
    response = load_response(shared_page(REAL_2019), REAL_2019_URL)
    published = parse_article(response, FETCHED_AT).published_at
    assert published.isoformat() == "2019-12-07T00:43:00+00:00"
    assert published == datetime.fromisoformat("2019-12-07T07:43:00+07:00")


def test_real_2019_page_related_and_body():
    response = load_response(shared_page(REAL_2019), REAL_2019_URL)
    article = parse_article(response, FETCHED_AT)
    assert len(article.related_urls) == 4
    assert article.related_urls[0] == (
        "https://www.kompas.com/hype/read/2019/12/03/134146766/"
        "dory-harsa-penabuh-kendang-didi-kempot-yang-digilai-para-sad-girl"
    )
    assert article.body.startswith(
        "JAKARTA, KOMPAS.com - Penyanyi campursari Didi Kempot menggelar konser"
    )
    assert "Baca juga" not in article.body
    assert "TribunStyle" not in article.body
    assert article.body.endswith("semakin membakar semangat ratusan penonton untuk berdendang.")
    assert article.word_count == len(article.body.split())


def test_real_2019_page_without_its_url_uses_the_canonical_link():
    response = load_response(shared_page(REAL_2019), REAL_2019_URL + "?utm_source=Twitter")
    assert parse_article(response, FETCHED_AT).url == REAL_2019_URL


# --- multi-page articles ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "url", "expected"),
    [
        ("article_2020-11-04_pilpres-as-p1.html", None, True),
        ("article_2020-11-04_pilpres-as-p1.html", "?page=all", False),  # already whole
        ("article_2020-11-04_pilpres-as-all.html", None, False),
        (NATO, None, False),
    ],
)
def test_has_more_pages(name, url, expected):
    page_url = fixture_url(name).split("?")[0] + (url or "")
    assert has_more_pages(load_response(name, page_url)) is expected


def test_page_all_has_the_whole_text_of_page_one():
    first = parse_fixture("article_2020-11-04_pilpres-as-p1.html")
    whole = parse_fixture("article_2020-11-04_pilpres-as-all.html")
    assert whole.url == first.url
    assert whole.body.startswith(first.body)
    assert whole.word_count > first.word_count


# --- sources that must not be trusted, and disagreements ---------------------------------------


def page(
    body: str, url: str = "https://www.kompas.com/global/read/2023/05/01/100000070/x"
) -> HtmlResponse:
    return HtmlResponse(url=url, body=body.encode(), encoding="utf-8", request=Request(url))


def test_json_ld_author_is_the_editor_never_the_writer():
    response = page(
        '<html><head><script type="application/ld+json">'
        '{"@type": "NewsArticle", "author": {"@type": "Person", "name": "Ardi Priyatno"}}'
        "</script></head><body><h1 class='read__title'>Judul</h1></body></html>"
    )
    article = parse_article(response, FETCHED_AT)
    assert (article.writers, article.editors) == ([], ["Ardi Priyatno"])


@pytest.mark.parametrize(
    "credit",
    [
        "<p>Sumber <span>AFP</span></p>",
        "<div class='credit-title-item'><span>Sumber</span> <b>AFP</b></div>",
        "<div class='credit-title-item'><span>Sumber:</span> <a href='#'>AFP</a></div>",
        "<div>Sumber AFP</div>",
    ],
)
def test_source_credit_line_in_any_markup(credit):
    response = page(f"<html><body><div class='credit'>{credit}</div></body></html>")
    assert parse_article(response, FETCHED_AT).sources == ["AFP"]


def test_disagreeing_times_keep_the_most_precise_and_log(caplog):
    response = page(
        '<html><head><meta name="content_PublishedDate" content="2023-05-01 10:00:27"></head>'
        "<body><div class='read__time'>Kompas.com - 01/05/2023, 11:00 WIB</div></body></html>"
    )
    with caplog.at_level(logging.WARNING):
        article = parse_article(response, FETCHED_AT)
    assert article.published_at == datetime(2023, 5, 1, 3, 0, 27, tzinfo=UTC)
    assert "published_at sources disagree" in caplog.text


def test_update_not_after_publication_is_no_update():
    response = page(
        "<html><body><div class='read__time'>Kompas.com, 1 Mei 2023, 10:00 WIB "
        "Diperbarui 1 Mei 2023, 09:00 WIB</div></body></html>"
    )
    assert parse_article(response, FETCHED_AT).updated_at is None


def test_old_bare_text_body_is_split_on_double_breaks():
    response = page(
        "<html><body><div class='read__content'>KOMPAS.com - Satu.<br><br>Dua.<br />"
        "<br />Baca juga: <a href='https://www.kompas.com/global/read/2016/01/01/1000007/y'>Y</a>"
        "</div></body></html>"
    )
    article = parse_article(response, FETCHED_AT)
    assert article.body == "KOMPAS.com - Satu.\n\nDua."
    assert article.dateline is None


# --- never raises --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"<html",
        b"\x00\x01\xff\xfe",
        b"<p>only a paragraph",
        b"<html><body><div class='read__content'>",
    ],
)
def test_bad_html_gives_an_empty_article(body):
    url = "https://www.kompas.com/global/read/2023/05/01/100000070/x"
    response = HtmlResponse(url=url, body=body, encoding="utf-8")
    article = parse_article(response, FETCHED_AT)
    assert article.url == url
    assert article.fetched_at == FETCHED_AT
    assert article.title is None
    # Only the URL gives a time (id 100000070: 10:00:00 WIB), recorded as a fallback.
    assert article.published_at == datetime(2023, 5, 1, 3, 0, tzinfo=UTC)
    assert "published_at" in article.fallbacks


@settings(max_examples=60, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("<>/=\"' abcdiv pclass=read__content h1 WIB 0123456789:,"))
    )
)
def test_any_markup_gives_an_article(text):
    response = page(text)
    assert isinstance(parse_article(response, FETCHED_AT), Article)


def test_listings_are_not_article_pages():
    name = "listing_2024-12-26_indeks-new-middle.html"
    assert not is_article_page(load_response(name, fixture_url(name)))
    assert is_article_page(load_response(NATO, fixture_url(NATO)))


def test_parse_article_reads_no_clock():
    # The fetch time is the only "now": the same page parsed twice gives the same item.
    first = parse_fixture(NATO)
    second = parse_fixture(NATO)
    assert first == second
    assert re.fullmatch(r"\d{8}-\d{9}", first.article_id)


def test_single_break_is_a_space_and_source_line_wrapping_is_not_a_paragraph():
    response = page(
        "<html><body><div class='read__content'><p>Baris satu<br>baris dua</p>"
        "<p>Teks yang\n\n   terbungkus di sumber HTML</p></div></body></html>"
    )
    assert parse_article(response, FETCHED_AT).body == (
        "Baris satu baris dua\n\nTeks yang terbungkus di sumber HTML"
    )


# --- 2026 credits without the modal, and hostile pages: dropped or read, never wrong ----------

CREDIT_2026_URL = "https://www.kompas.com/global/read/2026/04/20/080000170/x"


def credit_block(label_before: str = "", label_after: str = "", metas: str = "") -> HtmlResponse:
    return page(
        f"<html><head>{metas}</head><body><h1 class='read__title'>Judul</h1>"
        "<div class='credit'><div class='credit-title'>"
        f"{label_before}<div class='credit-title-name'>"
        "<div class='credit-title-nameEditor'>Melvina Tionardus,</div>"
        "<div class='credit-title-nameEditor'>Yunanto Wiji Utomo</div>"
        f"</div>{label_after}</div></div>"
        "<div class='read__content'><p>Isi berita.</p></div></body></html>",
        url=CREDIT_2026_URL,
    )


def test_a_penulis_label_makes_every_name_a_writer():
    article = parse_article(credit_block(label_before="<p>Penulis</p>"), FETCHED_AT)
    assert (article.writers, article.editors) == (["Melvina Tionardus", "Yunanto Wiji Utomo"], [])
    assert article.layout == "2026"


def test_tim_redaksi_without_the_modal_stores_no_guessed_roles():
    # A wrong writer is worse than none: names under "Tim Redaksi" have no role of their own.
    article = parse_article(credit_block(label_after="<p>Tim Redaksi</p>"), FETCHED_AT)
    assert (article.writers, article.editors) == ([], [])


def test_tim_redaksi_names_take_their_roles_from_the_metas():
    metas = (
        "<meta name='content_author' content='Melvina Tionardus'>"
        "<meta name='content_editor' content='Yunanto Wiji Utomo'>"
    )
    article = parse_article(credit_block(label_after="<p>Tim Redaksi</p>", metas=metas), FETCHED_AT)
    assert (article.writers, article.editors) == (["Melvina Tionardus"], ["Yunanto Wiji Utomo"])


def test_modal_role_overrides_a_meta_that_disagrees():
    response = page(
        "<html><head><meta name='content_author' content='Yunanto Wiji Utomo'></head><body>"
        "<div id='creditModal' class='creditModal'>"
        "<a><div class='credit-author'><div class='credit-author-title'>"
        "<div class='credit-author-name'>Melvina Tionardus</div>"
        "<div class='credit-author-position'>Penulis</div></div></div></a>"
        "<a><div class='credit-author'><div class='credit-author-title'>"
        "<div class='credit-author-name'>Yunanto Wiji Utomo</div>"
        "<div class='credit-author-position'>Editor</div></div></div></a>"
        "</div><div class='read__content'><p>Isi.</p></div></body></html>",
        url=CREDIT_2026_URL,
    )
    article = parse_article(response, FETCHED_AT)
    assert (article.writers, article.editors) == (["Melvina Tionardus"], ["Yunanto Wiji Utomo"])


def test_opinion_author_is_the_writer():
    response = page(
        "<html><body><h1 class='read__title'>Kolom</h1><div class='opinion__author'>"
        "<a class='opinion__link' href='https://kolom.kompas.com/x'>Dinna Prapto Raharja</a>"
        "</div><div class='read__content'><p>Opini.</p></div></body></html>",
        url=CREDIT_2026_URL,
    )
    assert parse_article(response, FETCHED_AT).writers == ["Dinna Prapto Raharja"]


def drifted(head: str, body: str = "<div class='x'><p>Teks.</p></div>") -> HtmlResponse:
    canonical = f"<link rel='canonical' href='{CREDIT_2026_URL}'>"
    return page(f"<html><head>{canonical}{head}</head><body>{body}</body></html>")


def test_another_articles_json_ld_body_is_never_taken():
    ld = (
        '<script type="application/ld+json">{"@graph": ['
        '{"@type": "NewsArticle", "url": "https://www.kompas.com/global/read/2026/01/01/'
        '090000070/lain", "articleBody": "Teks artikel lain."},'
        '{"@type": "NewsArticle", "url": "https://www.kompas.com/global/read/2026/01/02/'
        '090000070/lain-lagi", "articleBody": "Teks artikel lain lagi."}]}</script>'
    )
    article = parse_article(drifted(ld, body=""), FETCHED_AT)
    assert article.body is None
    assert "body" not in article.fallbacks


def test_malformed_json_ld_is_skipped_and_the_rest_is_read():
    head = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": </script>'
        "<meta property='og:title' content='Judul dari og:title'>"
    )
    article = parse_article(drifted(head), FETCHED_AT)
    assert article.title == "Judul dari og:title"
    assert article.fallbacks == ["title", "published_at", "section", "body"]


def test_a_body_of_noise_only_is_no_body():
    content = (
        "<h1 class='read__title'>Judul</h1><div class='read__content'><p>Baca juga: X</p>"
        "<p>ADVERTISEMENT</p><p>Gabung KOMPAS.com Plus sekarang</p><p>Lihat Foto</p></div>"
        "<div class='sidebar'><p>Paragraf lain di halaman ini yang bukan artikel.</p></div>"
    )
    article = parse_article(drifted("", body=content), FETCHED_AT)
    assert article.body is None
    assert "body" not in article.fallbacks


def test_deeply_nested_json_ld_before_the_pages_own_does_not_lose_the_article():
    deep = "[" * 1000 + "]" * 1000
    head = (
        f'<script type="application/ld+json">{deep}</script>'
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Judul LD",'
        ' "datePublished": "2026-04-20T08:00:05+07:00"}</script>'
    )
    article = parse_article(drifted(head), FETCHED_AT)
    assert article.title == "Judul LD"
    assert article.published_at == datetime(2026, 4, 20, 1, 0, 5, tzinfo=UTC)


def test_deep_nesting_keeps_the_body():
    nested = "<div>" * 300 + "<p>Teks yang dalam.</p>" + "</div>" * 300
    body = f"<h1 class='read__title'>Judul</h1><div class='read__content'>{nested}</div>"
    assert parse_article(drifted("", body=body), FETCHED_AT).body == "Teks yang dalam."


def test_unparsable_links_and_base_href_do_not_cost_the_article():
    head = "<base href='http://[zz]/'>"
    body = (
        "<h1 class='read__title'>Judul</h1><div class='read__content'>"
        "<p>Awal <a href='http://[zz]/x'>tautan</a> akhir.</p>"
        "<p><strong>Baca juga:</strong> <a href='http://[zz]/y'>Rusak</a></p></div>"
    )
    article = parse_article(drifted(head, body=body), FETCHED_AT)
    assert article.body == "Awal tautan akhir."
    assert article.related_urls == []


def test_control_characters_never_reach_a_field():
    # Found by tests/test_fuzz_pages.py: a terminal escape inside JSON-LD articleBody.
    ld = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": '
        '"Judul\\u001b]0;pwned\\u0007", "articleBody": "\\u001b[2JAwal.\\nAkhir\\u0000."}</script>'
    )
    article = parse_article(drifted(ld, body=""), FETCHED_AT)
    assert article.body == "[2JAwal.\n\nAkhir ."
    assert article.title == "Judul ]0;pwned"
