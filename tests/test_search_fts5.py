"""The FTS5 engine's plans: newest first over the published_at index, prefix terms from
fts5vocab. Each gives the answers the plain FTS5 query gives, on a small real archive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, event, text

from kompas_crawler.storage.archive import ArchiveWriter
from kompas_crawler.storage.database import open_archive
from kompas_crawler.storage.filters import Filters
from kompas_crawler.storage.search import search, vocab
from kompas_crawler.storage.search.expressions import fts_expression
from tests.test_archive import make_article

SEEN = datetime(2024, 6, 1, 12, tzinfo=UTC)
START = datetime(2024, 5, 1, 3, tzinfo=UTC)
COUNT = 60


def _published(n: int) -> datetime:
    # Not in id order, and articles 10 and 11 at the same minute (ties go to the higher id).
    return START + timedelta(minutes=(n * 37) % COUNT if n != 11 else (10 * 37) % COUNT)


def _body(n: int) -> str:
    words = ["alpha"] if n % 4 else []  # 45 of 60: dense
    words += ["langka"] if n in (7, 33) else []  # 2 of 60: sparse
    words += ["vaksin"] if n % 3 == 0 else ["vaksinasi"] if n % 5 == 0 else []
    words += ["vaksinolog"] if n == 8 else []
    return " ".join(["Isi berita", *words, f"nomor {n}."])


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = open_archive(f"sqlite:///{tmp_path_factory.mktemp('plans') / 'kompas.db'}")
    articles = [
        make_article(n, body=_body(n), published_at=_published(n)) for n in range(1, COUNT + 1)
    ]
    ArchiveWriter(engine).save_batch(articles, seen_at=SEEN)
    return engine


def _expected(word: str, newest: bool, since: datetime | None = None) -> list[int]:
    """Article ids (row ids: saved in order) with ``word``, by date as the README promises."""
    found = [n for n in range(1, COUNT + 1) if word in _body(n).split()]
    found = [n for n in found if since is None or _published(n) >= since]
    return sorted(found, key=lambda n: (_published(n), n), reverse=newest)


@pytest.mark.parametrize("sort", ["newest", "oldest"])
@pytest.mark.parametrize(("word", "walks"), [("alpha", True), ("langka", False)])
def test_sorted_by_date_returns_exactly_the_newest_matches(
    archive: Engine, sort: str, word: str, walks: bool
) -> None:
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(archive, "before_cursor_execute", record)
    try:
        result = search(archive, word, sort=sort, limit=5)  # type: ignore[arg-type]
    finally:
        event.remove(archive, "before_cursor_execute", record)
    expected = _expected(word, newest=sort == "newest")
    assert [hit.id for hit in result.hits] == expected[:5]
    assert result.total == len(expected)
    # Dense matches walk the date index (id + 0 IN (match)); sparse ones sort every match.
    assert any("articles.id + " in statement for statement in seen) is walks
    assert all(hit.score is not None and hit.score > 0 for hit in result.hits)
    assert all("**" in hit.snippet for hit in result.hits)


def test_newest_with_a_date_filter_and_a_name_filter(archive: Engine) -> None:
    since = START + timedelta(minutes=30)
    dated = search(archive, "alpha", Filters(since=since.date()), sort="newest", limit=50)
    assert [hit.id for hit in dated.hits] == _expected("alpha", True)  # the same WIB day
    named = search(archive, "alpha", Filters(writers=("Penulis 1",)), sort="newest", limit=3)
    wanted = [n for n in _expected("alpha", True) if n % 3 == 1]
    assert [hit.id for hit in named.hits] == wanted[:3]
    assert named.total == len(wanted)


def _rows(engine: Engine, expression: str) -> list[int]:
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT rowid FROM articles_fts WHERE articles_fts MATCH :e ORDER BY rowid"),
            {"e": expression},
        )
        return list(found.scalars())


@pytest.mark.parametrize(
    ("query", "expanded"),
    [
        ("vaksin*", "(vaksin OR vaksinasi OR vaksinolog)"),
        ("vaksinas*", "vaksinasi"),
        ("alpha vaksin*", "alpha AND (vaksin OR vaksinasi OR vaksinolog)"),
        ("vaksin* alpha", "(vaksin OR vaksinasi OR vaksinolog) AND alpha"),
        ('"nomor 3" OR vaksinasi*', '"nomor 3" OR vaksinasi'),
        ("VAKSIN*", "(vaksin OR vaksinasi OR vaksinolog)"),
        ("zzz*", "zzz*"),  # no such term: as typed (and no match)
        ("title:vaksin*", "title:vaksin*"),  # column filters stay as they are
        ("NEAR(alpha vaksin*, 3)", "NEAR(alpha vaksin*, 3)"),  # NEAR takes no OR
        ('"isi berita"*', '"isi berita"*'),
    ],
)
def test_prefix_expansion_matches_what_fts5_prefix_matches(
    archive: Engine, query: str, expanded: str
) -> None:
    expression = fts_expression(query)
    with archive.connect() as connection:
        assert vocab.expanded(connection, expression) == expanded
    assert _rows(archive, expanded) == _rows(archive, expression)


def test_prefix_beyond_the_expansion_bound_stays_a_prefix(
    archive: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vocab, "MAX_EXPANSION", 2)
    with archive.connect() as connection:
        assert vocab.expanded(connection, "vaksin*") == "vaksin*"


def test_prefix_search_ranks_and_highlights_as_before(archive: Engine) -> None:
    result = search(archive, "vaksin*", limit=100)
    assert sorted(hit.id for hit in result.hits) == _rows(archive, "vaksin*")
    for hit in result.hits:
        marked = {w.strip(".,…") for w in hit.snippet.split() if w.startswith("**")}
        assert marked and marked <= {"**vaksin**", "**vaksinasi**", "**vaksinolog**"}


def test_the_vocabulary_table_is_the_connections_own(archive: Engine) -> None:
    search(archive, "vaksin*")
    with archive.connect() as connection:
        names = connection.execute(text("SELECT name FROM sqlite_master")).scalars().all()
    assert not [name for name in names if name.endswith("_terms")]  # nothing written
