"""Queries on a small archive written through the real write path (ArchiveWriter)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, insert, select, text

from kompas_crawler.items import Article
from kompas_crawler.storage.archive import ArchiveWriter
from kompas_crawler.storage.database import open_archive
from kompas_crawler.storage.filters import (
    Filters,
    QueryError,
    parse_day,
    parse_until,
    wib_day_start,
)
from kompas_crawler.storage.models import ArticleRow, CrawlRun
from kompas_crawler.storage.rows import count_articles, find_article, iter_articles
from kompas_crawler.storage.search import search
from kompas_crawler.storage.search.expressions import fts_expression, plain_terms
from kompas_crawler.storage.stats import stats

WIB = timezone(timedelta(hours=7))
SEEN = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def _url(day: str, number: str, slug: str) -> str:
    return f"https://www.kompas.com/global/read/{day}/{number}/{slug}"


def sample_articles() -> list[Article]:
    """Eight Global articles; two published either side of a WIB midnight (UTC: same day)."""

    def article(url: str, title: str, when: datetime, body: str, **fields: object) -> Article:
        return Article(
            url=url, title=title, published_at=when, body=body, fetched_at=SEEN, **fields
        )  # type: ignore[arg-type]

    return [
        article(
            _url("2022/01/27", "210600070", "as-tolak-permintaan-rusia"),
            "AS Tolak Permintaan Rusia Larang Ukraina Gabung NATO",
            datetime(2022, 1, 27, 21, 6, tzinfo=WIB),
            "Amerika Serikat menolak tuntutan Rusia agar Ukraina dilarang bergabung dengan NATO. "
            "Washington menyampaikan jawaban tertulis kepada Moskwa.",
            writers=["Aditya Jaya Iswara"],
            editors=["Aditya Jaya Iswara"],
            sources=["AFP"],
            tags=["NATO", "Rusia", "Ukraina"],
            section="Global",
            image_url="https://asset.kompas.com/a.jpg",
            dateline="WASHINGTON, KOMPAS.com",
        ),
        article(
            _url("2022/01/28", "003000070", "nato-kirim-kapal"),
            "NATO Kirim Kapal Perang ke Laut Baltik",
            datetime(2022, 1, 28, 0, 30, tzinfo=WIB),  # 2022-01-27 17:30 UTC
            "Aliansi pertahanan itu menambah kehadiran militer di Eropa timur, krisis Ukraina.",
            writers=["Tito Hilmawan Reditya"],
            sources=["Reuters"],
            tags=["NATO", "Ukraina"],
            section="Global",
            subsection="Eropa",
        ),
        article(
            _url("2022/01/28", "101500070", "gaza-gencatan-senjata"),
            "Gencatan Senjata di Gaza Mulai Berlaku",
            datetime(2022, 1, 28, 10, 15, tzinfo=WIB),
            "Warga Gaza kembali ke rumah mereka setelah gencatan senjata disepakati.",
            writers=["Bernadette Aderi Puspaningrum"],
            sources=["AP"],
            tags=["Gaza", "Palestina"],
            section="Global",
            subsection="Timur Tengah",
        ),
        article(
            _url("2022/02/03", "080000070", "xi-jinping-olimpiade"),
            "Xi Jinping Buka Olimpiade Musim Dingin Beijing",
            datetime(2022, 2, 3, 8, 0, tzinfo=WIB),
            "Presiden China Xi Jinping membuka Olimpiade. Rusia-Ukraina tidak dibahas.",
            writers=["Aditya Jaya Iswara", "Tito Hilmawan Reditya"],
            sources=["Xinhua"],
            tags=["China", "Olimpiade"],
            section="Global",
            subsection="Asia",
            image_url="https://asset.kompas.com/b.jpg",
        ),
        article(
            _url("2022/02/10", "120000070", "pemilu-amerika"),
            "Pemilu Sela Amerika: Partai Demokrat Waspada",
            datetime(2022, 2, 10, 12, 0, tzinfo=WIB),
            "Kampanye pemilu sela Amerika Serikat memanas. 100% kursi DPR diperebutkan.",
            writers=["Bernadette Aderi Puspaningrum"],
            sources=["AFP", "Reuters"],
            tags=["Amerika Serikat", "Pemilu"],
            section="Global",
        ),
        article(
            _url("2022/03/01", "090000070", "ukraina-pengungsi"),
            "Pengungsi Ukraina Tiba di Polandia",
            datetime(2022, 3, 1, 9, 0, tzinfo=WIB),
            "Ribuan pengungsi menyeberang ke Polandia. NATO memantau perbatasan.",
            writers=["Tito Hilmawan Reditya"],
            sources=["AFP"],
            tags=["Ukraina", "Polandia"],
            section="Global",
            subsection="Eropa",
        ),
        article(
            _url("2022/03/02", "090000070", "kenaikan-harga-gandum"),
            "Harga Gandum Dunia Melonjak",
            datetime(2022, 3, 2, 9, 0, tzinfo=WIB),
            "Harga gandum naik tajam; pasokan dari kawasan Laut Hitam terganggu.",
            section="Global",
        ),
        article(
            _url("2022/03/03", "090000070", "diakritik"),
            "Café di Paris Tutup",
            datetime(2022, 3, 3, 9, 0, tzinfo=WIB),
            "Pemilik café berkata usaha kecil terpukul. Mahal sekali_nya.",
            writers=["Aditya Jaya Iswara"],
            tags=["Prancis"],
            section="Global",
        ),
    ]


def make_archive(path: Path, articles: list[Article] | None = None) -> Engine:
    """An archive at ``path`` holding the sample articles, one of them edited once (a revision)."""
    engine = open_archive(f"sqlite:///{path}")
    articles = articles if articles is not None else sample_articles()
    writer = ArchiveWriter(engine)
    writer.save_batch(articles, seen_at=SEEN)
    if articles:
        edited = sample_articles()[0]
        edited.title += " (diperbarui)"
        edited.body = (edited.body or "") + " Kremlin kecewa."
        writer.save_batch([edited], seen_at=SEEN + timedelta(hours=6))
    with engine.begin() as connection:
        connection.execute(
            insert(CrawlRun).values(
                spider="kompas_global",
                started_at=datetime(2024, 6, 1, 11, 0),
                finished_at=datetime(2024, 6, 1, 11, 5),
                status="ok",
                finish_reason="finished",
                requests=12,
                articles_new=len(articles),
            )
        )
    return engine


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return make_archive(tmp_path_factory.mktemp("archive") / "kompas.db")


def titles(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [hit.title for hit in result.hits]


# ---------------------------------------------------------------------------- query language


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("NATO Ukraina", "NATO Ukraina"),
        ("Rusia-Ukraina", '"Rusia-Ukraina"'),
        ("Xi's", '"Xi\'s"'),
        ('"Laut Baltik" OR Gaza', '"Laut Baltik" OR Gaza'),
        ("Ukrain*", "Ukrain*"),
        ("U.S.*", '"U.S."*'),
        ("title:NATO", "title:NATO"),
        ("judul:NATO", '"judul:NATO"'),
        ("NEAR(NATO Ukraina, 5)", "NEAR(NATO Ukraina, 5)"),
        ("NATO, Ukraina", "NATO Ukraina"),
        ("(NATO OR Rusia) NOT Gaza", "(NATO OR Rusia) NOT Gaza"),
        ("café", "café"),
        ("'; DROP TABLE articles; --", '"\';" DROP TABLE "articles;" "--"'),
    ],
)
def test_fts_expression(query: str, expected: str) -> None:
    assert fts_expression(query) == expected


@pytest.mark.parametrize("query", ['"unbalanced', "", "   ", 'NATO "Ukr'])
def test_fts_expression_rejects(query: str) -> None:
    with pytest.raises(QueryError):
        fts_expression(query)


def test_plain_terms() -> None:
    assert plain_terms('"Laut Baltik" OR Gaza* title:NATO') == ["Laut Baltik", "Gaza", "NATO"]
    with pytest.raises(QueryError):
        plain_terms("AND OR")


# ---------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022-01-28", date(2022, 1, 28)),
        ("2022-02", date(2022, 2, 1)),
        (" 2024-02-29 ", date(2024, 2, 29)),
    ],
)
def test_parse_day(text: str, expected: date) -> None:
    assert parse_day(text) == expected


@pytest.mark.parametrize(
    "text", ["2023-02-30", "2022-13-01", "yesterday", "28/01/2022", "2022-1-5"]
)
def test_parse_day_rejects(text: str) -> None:
    with pytest.raises(QueryError, match="date"):
        parse_day(text, "--since")


def test_parse_until_month_means_last_day() -> None:
    assert parse_until("2024-02") == date(2024, 2, 29)
    assert parse_until("2022-12") == date(2022, 12, 31)


def test_wib_day_starts_at_17_utc_the_day_before() -> None:
    assert wib_day_start(date(2022, 1, 28)) == datetime(2022, 1, 27, 17, 0)


def test_filters_reject_reversed_range() -> None:
    with pytest.raises(QueryError, match="after"):
        Filters(since=date(2022, 2, 1), until=date(2022, 1, 1))


# ---------------------------------------------------------------------------- search


def test_plain_words_are_all_required(archive: Engine) -> None:
    result = search(archive, "NATO Ukraina")
    assert set(titles(result)) == {
        "AS Tolak Permintaan Rusia Larang Ukraina Gabung NATO (diperbarui)",
        "NATO Kirim Kapal Perang ke Laut Baltik",
        "Pengungsi Ukraina Tiba di Polandia",
    }
    assert result.total == 3 and result.used_fts


def test_title_matches_rank_first(archive: Engine) -> None:
    hits = search(archive, "NATO").hits
    assert "NATO" in hits[0].title
    assert hits[0].score is not None and hits[0].score >= hits[-1].score  # type: ignore[operator]


def test_hit_fields_and_snippet(archive: Engine) -> None:
    (hit,) = search(archive, "Baltik").hits
    assert hit.url == _url("2022/01/28", "003000070", "nato-kirim-kapal")
    assert hit.article_id == "20220128-003000070"
    assert hit.writers == ["Tito Hilmawan Reditya"] and hit.sources == ["Reuters"]
    assert hit.published_at == datetime(2022, 1, 27, 17, 30, tzinfo=UTC)
    assert "**Baltik**" in hit.snippet


def test_custom_highlight_marks(archive: Engine) -> None:
    (hit,) = search(archive, "gandum", mark=("<b>", "</b>")).hits
    assert "<b>gandum</b>" in hit.snippet.lower()


def test_tags_are_searched(archive: Engine) -> None:
    assert titles(search(archive, "Palestina")) == ["Gencatan Senjata di Gaza Mulai Berlaku"]


def test_diacritics_are_folded(archive: Engine) -> None:
    assert titles(search(archive, "cafe")) == ["Café di Paris Tutup"]


def test_hyphenated_words_search_as_a_phrase(archive: Engine) -> None:
    # "Rusia-Ukraina" in a body, and tags "Rusia, Ukraina" side by side; not "Rusia agar Ukraina".
    assert set(titles(search(archive, "Rusia-Ukraina"))) == {
        "Xi Jinping Buka Olimpiade Musim Dingin Beijing",
        "AS Tolak Permintaan Rusia Larang Ukraina Gabung NATO (diperbarui)",
    }
    assert (
        search(archive, "Rusia-Ukraina", Filters(tags=("NATO",))).hits[0].snippet
        == "NATO, **Rusia, Ukraina**"
    )


def test_fts_operators_pass_through(archive: Engine) -> None:
    assert len(search(archive, "Gaza OR gandum").hits) == 2
    assert len(search(archive, "NATO NOT Baltik").hits) == 2
    assert len(search(archive, "pengungs*").hits) == 1
    assert titles(search(archive, "title:Polandia")) == ["Pengungsi Ukraina Tiba di Polandia"]


def test_sort_newest_and_limit(archive: Engine) -> None:
    result = search(archive, "NATO", sort="newest", limit=2)
    assert titles(result) == [
        "Pengungsi Ukraina Tiba di Polandia",
        "NATO Kirim Kapal Perang ke Laut Baltik",
    ]
    assert result.total == 3


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (
            Filters(since=date(2022, 1, 28), until=date(2022, 1, 28)),
            {"NATO Kirim Kapal Perang ke Laut Baltik"},
        ),
        (
            Filters(until=date(2022, 1, 27)),
            {"AS Tolak Permintaan Rusia Larang Ukraina Gabung NATO (diperbarui)"},
        ),
        (
            Filters(writers=("tito",)),
            {
                "NATO Kirim Kapal Perang ke Laut Baltik",
                "Pengungsi Ukraina Tiba di Polandia",
                "Xi Jinping Buka Olimpiade Musim Dingin Beijing",
            },
        ),
        (Filters(sources=("reuters",)), {"NATO Kirim Kapal Perang ke Laut Baltik"}),
        (Filters(tags=("polandia",)), {"Pengungsi Ukraina Tiba di Polandia"}),
        (
            Filters(sections=("Eropa",)),
            {"NATO Kirim Kapal Perang ke Laut Baltik", "Pengungsi Ukraina Tiba di Polandia"},
        ),
        (Filters(sources=("AFP",), tags=("Polandia",)), {"Pengungsi Ukraina Tiba di Polandia"}),
        (Filters(sources=("AF",)), set()),  # sources match whole names
        (Filters(writers=("%",)), set()),  # LIKE wildcards are literal
    ],
)
def test_filters(archive: Engine, filters: Filters, expected: set[str]) -> None:
    assert set(titles(search(archive, "NATO OR Ukraina", filters))) == expected


@pytest.mark.parametrize(
    "query", ["NATO AND", '"unbalanced', "NOT NATO", "NEAR(NATO", "(NATO", "nama:NATO OR"]
)
def test_fts_syntax_errors_are_query_errors(archive: Engine, query: str) -> None:
    with pytest.raises(QueryError) as raised:
        search(archive, query)
    assert "\n" not in str(raised.value)


def test_syntax_error_message_suggests_quotes(archive: Engine) -> None:
    with pytest.raises(QueryError, match=r"double quotes.*'\"NATO AND\"'"):
        search(archive, "NATO AND")


@pytest.mark.parametrize(
    "query",
    [
        "'; DROP TABLE articles; --",
        "NATO'); DELETE FROM articles; --",
        '" OR 1=1 --',
        'x" UNION SELECT * FROM people --',
    ],
)
def test_sql_in_a_query_is_never_executed(archive: Engine, query: str) -> None:
    try:
        search(archive, query)
        search(archive, query, use_fts=False)
        list(iter_articles(archive, query=query))
    except QueryError:
        pass
    with archive.connect() as connection:
        assert connection.execute(select(func.count()).select_from(ArticleRow)).scalar_one() == 8
        assert connection.execute(text("SELECT count(*) FROM articles_fts")).scalar_one() == 8


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40))
def test_any_text_gives_results_or_a_query_error(archive: Engine, query: str) -> None:
    for use_fts in (True, False):
        try:
            result = search(archive, query, use_fts=use_fts, limit=3)
        except QueryError as error:
            assert "\n" not in str(error)
        else:
            assert len(result.hits) <= 3


def test_like_fallback_finds_the_same_articles(archive: Engine) -> None:
    fts = search(archive, "NATO Ukraina", sort="newest")
    like = search(archive, "NATO Ukraina", sort="newest", use_fts=False)
    assert titles(like) == titles(fts) and not like.used_fts
    assert like.hits[0].score is None and "**" in like.hits[0].snippet


def test_search_after_update_and_delete_follows_triggers(tmp_path: Path) -> None:
    engine = make_archive(tmp_path / "k.db")
    assert titles(search(engine, "Kremlin")) == [
        "AS Tolak Permintaan Rusia Larang Ukraina Gabung NATO (diperbarui)"
    ]
    with engine.begin() as connection:
        connection.execute(ArticleRow.__table__.delete().where(ArticleRow.title.like("Harga%")))
    assert search(engine, "gandum").hits == []


# ---------------------------------------------------------------------------- export


def test_iter_articles_streams_every_field(archive: Engine) -> None:
    rows = list(iter_articles(archive, batch_size=3))
    assert len(rows) == 8 == count_articles(archive)
    assert [row["published_at"] for row in rows] == sorted(row["published_at"] for row in rows)
    first = rows[0]
    assert first["writers"] == ["Aditya Jaya Iswara"] and first["editors"] == ["Aditya Jaya Iswara"]
    assert first["tags"] == ["NATO", "Rusia", "Ukraina"] and first["sources"] == ["AFP"]
    assert first["published_at"] == datetime(2022, 1, 27, 14, 6, tzinfo=UTC)
    assert first["first_seen_at"] == SEEN and first["last_seen_at"] == SEEN + timedelta(hours=6)


def test_iter_articles_with_query_filters_and_limit(archive: Engine) -> None:
    rows = list(iter_articles(archive, Filters(sources=("AFP",)), query="Ukraina", sort="newest"))
    assert [row["title"] for row in rows][-1].startswith("AS Tolak")
    assert len(rows) == count_articles(archive, Filters(sources=("AFP",)), query="Ukraina") == 2
    assert len(list(iter_articles(archive, limit=3))) == 3


def test_iter_articles_bad_query(archive: Engine) -> None:
    with pytest.raises(QueryError):
        list(iter_articles(archive, query="NATO AND"))


# ---------------------------------------------------------------------------- one article, stats


@pytest.mark.parametrize(
    "key",
    [
        "20220127-210600070",
        _url("2022/01/27", "210600070", "as-tolak-permintaan-rusia"),
        "http://amp.kompas.com/global/read/2022/01/27/210600070/as-tolak-permintaan-rusia?page=all",
    ],
)
def test_find_article(archive: Engine, key: str) -> None:
    found = find_article(archive, key)
    assert found is not None and found["article_id"] == "20220127-210600070"
    assert found["first_seen_at"] == SEEN


def test_find_article_unknown(archive: Engine) -> None:
    assert find_article(archive, "20000101-000000070") is None


def test_stats(archive: Engine) -> None:
    report = stats(archive, top=2)
    assert report["totals"]["articles"] == 8 and report["totals"]["revisions"] == 1
    assert report["totals"]["writers"] == 3
    # WIB months: the 00:30 WIB article of 28 January counts in January, not by its UTC day.
    assert report["per_period"] == [
        {"period": "2022-01", "articles": 3},
        {"period": "2022-02", "articles": 2},
        {"period": "2022-03", "articles": 3},
    ]
    assert report["top_writers"] == [
        {"name": "Aditya Jaya Iswara", "articles": 3},
        {"name": "Tito Hilmawan Reditya", "articles": 3},
    ]
    assert report["top_sources"][0] == {"name": "AFP", "articles": 3}
    assert report["fill_rates"]["writer"] == pytest.approx(7 / 8)
    assert report["fill_rates"]["image"] == pytest.approx(2 / 8)
    assert report["fill_rates"]["revisions"] == pytest.approx(1 / 8)
    assert report["crawl_runs"][0]["status"] == "ok"


def test_stats_per_wib_day_with_filters(archive: Engine) -> None:
    report = stats(archive, Filters(until=date(2022, 1, 31)), by="day")
    assert report["per_period"] == [
        {"period": "2022-01-27", "articles": 1},
        {"period": "2022-01-28", "articles": 2},
    ]
    assert report["totals"]["articles"] == 3


def test_stats_on_an_empty_archive(tmp_path: Path) -> None:
    report = stats(make_archive(tmp_path / "empty.db", []))
    assert report["totals"]["articles"] == 0 and report["per_period"] == []
    assert report["fill_rates"]["writer"] == 0.0
