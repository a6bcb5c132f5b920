"""Relevance, checked: the judged queries rank a relevant article in their top 3, among the
offline site's generated articles, with stemming on (and fewer of them with it off)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from kompas_crawler.items import Article
from kompas_crawler.offline.text import as_article, make_article
from kompas_crawler.processors import WIB
from kompas_crawler.storage.archive import ArchiveWriter
from kompas_crawler.storage.database import open_archive
from kompas_crawler.storage.search.relevance import (
    JudgedSet,
    add_judged,
    judged_top3,
    load_judged,
    misses,
)

JUDGED = Path(__file__).parent / "relevance" / "judged.json"
GENERATED = 300  # articles of the offline site competing with the judged ones
START = datetime(2020, 1, 1, 8, 0, tzinfo=WIB)


def generated_articles(count: int) -> list[Article]:
    """The offline site's articles (its seeded Indonesian news text), as the crawler stores them."""
    specs = [
        make_article(n, START + timedelta(hours=37 * n), number=n) for n in range(1, count + 1)
    ]
    return [as_article(spec) for spec in specs]


@pytest.fixture(scope="module")
def judged() -> JudgedSet:
    return load_judged(JUDGED)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, judged: JudgedSet) -> Engine:
    engine = open_archive(f"sqlite:///{tmp_path_factory.mktemp('judged') / 'kompas.db'}")
    ArchiveWriter(engine).save_batch(generated_articles(GENERATED), START)
    add_judged(engine, judged)
    return engine


def test_the_judged_set_is_twenty_queries_with_known_articles(judged: JudgedSet) -> None:
    urls = {article.url for article in judged.articles}
    assert len(judged.queries) == 20
    assert all(item.relevant and item.relevant <= urls for item in judged.queries)


def test_every_judged_query_ranks_a_relevant_article_in_its_top_3(
    archive: Engine, judged: JudgedSet
) -> None:
    assert misses(archive, judged) == []


def test_stemming_is_what_finds_the_affixed_forms(archive: Engine, judged: JudgedSet) -> None:
    scores = judged_top3(archive, judged)
    assert scores["stemmed"] == scores["queries"] == 20
    # Without stemming, the queries whose words the articles print in other forms miss.
    assert scores["exact"] <= 13
    assert {"serangan", "tuntut", "terendam", "pengungsian"} <= set(
        misses(archive, judged, exact=True)
    )
