"""Shared test helpers: saved pages as real Scrapy responses; PostgreSQL (tests/postgres.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings
from scrapy.http import HtmlResponse, Request

from tests.postgres import postgres_server, postgres_url  # noqa: F401 (fixtures)

# No per-example deadline: on a loaded CI machine (or the first, import-paying call) a correct
# example can take longer than hypothesis's 200 ms, which would fail a test that is right.
settings.register_profile("kompas", deadline=None)
settings.load_profile("kompas")

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2] / "shared"
KOMPAS_PAGES = SHARED / "kompas-pages"


def get_testdata(name: str) -> bytes:
    """Exact bytes of a fixture under tests/fixtures/."""
    return (FIXTURES / name).read_bytes()


def load_response(path: str | Path, url: str) -> HtmlResponse:
    """A real HtmlResponse for a saved page, as if downloaded from ``url``."""
    path = Path(path)
    if not path.is_absolute():
        path = FIXTURES / path
    return HtmlResponse(url=url, body=path.read_bytes(), encoding="utf-8", request=Request(url))


def shared_page(name: str) -> Path:
    """A real page from ../shared/kompas-pages; skips the test when the folder is absent."""
    path = KOMPAS_PAGES / name
    if not path.exists():
        pytest.skip(f"{path} not available")
    return path
