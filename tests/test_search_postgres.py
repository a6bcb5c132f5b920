"""PostgreSQL's engine ranks a bounded set of candidates: the newest RANK_CANDIDATES matches
(tests/postgres.py's server; skipped without one)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kompas_crawler.storage.archive import ArchiveWriter
from kompas_crawler.storage.database import open_archive
from kompas_crawler.storage.search import postgres, search
from tests.test_archive import make_article

SEEN = datetime(2024, 6, 1, 12, tzinfo=UTC)
START = datetime(2024, 5, 1, 3, tzinfo=UTC)


def _article(n: int):  # type: ignore[no-untyped-def]
    # "alpha" in 24 of 30 bodies, more often in some, and in the title of articles 3 and 17.
    body = " ".join(["Isi berita", *["alpha"] * (n % 5 if n % 5 else 0), f"nomor {n}."])
    title = f"Alpha di judul {n}" if n in (3, 17) else f"Judul berita {n}"
    return make_article(n, title=title, body=body, published_at=START + timedelta(hours=n))


@pytest.fixture
def engine(postgres_url: str):  # type: ignore[no-untyped-def]
    engine = open_archive(postgres_url)
    ArchiveWriter(engine).save_batch([_article(n) for n in range(1, 31)], seen_at=SEEN)
    yield engine
    engine.dispose()


def _ranked(engine, monkeypatch: pytest.MonkeyPatch, candidates: int) -> list[int]:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(postgres, "RANK_CANDIDATES", candidates)
    result = search(engine, "alpha", limit=30, exact=True)
    return [hit.article_id for hit in result.hits]


def test_fewer_matches_than_candidates_rank_as_every_match(
    engine, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    bounded = _ranked(engine, monkeypatch, postgres.RANK_CANDIDATES)
    everything = _ranked(engine, monkeypatch, 10**9)
    assert bounded == everything
    assert len(bounded) == 24
    assert set(bounded[:2]) == {make_article(n).article_id for n in (3, 17)}  # title first


def test_only_the_newest_candidates_are_ranked(engine, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    everything = _ranked(engine, monkeypatch, 10**9)
    bounded = _ranked(engine, monkeypatch, 5)
    ids = {make_article(n).article_id: n for n in range(1, 31)}
    newest = sorted(everything, key=lambda key: ids[key], reverse=True)[:5]
    assert sorted(bounded) == sorted(newest)
    assert bounded == [key for key in everything if key in newest]  # ranked as before
    total = search(engine, "alpha", exact=True, limit=3).total
    assert total == 24  # the count is of every match, not of the candidates
