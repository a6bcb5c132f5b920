"""ArticleLoader: each field gets the processor it needs, in source order."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from kompas_crawler.items import Article
from kompas_crawler.loaders import ArticleLoader

URL = "https://www.kompas.com/global/read/2022/01/27/210600070/as-tolak-permintaan-rusia"


@pytest.mark.parametrize(
    ("field", "values", "expected"),
    [
        ("url", [URL.replace("https://www.", "http://amp.") + "?page=all#x"], URL),
        ("url", ["https://www.kompas.com/global"], None),
        ("article_id", [URL], "20220127-210600070"),
        ("title", ["  AS Tolak\nPermintaan Rusia Halaman all "], "AS Tolak Permintaan Rusia"),
        ("title", [None, "", "Banjir di Henan - Kompas.com"], "Banjir di Henan"),
        ("published_at", ["2022-01-27 21:06:00"], datetime(2022, 1, 27, 14, 6, tzinfo=UTC)),
        (
            "published_at",
            [None, "Kompas.com - 27/01/2022, 21:06 WIB", "2022-01-27T14:06:00+00:00"],
            datetime(2022, 1, 27, 14, 6, tzinfo=UTC),
        ),
        ("fetched_at", [datetime(2024, 5, 13, 8, 0)], datetime(2024, 5, 13, 8, 0, tzinfo=UTC)),
        (
            "writers",
            ["Aditya Jaya Iswara", "ADITYA JAYA ISWARA,", "Penulis"],
            ["Aditya Jaya Iswara"],
        ),
        (
            "writers",
            ["Nadia Faradiba, Yogi Saputra", "Yogi Saputra"],
            ["Nadia Faradiba", "Yogi Saputra"],
        ),
        ("editors", [None, "Editor: Hendra Wijaya"], ["Hendra Wijaya"]),
        ("sources", ["", "Sumber AFP", "AFP"], ["AFP"]),
        ("tags", ["Rusia, Ukraina", "rusia, NATO"], ["Rusia", "Ukraina", "NATO"]),
        ("section", ["", " Global "], "Global"),
        ("dateline", ["WASHINGTON DC, KOMPAS.com - Amerika Serikat"], "WASHINGTON DC"),
        ("body", [" satu ", "\xa0", "dua\n kalimat"], "satu\n\ndua kalimat"),
        ("body", [], None),
        (
            "related_urls",
            [f"{URL}?utm_source=inner_link", URL, "https://www.kompas.com/tag/rusia"],
            [URL],
        ),
        (
            "image_url",
            ["data:image/gif;base64,R0lG", "https://asset.kompas.com/a.jpg"],
            "https://asset.kompas.com/a.jpg",
        ),
        ("word_count", [174], 174),
    ],
)
def test_field_processing(field, values, expected):
    loader = ArticleLoader()
    loader.add_value(field, values)
    assert loader.get_output_value(field) == expected


def test_load_item_gives_article_with_defaults():
    loader = ArticleLoader()
    loader.add_value("title", "Judul")
    article = loader.load_item()
    assert isinstance(article, Article)
    assert (article.title, article.writers, article.body, article.published_at) == (
        "Judul",
        [],
        None,
        None,
    )


def test_timestamps_disagreeing_are_logged(caplog):
    loader = ArticleLoader()
    with caplog.at_level(logging.WARNING, logger="kompas_crawler.processors"):
        loader.add_value("published_at", ["2022-01-27 21:06:00", "27/01/2022, 22:06 WIB"])
        assert loader.get_output_value("published_at") == datetime(2022, 1, 27, 14, 6, tzinfo=UTC)
    assert "published_at sources disagree" in caplog.text
