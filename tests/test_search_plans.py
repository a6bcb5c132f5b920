"""How SQLite search reads its indexes at full-history size, checked for answers, not speed:
filters tested on the index rows before ranking (as id sets, lookups or article reads, all
giving one answer), the count made in the ranking pass, and the exact index read alone when no
word of the query has another form (the same hits and scores as reading both)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Engine, event, text

from kompas_crawler.items import Article
from kompas_crawler.processors import WIB
from kompas_crawler.storage.archive import ArchiveWriter
from kompas_crawler.storage.database import open_archive
from kompas_crawler.storage.filters import Filters
from kompas_crawler.storage.search import fts5, row_filters, search, vocab
from tests.test_archive import make_article

COUNT = 80
SEEN = datetime(2024, 6, 1, 12, tzinfo=WIB)


def _body(n: int) -> str:
    words = ["Serangan udara di Gaza" if n % 3 == 0 else "Perundingan di Doha"]
    words += ["Pasukan menyerang lagi."] if n % 10 == 0 else []  # another form of serang
    words += ["Gaza"] * (n % 4)  # counts differ, so the ranking has an order to keep
    words += ["NATO bertemu."] if n % 5 == 0 else []
    return " ".join([*words, f"Nomor {n}."])


def _article(n: int) -> Article:
    return make_article(
        n,
        title=f"Gaza hari ke-{n}" if n % 7 == 0 else f"Berita {n}",
        body=_body(n),
        published_at=datetime(2024, 1, 1, 10, tzinfo=WIB) + timedelta(days=n),
        writers=[f"Penulis {n % 4}"],
        sources=["AFP"] if n % 2 else ["Reuters"],
        tags=["Gaza", f"tag-{n % 3}"],
    )


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = open_archive(f"sqlite:///{tmp_path_factory.mktemp('plans') / 'kompas.db'}")
    ArchiveWriter(engine).save_batch([_article(n) for n in range(1, COUNT + 1)], seen_at=SEEN)
    return engine


def _ranked_then_filtered(engine: Engine, query: str, filters: Filters) -> list[tuple[int, float]]:
    """Every match ranked, then filtered in Python: what search must return, in order."""
    every = search(engine, query, limit=COUNT)
    kept = {hit.id for hit in search(engine, query, filters, limit=COUNT, sort="newest").hits}
    return [(hit.id, round(hit.score or 0, 9)) for hit in every.hits if hit.id in kept]


FILTERS = [
    Filters(writers=("penulis 1",)),
    Filters(sources=("AFP",)),
    Filters(tags=("tag-2",)),
    Filters(since=date(2024, 1, 20), until=date(2024, 2, 15)),
    Filters(since=date(2024, 1, 5)),  # most of the archive: its complement is the smaller set
    Filters(sections=("Asia",), sources=("Reuters",)),
    Filters(writers=("Penulis 3",), since=date(2024, 2, 1), tags=("Gaza",)),
]


@pytest.mark.parametrize("filters", FILTERS)
@pytest.mark.parametrize(
    "costs",
    [
        {},  # as measured
        {"SET_BUILD": 1e9},  # every name filter a lookup, every date range read from the row
        {"SET_BUILD": 1e-9, "ROW_READ": 1e9},  # every filter a set
    ],
)
@pytest.mark.parametrize("query", ["Gaza", "serangan", "NATO Gaza"])
def test_filters_tested_any_way_give_ranking_then_filtering(
    archive: Engine,
    monkeypatch: pytest.MonkeyPatch,
    filters: Filters,
    costs: dict[str, float],
    query: str,
) -> None:
    for name, value in costs.items():
        monkeypatch.setattr(row_filters, name, value)
    expected = _ranked_then_filtered(archive, query, filters)
    assert expected  # the filters keep some matches
    found = search(archive, query, filters, limit=5)
    assert [(hit.id, round(hit.score or 0, 9)) for hit in found.hits] == expected[:5]
    assert found.total == len(expected)


def test_each_test_kind_is_chosen_where_it_reads_least(archive: Engine) -> None:
    with archive.connect() as connection:
        few = row_filters.row_tests(connection, Filters(writers=("Penulis 1",)), matches=10_000)
        many = row_filters.row_tests(connection, Filters(sources=("AFP",)), matches=3)
        narrow = row_filters.row_tests(connection, Filters(since=date(2024, 3, 1)), 10_000)
        wide = row_filters.row_tests(connection, Filters(since=date(2024, 1, 3)), 10_000)
        read = row_filters.row_tests(connection, Filters(since=date(2024, 2, 10)), matches=2)
        section = row_filters.row_tests(
            connection, Filters(sections=("Asia",), since=date(2024, 3, 1)), 10_000
        )
    assert (len(few.in_sets), len(few.lookups)) == (1, 0)
    assert (len(many.in_sets), len(many.lookups)) == (0, 1)
    assert (len(narrow.in_sets), len(narrow.out_sets)) == (1, 0)
    assert (len(wide.in_sets), len(wide.out_sets)) == (0, 1)
    assert (len(read.in_sets), len(read.out_sets), len(read.row)) == (0, 0, 1)
    assert (len(section.in_sets), len(section.row)) == (0, 2)  # the row is read anyway


@pytest.mark.parametrize("query", ["Gaza", "NATO", "Gaza NATO", '"udara di Gaza"', "Ga*"])
def test_the_exact_index_alone_answers_as_both_do(
    archive: Engine, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    with archive.connect() as connection:
        assert vocab.no_other_forms(connection, query)
    alone = search(archive, query, limit=30)
    monkeypatch.setattr(fts5, "no_other_forms", lambda connection, query: False)
    both = search(archive, query, limit=30)
    assert alone.total == both.total > 0
    assert [hit.id for hit in alone.hits] == [hit.id for hit in both.hits]
    assert [hit.score for hit in alone.hits] == pytest.approx([hit.score for hit in both.hits])
    assert [hit.snippet for hit in alone.hits] == [hit.snippet for hit in both.hits]


def test_a_word_with_other_forms_reads_both_indexes(archive: Engine) -> None:
    with archive.connect() as connection:
        assert not vocab.no_other_forms(connection, "serangan")  # menyerang is there too
        assert not vocab.no_other_forms(connection, "Gaza serangan")
        assert not vocab.no_other_forms(connection, "Gazá")  # not plain ASCII: not told
    found = search(archive, "serangan", limit=COUNT)
    assert {hit.id for hit in found.hits} == {
        n for n in range(1, COUNT + 1) if n % 3 == 0 or n % 10 == 0
    }


def test_the_check_is_made_again_when_the_archive_changes(tmp_path: object) -> None:
    engine = open_archive(f"sqlite:///{tmp_path}/kompas.db")  # type: ignore[str-bytes-safe]
    writer = ArchiveWriter(engine)
    writer.save_batch([make_article(1, body="Polisi tembak pelaku.")], seen_at=SEEN)
    with engine.connect() as connection:
        assert not vocab.no_other_forms(connection, "menembak")  # its stem, tembak, is there
        assert vocab.no_other_forms(connection, "tembak")
    writer.save_batch([make_article(2, body="Polisi menembak pelaku.")], seen_at=SEEN)
    with engine.connect() as connection:
        assert not vocab.no_other_forms(connection, "tembak")
    assert {hit.id for hit in search(engine, "tembak").hits} == {1, 2}
    assert [hit.id for hit in search(engine, "tembak", exact=True).hits] == [1]


def test_a_filtered_search_counts_in_the_ranking_pass(archive: Engine) -> None:
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(archive, "before_cursor_execute", record)
    try:
        found = search(archive, "Gaza", Filters(sources=("AFP",)), limit=3)
    finally:
        event.remove(archive, "before_cursor_execute", record)
    ranking = [s for s in statements if "bm25(" in s]
    assert len(ranking) == 1 and "count(*)" in ranking[0]
    expected = len(_ranked_then_filtered(archive, "Gaza", Filters(sources=("AFP",))))
    assert found.total == expected > 3


def test_link_indexes_hold_the_article_id(archive: Engine) -> None:
    with archive.connect() as connection:
        plan = connection.execute(
            text(
                "EXPLAIN QUERY PLAN SELECT article_id FROM article_tags WHERE tag_id IN "
                "(SELECT id FROM tags WHERE lower(name) = 'gaza')"
            )
        ).all()
    assert any("COVERING INDEX ix_article_tags_tag_article" in row[-1] for row in plan)


def test_a_plain_query_bounds_its_matches_from_the_vocabulary(archive: Engine) -> None:
    with archive.connect() as connection:
        gaza = search(archive, "Gaza", exact=True).total
        nato = search(archive, "NATO", exact=True).total
        assert vocab.rows_at_most(connection, "Gaza") == gaza
        assert vocab.rows_at_most(connection, "gaza NATO") == min(gaza, nato)
        assert vocab.rows_at_most(connection, "Gaza OR NATO") is None  # not all must match
        assert vocab.rows_at_most(connection, '"udara di Gaza"') is None
        assert vocab.rows_at_most(connection, "Ga*") is None
