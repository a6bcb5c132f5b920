"""The offline site's 2026 markup, checked against KOMPAS_SITE.md ("The live site in 2025-2026")
with lxml alone: the pages must say what the reference says, whatever the parsers make of it."""

from __future__ import annotations

import json
import re
from datetime import date, datetime

import pytest
from lxml import html

from kompas_crawler.offline import ArticleSpec, OfflineSite, demo_site, generated_site
from kompas_crawler.offline.articles_2026 import NOISE_BLOCKS_2026, NOISE_LINES_2026
from kompas_crawler.offline.sites import LIVE_DAYS
from kompas_crawler.offline.specs import MONTHS_ID
from kompas_crawler.urls import index_url

DAY = LIVE_DAYS[1]


@pytest.fixture(scope="module")
def site() -> OfflineSite:
    return demo_site(with_2026=True)


@pytest.fixture(scope="module")
def specials(site: OfflineSite) -> list[ArticleSpec]:
    return [entry.article for entry in site.days[DAY]]


def page(site: OfflineSite, url: str) -> html.HtmlElement:
    reply = site.reply(url)
    assert reply.status == 200, url
    return html.fromstring(reply.body)


def news_article(root: html.HtmlElement) -> dict[str, object]:
    blocks = [json.loads(s.text) for s in root.xpath("//script[@type='application/ld+json']")]
    (news,) = [block for block in blocks if block["@type"] == "NewsArticle"]
    return news


def metas(root: html.HtmlElement) -> dict[str, str]:
    return {
        (m.get("name") or m.get("property")): m.get("content")
        for m in root.xpath("//head/meta[@content]")
    }


def texts(elements: list[html.HtmlElement]) -> list[str]:
    return [" ".join(e.text_content().split()) for e in elements]


def test_demo_site_with_2026_days(site: OfflineSite) -> None:
    assert len(site.expected_articles()) == 29 + 29
    live = [spec for spec in site.articles.values() if spec.era == "2026"]
    assert len(live) == 29 and all(spec.day in LIVE_DAYS for spec in live)
    assert len(demo_site().articles) == 32  # the default demo site keeps the historic eras only


def test_one_writer_is_shown_after_the_penulis_label(site: OfflineSite, specials) -> None:
    spec = specials[5]
    assert len(spec.writers) == 1
    root = page(site, spec.url)
    (title,) = root.cssselect("div.credit div.credit-title")
    assert [child.tag for child in title][:2] == ["p", "div"] and title[0].text == "Penulis"
    assert texts(title.cssselect("div.credit-title-name div.credit-title-nameEditor")) == [
        spec.writers[0]
    ]
    people = len(spec.writers) + len(spec.editors)
    assert len(root.cssselect("div.credit div.credit-picture > div.credit-picture-img")) == people


def test_several_people_under_tim_redaksi(site: OfflineSite, specials) -> None:
    spec = specials[0]
    assert spec.writers == ("Melvina Tionardus", "Yunanto Wiji Utomo") and len(spec.editors) == 1
    root = page(site, spec.url)
    (title,) = root.cssselect("div.credit div.credit-title")
    names = texts(title.cssselect("div.credit-title-name > div.credit-title-nameEditor"))
    assert names == ["Melvina Tionardus,", "Yunanto Wiji Utomo,", spec.editors[0]]
    assert title[-1].tag == "p" and title[-1].text == "Tim Redaksi"
    assert not title.xpath("p[.='Penulis']")


@pytest.mark.parametrize("index", [0, 1, 2, 3, 5, 6])
def test_the_credit_modal_gives_every_role(site: OfflineSite, specials, index: int) -> None:
    spec = specials[index]
    root = page(site, spec.url)
    (modal,) = root.cssselect("div#creditModal.creditModal")
    found = []
    for link in modal.cssselect("a"):
        (author,) = link.cssselect("div.credit-author > div.credit-author-title")
        name = author.cssselect("div.credit-author-name")[0].text
        position = author.cssselect("div.credit-author-name + div.credit-author-position")[0].text
        assert re.fullmatch(
            r"https://indeks\.kompas\.com/profile/\d+/" + re.escape(name.replace(" ", ".")),
            link.get("href"),
        )
        found.append((name, position))
    expected = [(n, "Penulis") for n in spec.writers] + [(n, "Editor") for n in spec.editors]
    assert found == expected


def test_without_the_modal_the_editor_is_only_in_json_ld(site: OfflineSite, specials) -> None:
    spec = specials[4]
    root = page(site, spec.url)
    assert not spec.credit_modal and not root.cssselect("#creditModal")
    assert news_article(root)["author"] == {"@type": "Person", "name": spec.editors[0]}
    assert spec.editors[0] not in root.cssselect("div.credit")[0].text_content()


def test_read_time_starts_with_a_link(site: OfflineSite, specials) -> None:
    spacings = set()
    for spec in specials[2:]:
        (time_block,) = page(site, spec.url).cssselect("div.read__time")
        link = time_block[0]
        assert link.tag == "a" and link.get("href") == "https://www.kompas.com"
        assert link.text == "Kompas.com" and time_block.text is None
        local = spec.published
        shown = f"{local.day} {MONTHS_ID[local.month - 1]} {local.year}, {local:%H:%M} WIB"
        assert link.tail in (f", {shown}", f" , {shown}")
        spacings.add(link.tail[0])
    assert spacings == {",", " "}  # both forms of the live site occur


def test_diperbarui_only_time_shows_the_update_not_the_publish_time(
    site: OfflineSite, specials
) -> None:
    spec = specials[1]
    assert spec.updated_only and spec.updated is not None and spec.updated.day != spec.day.day
    root = page(site, spec.url)
    (time_block,) = root.cssselect("div.read__time")
    assert time_block[0].tail == f", Diperbarui {spec.updated:%d/%m/%Y, %H:%M} WIB"
    assert f"{spec.published:%H:%M}" not in time_block.text_content()
    assert metas(root)["article:published_time"] == spec.published_utc.isoformat()
    news = news_article(root)
    assert datetime.fromisoformat(str(news["dateModified"])) == spec.updated


def test_times_in_metas_and_json_ld(site: OfflineSite, specials) -> None:
    for spec in specials:
        root = page(site, spec.url)
        found = metas(root)
        assert found["article:published_time"].endswith("+00:00")
        assert datetime.fromisoformat(found["article:published_time"]) == spec.published
        assert "content_PublishedDate" not in found and "content_author" not in found
        news = news_article(root)
        assert str(news["datePublished"]).endswith("+07:00")
        assert datetime.fromisoformat(str(news["datePublished"])) == spec.published
        assert news["author"] == {"@type": "Person", "name": ", ".join(spec.editors)}
        # The URL id's first six digits are the WIB publish time, to the second.
        assert spec.url.split("/")[-2][:6] == f"{spec.published:%H%M%S}"


def test_body_paragraphs_and_the_2026_noise(site: OfflineSite, specials) -> None:
    for spec in specials:
        root = page(site, spec.url)
        (content,) = root.cssselect("div.read__content")
        (clearfix,) = content.cssselect("div.read__content > div.clearfix")
        lines = texts(clearfix.xpath("p"))
        assert set(NOISE_LINES_2026) <= set(lines)
        assert any(line.startswith("Artikel ini sudah tayang di ") for line in lines)
        for block in NOISE_BLOCKS_2026:
            assert clearfix.cssselect(f"div.{block}"), block
        article_text = [
            line
            for line in lines
            if line not in NOISE_LINES_2026
            and not line.startswith(("Baca juga:", "Artikel ini sudah tayang", "(Sumber:"))
        ]
        assert article_text == list(spec.paragraphs)
        assert clearfix.getnext().get("class") == "fb-quote"


def test_sources_only_in_a_sumber_line_or_content_source(site: OfflineSite, specials) -> None:
    line_spec, meta_spec = specials[2], specials[5]
    root = page(site, line_spec.url)
    assert root.xpath("//div[@class='clearfix']/p[.='(Sumber: Reuters)']")
    assert metas(root)["content_source"] == ""
    assert "Sumber" not in root.cssselect("div.credit")[0].text_content()
    root = page(site, meta_spec.url)
    assert metas(root)["content_source"] == "AFP"
    assert not [p for p in texts(root.xpath("//p")) if p.startswith("(Sumber")]
    silent = [spec for spec in site.articles.values() if spec.era == "2026" and not spec.sources]
    assert silent  # "mostly empty": most 2026 pages name no wire source at all


def test_lead_dash_variants(site: OfflineSite) -> None:
    dashes = set()
    for spec in (s for s in site.articles.values() if s.era == "2026"):
        (lead,) = page(site, spec.url).xpath("//div[@class='clearfix']/p[strong][1]")[:1]
        assert lead[0].text == f"{spec.dateline}, KOMPAS.com"
        dashes.add(lead[0].tail[1])
        assert lead.text_content() == spec.paragraphs[0]
    assert dashes == {"-", "\u2013", "\u2014"}


def test_breadcrumb_ends_with_the_section(site: OfflineSite, specials) -> None:
    links = page(site, specials[0].url).cssselect("div.breadcrumb li a.breadcrumb__link")
    assert texts(links) == ["Home", "Global"] and specials[0].section == "Global"


def test_opinion_author(site: OfflineSite, specials) -> None:
    spec = specials[3]
    (link,) = page(site, spec.url).cssselect("div.opinion__author a.opinion__link")
    assert spec.opinion and link.text == spec.writers[0]


# -- the 2026 index --------------------------------------------------------------------------


def test_2026_index_items_20_a_page(site: OfflineSite) -> None:
    root = page(site, index_url(DAY))
    items = root.cssselect("div.articleList > div.articleItem")
    assert len(items) == 20
    entries = site.days[DAY]
    for item, entry in zip(items, entries, strict=False):
        (link,) = item.cssselect("div.articleItem > a.article-link")
        assert link.get("href") == entry.href
        assert link.cssselect(".articleTitle")[0].text == entry.article.title
        assert link.cssselect(".articlePost-subtitle")[0].text == "Global"
        assert link.cssselect(".articlePost-date")[0].text == f"{entry.article.day:%d/%m/%Y}"
    (next_link,) = root.cssselect("a.paging__link--next[rel=next]")
    assert next_link.get("href") == index_url(DAY, 2)
    assert not root.cssselect("a.paging__link--last")  # the live index hides the page count
    assert len(page(site, index_url(DAY, 2)).cssselect("div.articleItem")) == 4


def test_2026_index_answers_an_empty_page_past_the_last(site: OfflineSite) -> None:
    root = page(site, index_url(DAY, 3))
    assert not root.cssselect("div.articleItem") and root.cssselect("div.searchContent")
    assert site.reply(index_url(date(2024, 6, 13), 3)).status == 404  # older days: as before


def test_script_paging_mode_hides_the_next_link() -> None:
    site = demo_site(with_2026=True)
    site.set_mode("script_paging")
    first, second = page(site, index_url(DAY, 1)), page(site, index_url(DAY, 2))
    for root in (first, second):
        assert not root.cssselect("a.paging__link") and not root.xpath("//a[@rel='next']")
    (script,) = first.cssselect("div#indeksPaging + script")
    assert "page=2" in script.text and "\\u003ca" in script.text
    assert len(second.cssselect("div.articleItem")) == 4
    assert not page(site, index_url(DAY, 3)).cssselect("div.articleItem")


def test_generated_site_with_2026_days() -> None:
    site = generated_site(200, per_day=40, days_2026=2)
    eras = [spec.era for spec in site.articles.values()]
    assert eras.count("2026") == 80 and len(site.expected_articles()) == 200
    newest_day = next(iter(site.days))
    assert site.listing_markup(newest_day) == "2026" and site.listing_markup(None) == "2026"
    assert [len(p) for p in site.listing_pages(newest_day)] == [20, 20]
