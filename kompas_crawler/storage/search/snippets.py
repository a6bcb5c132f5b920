"""Snippets for matches the exact index cannot mark: words found through their stems."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import Connection, select

from kompas_crawler.stemming import stem_word
from kompas_crawler.storage.models import ArticleRow
from kompas_crawler.storage.search.expressions import Stemmed
from kompas_crawler.storage.search.request import SNIPPET_TOKENS

_A = ArticleRow.__table__

_WORD = re.compile(r"[^\W_]+")


def stemmed_snippet(
    texts: Iterable[str], stems: frozenset[str], prefixes: tuple[str, ...], mark: tuple[str, str]
) -> str:
    """About SNIPPET_TOKENS words of the first of ``texts`` (body, title, tags) holding a word
    whose stem is one of ``stems`` (or that starts with a prefix), such words marked."""

    def found(word: str) -> bool:
        lowered = word.lower()
        return stem_word(word) in stems or lowered.startswith(prefixes)

    fallback = ""
    for text in texts:
        if not text:
            continue
        tokens = list(_WORD.finditer(text))
        first = next((i for i, token in enumerate(tokens) if found(token.group())), None)
        if first is None:
            fallback = fallback or text[:200]
            continue
        start = max(0, first - SNIPPET_TOKENS // 4)
        shown = tokens[start : start + SNIPPET_TOKENS]
        begin, end = shown[0].start(), shown[-1].end()
        pieces, at = [], begin
        for token in shown:
            pieces.append(text[at : token.start()])
            word = token.group()
            pieces.append(f"{mark[0]}{word}{mark[1]}" if found(word) else word)
            at = token.end()
        return (
            ("…" if begin > 0 else "")
            + " ".join("".join(pieces).split())
            + ("…" if end < len(text.rstrip()) else "")
        )
    return fallback


def stemmed_snippets(
    connection: Connection,
    plan: Stemmed,
    ids: list[int],
    snippets: dict[int, str],
    mark: tuple[str, str],
) -> dict[int, str]:
    """The exact index's ``snippets``, and for the rows found only by another form of a word
    (nothing marked), a snippet with those forms marked."""
    missing = [row_id for row_id in ids if mark[0] not in snippets.get(row_id, "")]
    if not missing:
        return snippets
    rows = connection.execute(
        select(_A.c.id, _A.c.body, _A.c.title, _A.c.tag_list).where(_A.c.id.in_(missing))
    )
    texts = {row.id: (row.body, row.title, row.tag_list) for row in rows}
    found = {
        row_id: stemmed_snippet(text, plan.stems, plan.prefixes, mark)
        for row_id, text in texts.items()
    }
    return {**snippets, **found}
