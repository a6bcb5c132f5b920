"""The archive write path and reads: insert / update / unchanged, revisions, FTS, concurrency."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import ClauseElement

from kompas_crawler.items import Article
from kompas_crawler.storage.archive import (
    ArchiveWriter,
    SaveCounts,
    content_hash,
    count_articles,
    known_urls,
    load_article,
    load_revisions,
    urls_published_since,
)
from kompas_crawler.storage.database import open_archive
from kompas_crawler.storage.models import Base, Revision

WIB = timezone(timedelta(hours=7))
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def make_article(n: int, **changes: object) -> Article:
    """A complete synthetic Global article number ``n``."""
    article = Article(
        url=f"https://www.kompas.com/global/read/2024/05/01/{100000000 + n}/judul-{n}",
        article_id=f"20240501-{100000000 + n}",
        title=f"Judul berita {n}",
        published_at=datetime(2024, 5, 1, 9, 30, tzinfo=WIB) + timedelta(minutes=n),
        updated_at=None,
        writers=[f"Penulis {n % 3}", "Penulis Bersama"],
        editors=[f"Editor {n % 2}"],
        sources=["AFP", "Reuters"] if n % 2 else ["Kompas TV"],
        section="Global",
        subsection="Asia",
        tags=["Ukraina", f"tag-{n % 4}"],
        dateline="KYIV, KOMPAS.com",
        body=f"Isi berita nomor {n}. Kalimat kedua tentang diplomasi.",
        related_urls=[f"https://www.kompas.com/global/read/2024/04/30/{200000000 + n}/lain"],
        image_url=f"https://asset.kompas.com/{n}.jpg",
        image_caption="Keterangan foto",
        image_credit="AFP/JOHN DOE",
        word_count=None,
        fetched_at=T0,
    )
    for name, value in changes.items():
        setattr(article, name, value)
    return article


# The PostgreSQL run gets a fresh database on the session's server (tests/postgres.py: its own
# throwaway cluster, or KOMPAS_TEST_POSTGRES_URL), and is skipped when there is none.
@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path) -> Engine:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'archive.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = open_archive(url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(tmp_path) -> Engine:  # type: ignore[no-untyped-def]
    engine = open_archive(f"sqlite:///{tmp_path / 'archive.db'}")
    yield engine
    engine.dispose()


def table_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in Base.metadata.tables.items()
        }


def stored_row(engine: Engine, url: str) -> dict[str, object]:
    with engine.connect() as connection:
        return dict(
            connection.execute(text("SELECT * FROM articles WHERE url = :url"), {"url": url})
            .mappings()
            .one()
        )


# -- insert / unchanged / update ----------------------------------------------------------------


def test_new_articles_are_inserted_and_read_back_whole(engine: Engine) -> None:
    batch = [make_article(n) for n in range(5)]
    counts = ArchiveWriter(engine).save_batch(batch, T0)
    assert counts == SaveCounts(new=5, updated=0, unchanged=0)
    loaded = load_article(engine, batch[3].url or "")
    expected = make_article(3)
    expected.word_count = len((expected.body or "").split())
    assert loaded == expected
    assert loaded is not None and loaded.published_at == datetime(2024, 5, 1, 2, 33, tzinfo=UTC)


def test_long_values_are_stored_whole_on_every_backend(engine: Engine) -> None:
    long_url = "https://www.kompas.com/global/read/2022/01/27/210600070/" + "x" * 1500
    article = make_article(
        1,
        related_urls=[long_url],
        dateline=" ".join(["WASHINGTON DC"] * 20),
        section=" ".join(["Global"] * 40),
        writers=[" ".join(["Nama"] * 80)],
    )
    assert ArchiveWriter(engine).save_batch([article], T0) == SaveCounts(new=1)
    loaded = load_article(engine, article.url or "")
    assert loaded is not None
    assert (loaded.related_urls, loaded.dateline, loaded.section, loaded.writers) == (
        [long_url],
        article.dateline,
        article.section,
        article.writers,
    )


def test_new_article_gets_first_and_last_seen(engine: Engine) -> None:
    ArchiveWriter(engine).save_batch([make_article(1)], T0)
    row = stored_row(engine, make_article(1).url or "")
    assert row["first_seen_at"] == row["last_seen_at"]
    assert str(row["first_seen_at"]).startswith("2024-05-01 12:00:00")


def test_saving_the_same_batch_twice_inserts_nothing(engine: Engine) -> None:
    writer = ArchiveWriter(engine)
    writer.save_batch([make_article(n) for n in range(10)], T0)
    before = table_counts(engine)
    counts = writer.save_batch([make_article(n) for n in range(10)], T0 + timedelta(hours=1))
    assert counts == SaveCounts(new=0, updated=0, unchanged=10)
    assert table_counts(engine) == before


def test_unchanged_article_only_gets_last_seen_at(engine: Engine) -> None:
    writer = ArchiveWriter(engine)
    writer.save_batch([make_article(1)], T0)
    before = stored_row(engine, make_article(1).url or "")
    later = T0 + timedelta(days=1)
    writer.save_batch([make_article(1, fetched_at=later)], later)
    after = stored_row(engine, make_article(1).url or "")
    assert str(after.pop("last_seen_at")).startswith("2024-05-02 12:00:00")
    before.pop("last_seen_at")
    assert after == before  # fetched_at included: a re-fetch of the same content is no news


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "Judul yang dikoreksi"),
        ("body", "Isi yang diperbarui."),
        ("writers", ["Penulis Lain"]),
        ("editors", []),
        ("tags", ["Rusia"]),
        ("sources", ["AP"]),
        ("updated_at", datetime(2024, 5, 1, 15, 0, tzinfo=WIB)),
        ("image_caption", "Keterangan baru"),
        ("related_urls", []),
        ("subsection", "Eropa"),
    ],
)
def test_changed_article_is_updated_and_its_old_version_kept(
    engine: Engine, field: str, value: object
) -> None:
    writer = ArchiveWriter(engine)
    writer.save_batch([make_article(1), make_article(2)], T0)
    first_row = stored_row(engine, make_article(1).url or "")
    later = T0 + timedelta(hours=6)
    edited = make_article(1, fetched_at=later, **{field: value})

    counts = writer.save_batch([edited, make_article(2)], later)

    assert counts == SaveCounts(new=0, updated=1, unchanged=1)
    current = load_article(engine, edited.url or "")
    assert current is not None and getattr(current, field) == value
    row = stored_row(engine, edited.url or "")
    assert row["id"] == first_row["id"]
    assert row["first_seen_at"] == first_row["first_seen_at"]
    assert row["last_seen_at"] != first_row["last_seen_at"]
    [previous] = load_revisions(engine, edited.url or "")
    original = make_article(1)
    original.word_count = len((original.body or "").split())
    assert previous == original


def test_each_edit_adds_one_revision_in_order(engine: Engine) -> None:
    writer = ArchiveWriter(engine)
    for version in range(3):
        seen = T0 + timedelta(hours=version)
        writer.save_batch([make_article(1, body=f"versi {version}", fetched_at=seen)], seen)
    writer.save_batch([make_article(1, body="versi 2")], T0 + timedelta(hours=9))
    assert [old.body for old in load_revisions(engine, "20240501-100000001")] == [
        "versi 0",
        "versi 1",
    ]
    with engine.connect() as connection:
        replaced = connection.execute(select(Revision.replaced_at).order_by(Revision.id)).scalars()
        assert [str(value)[:19] for value in replaced] == [
            "2024-05-01 13:00:00",
            "2024-05-01 14:00:00",
        ]


def test_changed_bylines_replace_the_old_ones(engine: Engine) -> None:
    writer = ArchiveWriter(engine)
    writer.save_batch([make_article(1, writers=["A", "B"], tags=["x", "y", "z"])], T0)
    writer.save_batch([make_article(1, writers=["C"], tags=["z", "x"])], T0)
    current = load_article(engine, "20240501-100000001")
    assert current is not None
    assert (current.writers, current.tags) == (["C"], ["z", "x"])
    counts = table_counts(engine)
    assert counts["people"] == 4  # A, B, C, Editor 1: names stay, once each
    assert counts["article_people"] == 2  # C + the editor


def test_names_are_shared_between_articles(engine: Engine) -> None:
    ArchiveWriter(engine).save_batch([make_article(n) for n in range(6)], T0)
    counts = table_counts(engine)
    assert counts["sources"] == 3
    assert counts["tags"] == 5
    assert counts["people"] == 6  # Penulis 0-2, Penulis Bersama, Editor 0-1


def test_blank_and_repeated_names_are_cleaned(engine: Engine) -> None:
    article = make_article(1, writers=["  Ana  Putri ", "Ana Putri", ""], tags=["a", "a"])
    ArchiveWriter(engine).save_batch([article], T0)
    loaded = load_article(engine, article.url or "")
    assert loaded is not None and (loaded.writers, loaded.tags) == (["Ana Putri"], ["a"])


def test_the_same_instant_in_another_zone_is_not_a_change(engine: Engine) -> None:
    writer = ArchiveWriter(engine)
    writer.save_batch([make_article(1)], T0)
    same = make_article(1)
    same.published_at = (same.published_at or T0).astimezone(UTC)
    assert content_hash(same) == content_hash(make_article(1))
    assert writer.save_batch([same], T0) == SaveCounts(unchanged=1)


def test_the_last_copy_of_an_article_in_a_batch_wins(engine: Engine) -> None:
    counts = ArchiveWriter(engine).save_batch(
        [make_article(1), make_article(1, title="Judul akhir")], T0
    )
    assert counts == SaveCounts(new=1, unchanged=1)
    loaded = load_article(engine, "20240501-100000001")
    assert loaded is not None and loaded.title == "Judul akhir"


def test_an_article_stored_under_another_slug_is_the_same_article(engine: Engine) -> None:
    writer = ArchiveWriter(engine)
    writer.save_batch([make_article(1)], T0)
    moved = make_article(1, url="https://www.kompas.com/global/read/2024/05/01/100000001/baru")
    assert writer.save_batch([moved], T0) == SaveCounts(updated=1)
    assert count_articles(engine) == 1
    assert load_article(engine, "20240501-100000001").url == moved.url  # type: ignore[union-attr]


def test_article_id_is_derived_from_the_url_when_missing(engine: Engine) -> None:
    ArchiveWriter(engine).save_batch([make_article(1, article_id=None)], T0)
    loaded = load_article(engine, "20240501-100000001")
    assert loaded is not None and loaded.article_id == "20240501-100000001"


@pytest.mark.parametrize("field", ["url", "title", "published_at", "body"])
def test_an_incomplete_article_fails_the_batch_before_writing(engine: Engine, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        ArchiveWriter(engine).save_batch([make_article(1), make_article(2, **{field: None})], T0)
    assert count_articles(engine) == 0


def test_large_batches_are_chunked(engine: Engine) -> None:
    counts = ArchiveWriter(engine).save_batch([make_article(n) for n in range(1200)], T0)
    assert counts == SaveCounts(new=1200)
    assert table_counts(engine)["related_links"] == 1200


def test_an_empty_batch_does_nothing(engine: Engine) -> None:
    assert ArchiveWriter(engine).save_batch([], T0) == SaveCounts()


# -- reads ---------------------------------------------------------------------------------------


def test_known_urls_names_the_stored_ones(engine: Engine) -> None:
    ArchiveWriter(engine).save_batch([make_article(n) for n in range(3)], T0)
    other_slug = "https://www.kompas.com/global/read/2024/05/01/100000002/judul-lama"
    unknown = make_article(7).url or ""
    urls = [make_article(0).url or "", other_slug, unknown]
    assert known_urls(engine, urls) == {make_article(0).url, other_slug}
    assert known_urls(engine, []) == set()
    many = [make_article(n).url or "" for n in range(1500)]
    assert known_urls(engine, iter(many)) == {make_article(n).url for n in range(3)}


def test_urls_published_since_newest_first(engine: Engine) -> None:
    ArchiveWriter(engine).save_batch([make_article(n) for n in range(5)], T0)
    since = datetime(2024, 5, 1, 9, 32, tzinfo=WIB)  # article 2's time, in WIB
    assert urls_published_since(engine, since) == [make_article(n).url for n in (4, 3, 2)]


@pytest.mark.parametrize(
    "key",
    [
        "20240501-100000001",
        "https://www.kompas.com/global/read/2024/05/01/100000001/judul-1",
        "https://amp.kompas.com/global/read/2024/05/01/100000001/judul-1?page=all",
    ],
)
def test_load_article_by_id_or_any_url_form(engine: Engine, key: str) -> None:
    ArchiveWriter(engine).save_batch([make_article(1)], T0)
    loaded = load_article(engine, key)
    assert loaded is not None and loaded.title == "Judul berita 1"


def test_load_article_unknown_is_none(engine: Engine) -> None:
    assert load_article(engine, "20990101-1") is None
    assert load_revisions(engine, "20990101-1") == []


# -- full-text index ------------------------------------------------------------------------------


def fts_match(engine: Engine, query: str) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                text(
                    "SELECT a.url FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
                    "WHERE articles_fts MATCH :q ORDER BY a.id"
                ),
                {"q": query},
            ).scalars()
        )


def test_full_text_index_follows_inserts_and_updates(sqlite_engine: Engine) -> None:
    writer = ArchiveWriter(sqlite_engine)
    writer.save_batch([make_article(1, body="Gencatan senjata di Gaza"), make_article(2)], T0)
    assert fts_match(sqlite_engine, "gencatan") == [make_article(1).url]
    assert fts_match(sqlite_engine, "ukraina") == [make_article(1).url, make_article(2).url]

    writer.save_batch([make_article(1, body="Pemilu di Taiwan", tags=["Asia Timur"])], T0)
    assert fts_match(sqlite_engine, "gencatan") == []
    assert fts_match(sqlite_engine, "taiwan") == [make_article(1).url]
    assert fts_match(sqlite_engine, "timur") == [make_article(1).url]
    assert fts_match(sqlite_engine, "ukraina") == [make_article(2).url]
    with sqlite_engine.connect() as connection:  # the index is consistent with its content table
        connection.execute(
            text("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')")
        )


# -- other backends and other writers ---------------------------------------------------------


def test_every_writer_statement_compiles_for_postgresql(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer's SQL is dialect-neutral: run it on SQLite with PostgreSQL's INSERT
    constructs, capture every statement, and compile each for PostgreSQL."""
    import kompas_crawler.storage.archive as archive

    monkeypatch.setattr(archive, "_insert", lambda _connection, table: postgresql.insert(table))
    captured: list[ClauseElement] = []

    def capture(_conn, clauseelement, *_args):  # type: ignore[no-untyped-def]
        captured.append(clauseelement)

    # The SQLite compiler renders PostgreSQL's ON CONFLICT the same way, so the run is real.
    event.listen(sqlite_engine, "before_execute", capture)
    writer = ArchiveWriter(sqlite_engine)
    writer.save_batch([make_article(n) for n in range(3)], T0)
    writer.save_batch([make_article(0, body="baru"), make_article(1), make_article(5)], T0)
    known_urls(sqlite_engine, [make_article(0).url or ""])
    urls_published_since(sqlite_engine, T0)
    load_revisions(sqlite_engine, "20240501-100000000")
    assert load_article(sqlite_engine, "20240501-100000000").body == "baru"  # type: ignore[union-attr]

    sql = [str(statement.compile(dialect=postgresql.dialect())) for statement in captured]
    assert any("ON CONFLICT DO NOTHING RETURNING" in line for line in sql)
    assert any("ON CONFLICT (name) DO NOTHING" in line for line in sql)
    assert any(line.startswith("UPDATE articles SET") for line in sql)
    assert any(line.startswith("INSERT INTO article_revisions") for line in sql)


def test_two_processes_saving_the_same_articles_store_each_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    open_archive(url).dispose()
    script = textwrap.dedent(
        f"""
        import sys
        from datetime import UTC, datetime
        from tests.test_archive import make_article
        from kompas_crawler.storage.archive import ArchiveWriter
        from kompas_crawler.storage.database import open_archive
        writer = ArchiveWriter(open_archive({url!r}))
        offset = int(sys.argv[1])
        for start in range(0, 400, 20):
            batch = [make_article(offset + n) for n in range(start, start + 20)]
            writer.save_batch(batch, datetime.now(UTC))
        """
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    writers = [
        subprocess.Popen([sys.executable, "-c", script, str(offset)], cwd=root)
        for offset in (0, 200)  # 200 articles in common
    ]
    assert [process.wait(timeout=120) for process in writers] == [0, 0]
    engine = open_archive(url)
    assert count_articles(engine) == 600
    assert table_counts(engine)["related_links"] == 600
    engine.dispose()


# -- any sequence of saves ---------------------------------------------------------------------

batches_strategy = st.lists(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2)), min_size=1, max_size=5),
    min_size=1,
    max_size=5,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=batches_strategy)
def test_any_sequence_of_saves_matches_a_simple_model(tmp_path_factory, batches) -> None:  # type: ignore[no-untyped-def]
    """Counts, current versions and revisions agree with a dict of 'article -> version'."""
    engine = open_archive(f"sqlite:///{tmp_path_factory.mktemp('model') / 'archive.db'}")
    writer = ArchiveWriter(engine)
    current: dict[int, int] = {}
    replaced: dict[int, int] = {}
    for step, batch in enumerate(batches):
        expected = SaveCounts()
        batch_last = {n: v for n, v in batch}
        for n, v in batch_last.items():
            if n not in current:
                expected += SaveCounts(new=1)
            elif current[n] != v:
                expected += SaveCounts(updated=1)
                replaced[n] = replaced.get(n, 0) + 1
            else:
                expected += SaveCounts(unchanged=1)
            current[n] = v
        expected += SaveCounts(unchanged=len(batch) - len(batch_last))
        seen = T0 + timedelta(minutes=step)
        articles = [make_article(n, body=f"versi {v}", fetched_at=seen) for n, v in batch]
        assert writer.save_batch(articles, seen) == expected
    for n, v in current.items():
        assert load_article(engine, f"20240501-{100000000 + n}").body == f"versi {v}"  # type: ignore[union-attr]
        assert len(load_revisions(engine, f"20240501-{100000000 + n}")) == replaced.get(n, 0)
    assert count_articles(engine) == len(current)
    engine.dispose()
