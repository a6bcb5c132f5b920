"""Processors: exact values for the forms Kompas prints, and never an exception on anything else."""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kompas_crawler import processors as p

NOW = datetime(2024, 5, 13, 12, 0, tzinfo=UTC)  # 19:00 WIB


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kompas.com - 27/01/2022, 21:06 WIB", "2022-01-27T14:06:00+00:00"),
        ("Kompas.com - 07/12/2019, 07:43 WIB", "2019-12-07T00:43:00+00:00"),
        ("03/01/2022, 08:00 WIB", "2022-01-03T01:00:00+00:00"),  # 3 January: day first
        ("Kompas.com, 17 Desember 2025, 09:46 WIB", "2025-12-17T02:46:00+00:00"),
        ("Diperbarui 17 Desember 2025, 11:20 WIB", "2025-12-17T04:20:00+00:00"),
        ("2022-01-27 21:06:00", "2022-01-27T14:06:00+00:00"),  # meta: WIB without zone
        ("2019-12-07T00:43:00+00:00", "2019-12-07T00:43:00+00:00"),  # JSON-LD
        ("2025-12-17T09:46:31+07:00", "2025-12-17T02:46:31+00:00"),
        ("2019-12-07T00:43:00Z", "2019-12-07T00:43:00+00:00"),
        ("2019-12-07T03:43:00+0300", "2019-12-07T00:43:00+00:00"),
        ("12/10/2021, 09:30 WITA", "2021-10-12T01:30:00+00:00"),
        ("12/10/2021, 09:30 WIT", "2021-10-12T00:30:00+00:00"),
        ("Jum'at, 3 Agu 2023 10.15 WIB", "2023-08-03T03:15:00+00:00"),
        ("Jumat, 6 Des 2019 | 20:00 WIB", "2019-12-06T13:00:00+00:00"),
        ("Senin, 4 Okt 2021, 19:05 WIB", "2021-10-04T12:05:00+00:00"),
        ("1 Agt 2020 pukul 08:00 WIB", "2020-08-01T01:00:00+00:00"),
        ("26/12/2024", "2024-12-25T17:00:00+00:00"),  # listings: date only, midnight WIB
        ("Rabu (26/1/2022)", "2022-01-25T17:00:00+00:00"),
    ],
)
def test_parse_wib_datetime_exact_forms(text, expected):
    assert p.parse_wib_datetime(text).isoformat() == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 jam yang lalu", NOW - timedelta(hours=2)),
        ("5 menit lalu", NOW - timedelta(minutes=5)),
        ("semenit yang lalu", NOW - timedelta(minutes=1)),
        ("3 hari yang lalu", NOW - timedelta(days=3)),
        ("kemarin", NOW - timedelta(days=1)),
        ("Kemarin, 10.15 WIB", datetime(2024, 5, 12, 3, 15, tzinfo=UTC)),
        ("kemarin lusa", NOW - timedelta(days=2)),
        ("hari ini 08:00 WITA", datetime(2024, 5, 13, 0, 0, tzinfo=UTC)),
        ("3 bulan yang lalu", datetime(2024, 2, 13, 12, 0, tzinfo=UTC)),  # dateparser
    ],
)
def test_parse_wib_datetime_relative_to_fetch_time(text, expected):
    assert p.parse_wib_datetime(text, now=NOW) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "Senin",
        "Kompas.com",
        "31/02/2022, 10:00 WIB",
        "hari ini, 25:99",
        "2 jam yang lalu",
    ],
)
def test_parse_wib_datetime_unreadable_gives_none(text):
    assert p.parse_wib_datetime(text) is None


def test_parse_wib_datetime_result_is_utc_aware():
    parsed = p.parse_wib_datetime("27/01/2022, 21:06 WIB")
    assert parsed.tzinfo is UTC


def test_dateparser_is_not_imported_on_the_common_path():
    code = (
        "import sys; from kompas_crawler.processors import parse_wib_datetime;"
        "import kompas_crawler.pages.article, kompas_crawler.pages.listing;"
        "parse_wib_datetime('Kompas.com - 27/01/2022, 21:06 WIB');"
        "print('dateparser' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Kompas.com, 17 Desember 2025, 09:46 WIB Diperbarui 17 Desember 2025, 11:20 WIB",
            ("Kompas.com, 17 Desember 2025, 09:46 WIB", "17 Desember 2025, 11:20 WIB"),
        ),
        ("Kompas.com - 27/01/2022, 21:06 WIB", ("Kompas.com - 27/01/2022, 21:06 WIB", None)),
        (None, (None, None)),
    ],
)
def test_split_read_time(text, expected):
    assert p.split_read_time(text) == expected


def test_most_precise_keeps_first_and_logs_disagreement(caplog):
    seconds = datetime(2022, 1, 27, 14, 6, 30, tzinfo=UTC)
    later = datetime(2022, 1, 27, 15, 6, tzinfo=UTC)
    with caplog.at_level(logging.WARNING, logger="kompas_crawler.processors"):
        assert p.most_precise([None, seconds, later], "published_at") == seconds
    assert "published_at sources disagree" in caplog.text


def test_most_precise_same_minute_is_agreement(caplog):
    seconds = datetime(2022, 1, 27, 14, 6, 30, tzinfo=UTC)
    minutes = datetime(2022, 1, 27, 14, 6, tzinfo=UTC)
    with caplog.at_level(logging.WARNING, logger="kompas_crawler.processors"):
        assert p.most_precise([seconds, minutes]) == seconds
    assert caplog.text == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Aditya Jaya Iswara", ["Aditya Jaya Iswara"]),
        ("Penulis: Aditya Jaya Iswara", ["Aditya Jaya Iswara"]),
        ("Aditya Jaya Iswara Penulis", ["Aditya Jaya Iswara"]),  # 2023 credit: label after name
        ("Nadia Faradiba,", ["Nadia Faradiba"]),
        ("Editor Andi Muttya Keteng Pangerang", ["Andi Muttya Keteng Pangerang"]),
        (
            "Oleh: A Rahman, Budi Santoso dan Citra Lestari",
            ["A Rahman", "Budi Santoso", "Citra Lestari"],
        ),
        ("Nadia Faradiba dan Yogi Saputra", ["Nadia Faradiba", "Yogi Saputra"]),
        ("Nadia Faradiba | Yogi Saputra", ["Nadia Faradiba", "Yogi Saputra"]),
        ("  YOGI   SAPUTRA ", ["Yogi Saputra"]),
        ("yogi saputra, Yogi Saputra", ["Yogi Saputra"]),
        ("Danu Kusuma, Ardan Wibisono", ["Danu Kusuma", "Ardan Wibisono"]),  # "dan" inside names
        ("Tim Redaksi", ["Tim Redaksi"]),
        ("Oleh Sentsov", ["Oleh Sentsov"]),  # a first name, not the "Oleh:" label
        ("Penulis", []),
        (",  ,", []),
        (None, []),
    ],
)
def test_split_names(text, expected):
    assert p.split_names(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sumber AFP", ["AFP"]),
        ("Sumber: Reuters, AP", ["Reuters", "AP"]),
        ("Sumber Kompas TV | BBC", ["Kompas TV", "BBC"]),
        ("", []),
    ],
)
def test_split_sources_keeps_case(text, expected):
    assert p.split_sources(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Didi Kempot, Konser Didi Kempot, The Lord of Loro Ati",
            ["Didi Kempot", "Konser Didi Kempot", "The Lord of Loro Ati"],
        ),
        ("Rusia,Ukraina, , rusia", ["Rusia", "Ukraina"]),
        ("", []),
    ],
)
def test_split_tags(text, expected):
    assert p.split_tags(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Baca juga: Kenapa Rusia Tidak Masuk NATO? Ini 5 Alasannya", True),
        ("ADVERTISEMENT", True),
        ("SCROLL TO CONTINUE WITH CONTENT", True),
        (
            "Simak breaking news dan berita pilihan kami langsung di ponselmu. Pilih saluran "
            "andalanmu akses berita Kompas.com WhatsApp Channel : https://www.whatsapp.com/x.",
            True,
        ),
        ("Baca berita tanpa iklan. Gabung Kompas.com+", True),
        ("\xa0", True),
        ("Namun, dia menekankan, baca juga pernyataan resmi.", False),
        ("AS juga mengatakan, pihaknya yakin Rusia siap menyerang.", False),
    ],
)
def test_is_noise_paragraph(text, expected):
    assert p.is_noise_paragraph(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("WASHINGTON DC, KOMPAS.com - Amerika Serikat (AS) pada Rabu", "WASHINGTON DC"),
        ("JAKARTA, KOMPAS.com - Penyanyi campursari", "JAKARTA"),
        ("KYIV, KOMPAS.com \u2013 Pasukan Ukraina", "KYIV"),  # en dash
        ("KOMPAS.com - Tanpa tempat", None),
        ("Jakarta adalah ibu kota, KOMPAS.com - bukan dateline", None),
    ],
)
def test_dateline(text, expected):
    assert p.dateline(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SUMBER: KOMPAS TV (Penulis: A | Editor: B)", "KOMPAS TV"),
        ("Sumber: Reuters", "Reuters"),
        ("Sumber daya alam Rusia melimpah.", None),
    ],
)
def test_source_line(text, expected):
    assert p.source_line(text) == expected


@pytest.mark.parametrize(
    ("function", "text", "expected"),
    [
        (p.strip_page_suffix, "Hasil Pilpres AS Halaman all", "Hasil Pilpres AS"),
        (p.strip_page_suffix, "Hasil Pilpres AS Halaman 2", "Hasil Pilpres AS"),
        (p.strip_site_suffix, "Banjir di Henan - Kompas.com", "Banjir di Henan"),
        (p.clean_text, " a\xa0 b\u200b\n c ", "a b c"),
        (p.clean_text, " \n ", None),
        (p.image_url, "//asset.kompas.com/x.jpg", "https://asset.kompas.com/x.jpg"),
        (p.image_url, "data:image/gif;base64,R0lGOD", None),
        (p.count_words, "satu dua\n\ntiga", 3),
        (p.count_words, None, None),
    ],
)
def test_small_processors(function, text, expected):
    assert function(text) == expected


def test_join_paragraphs():
    assert p.join_paragraphs(["satu ", None, "", " dua"]) == "satu\n\ndua"
    assert p.join_paragraphs([]) is None


# --- properties: any string gives a valid value or None, never an exception -------------------

date_like = st.one_of(
    st.text(),
    st.text(alphabet="0123456789/-:., WIBTAjamlukrinzZ+", max_size=40),
    st.from_regex(r"\d{1,2}/\d{1,2}/\d{4}, \d{1,2}:\d{2} (WIB|WITA|WIT)", fullmatch=True),
    st.from_regex(r"\d{1,2} (Jan|Agu|Okt|Des|Mei) \d{4}", fullmatch=True),
)


@settings(max_examples=300, deadline=None)
@given(text=date_like, use_now=st.booleans())
def test_parse_wib_datetime_never_raises(text, use_now):
    parsed = p.parse_wib_datetime(text, now=NOW if use_now else None)
    assert parsed is None or (parsed.tzinfo is UTC and 1995 <= parsed.year <= 2100)


@given(st.text())
def test_split_names_gives_clean_unique_names(text):
    names = p.split_names(text)
    assert all(isinstance(name, str) and name == name.strip() and name for name in names)
    assert len({name.casefold() for name in names}) == len(names)


@given(st.text())
def test_split_tags_and_sources_give_clean_lists(text):
    for values in (p.split_tags(text), p.split_sources(text)):
        assert all(value and value == value.strip() for value in values)


@given(st.one_of(st.text(), st.none(), st.integers()))
def test_text_processors_never_raise(value):
    cleaned = p.clean_text(value)
    assert cleaned is None or (cleaned and cleaned == cleaned.strip())
    assert p.dateline(value) is None or isinstance(p.dateline(value), str)
    assert isinstance(p.is_noise_paragraph(value), bool)
    assert p.source_line(value) is None or isinstance(p.source_line(value), str)
    assert p.split_read_time(value)[0] is None or isinstance(p.split_read_time(value)[0], str)
