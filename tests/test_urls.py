from datetime import date

import pytest

from kompas_crawler.urls import (
    article_id,
    canonical_url,
    index_url,
    is_global_article_url,
    is_kompas_host,
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
