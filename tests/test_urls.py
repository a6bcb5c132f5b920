from datetime import date

import pytest

from kompas_crawler.urls import (
    article_id,
    canonical_url,
    index_url,
    is_global_article_url,
    is_kompas_host,
    is_site_article_url,
    is_site_value,
    url_channel,
    url_section,
    whole_article_url,
)

NATO = "https://www.kompas.com/global/read/2022/01/27/210600070/as-tolak-permintaan-rusia"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (NATO, NATO),
        (NATO + "?page=all", NATO),
        (NATO + "?page=2#comments", NATO),
        (NATO + "?utm_source=x&jxrecoid=1", NATO),
        (NATO.replace("https://www.", "http://www."), NATO),
        (NATO.replace("www.", "amp."), NATO),
        (NATO.replace("www.", "indeks."), NATO),
        (NATO.replace("www.", "WWW."), NATO),
        (NATO + "/", NATO),
        (
            "http://internasional.kompas.com/read/2016/10/14/20230371/sylviana.murni?x=1",
            "https://internasional.kompas.com/read/2016/10/14/20230371/sylviana.murni",
        ),
        ("https://www.kompas.com/global/komentar/2022/01/27/210600070/as-tolak", None),
        ("https://www.kompas.com/global", None),
        ("https://evil.example/global/read/2022/01/27/210600070/as", None),
        ("https://kompas.com.evil.example/global/read/2022/01/27/210600070/as", None),
        ("not a url", None),
        ("", None),
    ],
)
def test_canonical_url(url: str, expected: str | None) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (NATO + "?page=all", "20220127-210600070"),
        ("https://internasional.kompas.com/read/2016/10/14/20230371/x", "20161014-20230371"),
        ("https://www.kompas.com/global", None),
    ],
)
def test_article_id(url: str, expected: str | None) -> None:
    assert article_id(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (NATO, True),
        (NATO.replace("www.", "amp."), True),
        ("https://internasional.kompas.com/read/2017/09/17/10000001/x", True),
        ("https://www.kompas.com/hype/read/2019/12/07/074300566/karena-didi-kempot", False),
        ("https://regional.kompas.com/read/2019/12/07/07430051/x", False),
        ("https://www.kompas.com/global/komentar/2022/01/27/210600070/x", False),
    ],
)
def test_is_global_article_url(url: str, expected: bool) -> None:
    assert is_global_article_url(url) is expected


def test_whole_article_url_is_canonical_plus_page_all() -> None:
    assert whole_article_url(NATO + "?page=2") == NATO + "?page=all"


def test_index_url() -> None:
    assert index_url() == "https://indeks.kompas.com/?site=global"
    assert index_url(date(2022, 1, 27), 3) == (
        "https://indeks.kompas.com/?site=global&date=2022-01-27&page=3"
    )


@pytest.mark.parametrize(
    ("host", "expected"),
    [("kompas.com", True), ("www.kompas.com", True), ("notkompas.com", False), (None, False)],
)
def test_is_kompas_host(host: str | None, expected: bool) -> None:
    assert is_kompas_host(host) is expected


# Real URL shapes of other sections (the 2017 home page and the 2019 Hype page).
NASIONAL = "https://nasional.kompas.com/read/2019/12/07/09375271/erick-thohir-akan-copot-semua"
HYPE = "https://www.kompas.com/hype/read/2019/12/07/074300566/karena-didi-kempot-musik"
TREN = "https://www.kompas.com/tren/read/2019/12/07/060000265/viral-foto-sri-mulyani"
EKONOMI = "https://ekonomi.kompas.com/read/2017/09/17/142311226/jemaah-masih-dapat-ajukan"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (NASIONAL, NASIONAL),
        (NASIONAL.replace("https://", "http://") + "?page=all&utm_source=x", NASIONAL),
        # The AMP copy of an article on a section host folds into that host, not www.
        (NASIONAL.replace("nasional.kompas.com/", "amp.kompas.com/nasional/"), NASIONAL),
        (NASIONAL.replace("nasional.kompas.com/", "m.kompas.com/nasional/"), NASIONAL),
        (EKONOMI, EKONOMI),
        (EKONOMI.replace("ekonomi.kompas.com/", "amp.kompas.com/ekonomi/"), EKONOMI),
        (HYPE + "?utm_source=Facebook&utm_medium=Refferal", HYPE),
        (HYPE.replace("www.", "amp."), HYPE),
        (TREN.replace("www.", "amp.") + "?page=2", TREN),
        (
            "http://bola.kompas.com/read/2017/09/17/08575258/jadwal?x=1",
            "https://bola.kompas.com/read/2017/09/17/08575258/jadwal",
        ),
        ("http://foto.kompas.com/photo/read/2017/09/17/15056360470a1/Menjajal", None),
        ("https://nasional.kompas.com.evil.example/read/2019/12/07/09375271/x", None),
    ],
)
def test_canonical_url_keeps_the_sections_own_host(url: str, expected: str | None) -> None:
    assert canonical_url(url) == expected


def test_one_article_has_one_id_on_every_host() -> None:
    amp = NASIONAL.replace("nasional.kompas.com/", "amp.kompas.com/nasional/")
    assert article_id(NASIONAL) == article_id(amp) == "20191207-09375271"


@pytest.mark.parametrize(
    ("url", "channel", "section"),
    [
        (NASIONAL, "nasional", "Nasional"),
        (
            NASIONAL.replace("nasional.kompas.com/", "amp.kompas.com/nasional/"),
            "nasional",
            "Nasional",
        ),
        (HYPE, "hype", "Hype"),
        (TREN.replace("www.", "amp."), "tren", "Tren"),
        (NATO, "global", "Global"),
        (
            "https://internasional.kompas.com/read/2016/10/14/20230371/x",
            "internasional",
            "Internasional",
        ),
        ("https://www.kompas.com/read/2016/10/14/20230371/x", None, None),  # names no section
        ("https://www.kompas.com/hype", None, None),  # not an article
    ],
)
def test_the_section_a_url_names(url: str, channel: str | None, section: str | None) -> None:
    assert (url_channel(url), url_section(url)) == (channel, section)


@pytest.mark.parametrize(
    ("url", "sites"),
    [
        (NATO, {"global", "news", "all"}),
        ("https://internasional.kompas.com/read/2017/09/17/10000001/x", {"global", "news", "all"}),
        (NASIONAL, {"nasional", "news", "all"}),
        ("https://regional.kompas.com/read/2019/12/07/07150091/x", {"regional", "news", "all"}),
        (HYPE, {"hype", "all"}),
        (TREN, {"tren", "all"}),
        (EKONOMI, {"money", "ekonomi", "all"}),
        ("https://money.kompas.com/read/2019/08/01/124215826/x", {"money", "all"}),
        ("https://www.kompas.com/global/komentar/2022/01/27/210600070/x", set()),
        ("https://evil.example/global/read/2022/01/27/210600070/as", set()),
    ],
)
def test_which_indeks_sites_list_an_article(url: str, sites: set[str]) -> None:
    candidates = {"global", "news", "all", "nasional", "regional", "hype", "tren", "money"}
    candidates.add("ekonomi")
    assert {site for site in candidates if is_site_article_url(url, site)} == sites


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("global", True),
        ("news", True),
        ("all", True),
        ("cek-fakta", True),
        ("ikn2", True),
        ("News", False),
        ("news,money", False),
        ("", False),
        ("-news", False),
        ("news-", False),
        ("berita nasional", False),
        ("x" * 41, False),
    ],
)
def test_site_values(value: str, valid: bool) -> None:
    assert is_site_value(value) is valid


def test_index_url_of_another_site() -> None:
    assert index_url(site="news") == "https://indeks.kompas.com/?site=news"
    assert index_url(date(2022, 1, 27), 2, site="all") == (
        "https://indeks.kompas.com/?site=all&date=2022-01-27&page=2"
    )
