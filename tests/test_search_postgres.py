"""Search on PostgreSQL (storage/search/postgres.py) answering as on SQLite: the judged queries
(tests/relevance) among the offline site's articles, and among a bulk-loaded archive such as the
query benchmark makes (rows given their ids by COPY), where the judged articles must be stored
and found too.

The server is the session's throwaway cluster (tests/postgres.py); without one these are skipped.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.engine import make_url

from benchmarks.query import load_postgres
from kompas_crawler.storage.archive import ArchiveWriter
from kompas_crawler.storage.database import open_archive
from kompas_crawler.storage.models import ArticleRow, ArticleStem
from kompas_crawler.storage.search import search
from kompas_crawler.storage.search.relevance import JudgedSet, add_judged, judged_top3, misses
from tests.test_relevance import GENERATED, JUDGED, START, generated_articles, load_judged

# Schema 6's link indexes, from the migration itself: (table, old, old columns, new, columns).
LINK_INDEXES = importlib.import_module(
    "kompas_crawler.storage.migrations.versions.0006_link_indexes"
)._REPLACED
VECTORS = {"articles": "search_vector", "article_stems": "stem_vector"}


@pytest.fixture(scope="module")
def judged() -> JudgedSet:
    return load_judged(JUDGED)


@pytest.fixture
def judged_archive(postgres_url: str, judged: JudgedSet) -> Iterator[Engine]:
    engine = open_archive(postgres_url)
    ArchiveWriter(engine).save_batch(generated_articles(GENERATED), START)
    add_judged(engine, judged)
    yield engine
    engine.dispose()


def test_every_judged_query_ranks_a_relevant_article_in_its_top_3(
    judged_archive: Engine, judged: JudgedSet
) -> None:
    assert misses(judged_archive, judged) == []


def test_stemming_is_what_finds_the_affixed_forms(
    judged_archive: Engine, judged: JudgedSet
) -> None:
    scores = judged_top3(judged_archive, judged)
    assert scores["stemmed"] == scores["queries"] == 20
    assert scores["exact"] <= 13
    assert {"serangan", "tuntut", "terendam", "pengungsian"} <= set(
        misses(judged_archive, judged, exact=True)
    )


def test_articles_written_after_a_bulk_load_are_stored_and_found(
    postgres_url: str, judged: JudgedSet
) -> None:
    # The benchmark's archive: rows COPYed in with their ids, then the judged articles written
    # by the archive writer, whose ids come from the tables' sequences.
    load_postgres(make_url(postgres_url), 40, seed=7)
    engine = open_archive(postgres_url)
    add_judged(engine, judged)
    with engine.connect() as connection:
        articles = connection.execute(select(func.count()).select_from(ArticleRow)).scalar()
        stems = connection.execute(select(func.count()).select_from(ArticleStem)).scalar()
    assert articles == stems == 40 + len(judged.articles)
    [hit] = search(engine, '"Pelabuhan Odesa"').hits
    assert hit.url.endswith("/judged-odesa")
    assert misses(engine, judged) == []
    engine.dispose()


def storage(connection: Connection) -> dict[str, str]:
    """How each table stores its tsvector (attstorage: m for main, x for extended)."""
    rows = connection.execute(
        text(
            "SELECT attrelid::regclass::text, attstorage FROM pg_attribute "
            "WHERE attname IN ('search_vector', 'stem_vector') AND attrelid::regclass::text "
            "IN ('articles', 'article_stems')"
        )
    )
    return {table: how for table, how in rows}


def files(connection: Connection) -> dict[str, int]:
    rows = connection.execute(
        text("SELECT relname, relfilenode FROM pg_class WHERE relname = ANY(:names)"),
        {"names": list(VECTORS)},
    )
    return {name: node for name, node in rows}


def test_the_tsvectors_are_kept_in_their_rows_in_new_and_upgraded_archives(
    postgres_url: str,
) -> None:
    engine = open_archive(postgres_url)
    with engine.begin() as connection:
        assert storage(connection) == {"articles": "m", "article_stems": "m"}
        # An archive of schema 4: the tsvectors in TOAST, as it made them.
        for table, vector in VECTORS.items():
            connection.execute(
                text(f"ALTER TABLE {table} ALTER COLUMN {vector} SET STORAGE EXTENDED")
            )
        # ...and its link indexes, before schema 6 made them covering.
        for table, old, old_columns, new, _ in LINK_INDEXES:
            connection.execute(text(f"DROP INDEX {new}"))
            connection.execute(text(f"CREATE INDEX {old} ON {table} ({', '.join(old_columns)})"))
        connection.execute(text("UPDATE archive_meta SET value = '4' WHERE key = 'schema_version'"))
        connection.execute(text("UPDATE alembic_version SET version_num = '0004'"))
    ArchiveWriter(engine).save_batch(generated_articles(20), START)
    with engine.connect() as connection:
        before = files(connection)
    engine.dispose()
    engine = open_archive(postgres_url)
    with engine.connect() as connection:
        assert storage(connection) == {"articles": "m", "article_stems": "m"}
        after = files(connection)
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            "0006"
        )
    # Both tables were rewritten, so the stored tsvectors moved into the rows too.
    assert all(after[table] != before[table] for table in VECTORS)
    hits = search(engine, "pemerintah", limit=50).hits
    assert hits and len(hits) == search(engine, "pemerintah", use_fts=False, limit=50).total
    engine.dispose()
