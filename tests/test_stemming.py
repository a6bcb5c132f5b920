"""Indonesian stemming: the stems themselves, and search finding a word's other forms through
the real CLI, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, text

from kompas_crawler.items import Article
from kompas_crawler.processors import WIB
from kompas_crawler.stemming import stem_text, stem_word
from kompas_crawler.storage.archive import ArchiveWriter
from kompas_crawler.storage.database import open_archive
from kompas_crawler.storage.filters import QueryError
from kompas_crawler.storage.search import search
from tests.crawling import KOMPAS_CRAWLER
from tests.test_query import SEEN, make_archive, sample_articles


def _article(number: int, title: str, body: str) -> Article:
    return Article(
        url=f"https://www.kompas.com/global/read/2024/05/0{number}/09000{number}070/kharkiv",
        title=title,
        published_at=datetime(2024, 5, number, 9, 0, tzinfo=WIB),
        body=body,
        tags=["Ukraina"],
        section="Global",
        fetched_at=SEEN,
    )


# One says only "menyerang", one only "serangan": the same story in two forms of one word.
ATTACKED = _article(1, "Rusia Menyerang Kota Kharkiv", "Pasukan Rusia menyerang Kharkiv dini hari.")
ATTACK = _article(2, "Warga Kharkiv Mengungsi", "Warga pergi setelah serangan Kharkiv semalam.")


def corpus() -> list[Article]:
    return [*sample_articles(), ATTACKED, ATTACK]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("stems") / "kompas.db"
    make_archive(path, corpus()).dispose()
    return f"sqlite:///{path}"


def kc(db: str, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KOMPAS_DATABASE_URL": db, "NO_COLOR": "1"}
    return subprocess.run(
        [KOMPAS_CRAWLER, "search", *argv], env=env, capture_output=True, text=True, timeout=60
    )


def found(db: str, *argv: str) -> list[str]:
    done = kc(db, *argv, "--json")
    assert done.returncode == 0, done.stderr
    return [hit["title"] for hit in json.loads(done.stdout)]


# ---------------------------------------------------------------------------- stems


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("menyerang", "serang"),
        ("diserang", "serang"),
        ("serangan", "serang"),
        ("menuntut", "tuntut"),
        ("tuntutan", "tuntut"),
        ("Kharkiv", "kharkiv"),  # not in Sastrawi's dictionary: as written, lowercased
        ("café", "café"),  # not ASCII: Sastrawi would mangle it, so it is left alone
        ("COP28", "cop28"),
    ],
)
def test_stem_word(word: str, stem: str) -> None:
    assert stem_word(word) == stem


def test_stem_text_keeps_one_token_per_word() -> None:
    text = "Rusia-Ukraina: AS menolak tuntutan itu, 100%."
    assert stem_text(text) == "rusia ukraina as tolak tuntut itu 100"
    assert len(stem_text(text).split()) == len(text.replace("-", " ").split())


def test_the_writer_keeps_the_stemmed_shadow_with_the_article(db: str) -> None:
    engine = open_archive(db)
    with engine.connect() as connection:
        stems = connection.execute(
            text(
                "SELECT s.title FROM article_stems s JOIN articles a ON a.id = s.article_id "
                "WHERE a.url = :url"
            ),
            {"url": ATTACKED.url},
        ).scalar_one()
        indexed = connection.execute(
            text("SELECT count(*) FROM article_stems_fts WHERE article_stems_fts MATCH 'serang'")
        ).scalar_one()
        edited = connection.execute(
            text(
                "SELECT s.body FROM article_stems s JOIN articles a ON a.id = s.article_id "
                "WHERE a.title LIKE '%(diperbarui)'"
            )
        ).scalar_one()
    engine.dispose()
    assert stems == "rusia serang kota kharkiv"
    assert indexed == 2
    assert edited.endswith("kremlin kecewa")  # an edited article's shadow follows its text


# ---------------------------------------------------------------------------- search


def test_a_word_finds_its_other_forms_the_form_typed_first(db: str) -> None:
    assert found(db, "serangan") == ["Warga Kharkiv Mengungsi", "Rusia Menyerang Kota Kharkiv"]
    assert found(db, "menyerang") == ["Rusia Menyerang Kota Kharkiv", "Warga Kharkiv Mengungsi"]
    assert found(db, "tuntut") == [
        "AS Tolak Permintaan Rusia Larang Ukraina Gabung NATO (diperbarui)"
    ]


def test_the_snippet_marks_the_form_found(db: str) -> None:
    done = kc(db, "serang")
    assert done.returncode == 0, done.stderr
    assert "**menyerang**" in done.stdout and "**serangan**" in done.stdout


def test_exact_finds_only_the_form_typed(db: str) -> None:
    assert found(db, "serangan", "--exact") == ["Warga Kharkiv Mengungsi"]
    assert found(db, "tuntut", "--exact") == []


def test_a_phrase_matches_as_written(db: str) -> None:
    # Stemmed, "serang kharkiv" would be in both articles; as written it is in one.
    assert found(db, '"serangan Kharkiv"') == ["Warga Kharkiv Mengungsi"]
    assert found(db, '"menyerang Kharkiv"') == ["Rusia Menyerang Kota Kharkiv"]
    assert found(db, '"serangan Kharkiv" pergi') == ["Warga Kharkiv Mengungsi"]


def test_not_excludes_every_form(db: str) -> None:
    assert found(db, "Kharkiv NOT menyerang") == []  # both say a form of "serang"
    assert found(db, "Kharkiv NOT menyerang", "--exact") == ["Warga Kharkiv Mengungsi"]


def test_a_word_sastrawi_cannot_stem_is_searched_as_written(db: str) -> None:
    assert sorted(found(db, "Kharkiv")) == [
        "Rusia Menyerang Kota Kharkiv",
        "Warga Kharkiv Mengungsi",
    ]
    assert found(db, "café") == ["Café di Paris Tutup"]
    assert found(db, "xyzzyq") == []


def test_prefix_queries_keep_working(db: str) -> None:
    assert len(found(db, "Khark*")) == 2
    assert (
        found(db, "Ukrain*", "--exact")
        == found(db, "Ukrain*")[: len(found(db, "Ukrain*", "--exact"))]
    )


def test_a_query_of_only_stopwords_says_so_in_one_line(db: str) -> None:
    done = kc(db, "yang", "dan")
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "only common words (yang, dan)" in lines[0], done.stderr
    assert kc(db, "dan", "--exact").returncode == 0  # as written, they are searched


def test_the_like_fallback_still_searches(db: str) -> None:
    engine = open_archive(db)
    result = search(engine, "serangan", use_fts=False)
    engine.dispose()
    assert not result.used_fts and [hit.title for hit in result.hits] == ["Warga Kharkiv Mengungsi"]


def test_the_python_api_takes_exact(db: str) -> None:
    from kompas_crawler.archive import Archive

    with Archive(db) as archive:
        assert len(archive.search("serangan")) == 2
        assert len(archive.search("serangan", exact=True)) == 1
        assert archive.count("serangan") == 2 and archive.count("serangan", exact=True) == 1
        with pytest.raises(QueryError, match="only common words"):
            archive.search("yang")


# ---------------------------------------------------------------------------- PostgreSQL


PARITY_QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("serangan", {}),
    ("menyerang", {}),
    ("serangan", {"exact": True}),
    ("tuntut", {}),
    ("menolak", {}),
    ('"serangan Kharkiv"', {}),
    ('"menyerang Kharkiv"', {}),
    ("Kharkiv NOT menyerang", {}),
    ("Kharkiv NOT menyerang", {"exact": True}),
    ("NATO Ukraina", {}),
    ('"Laut Hitam" pasok', {}),
    ("gencatan OR serang", {}),
    ("café", {}),
]


def _matches(engine: Engine) -> dict[str, list[str]]:
    return {
        f"{query} {options}": sorted(hit.url for hit in search(engine, query, **options).hits)
        for query, options in PARITY_QUERIES
    }


def test_postgresql_gives_the_same_answers_as_sqlite(db: str, postgres_url: str) -> None:
    engine = open_archive(postgres_url)
    writer = ArchiveWriter(engine)
    writer.save_batch(corpus(), SEEN)
    edited = sample_articles()[0]
    edited.title += " (diperbarui)"
    edited.body = (edited.body or "") + " Kremlin kecewa."
    writer.save_batch([edited], SEEN)
    sqlite = open_archive(db)
    try:
        expected = _matches(sqlite)
        assert expected["serangan {}"] and expected["tuntut {}"]  # the check means something
        assert _matches(engine) == expected
    finally:
        sqlite.dispose()
        engine.dispose()
