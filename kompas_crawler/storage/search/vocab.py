"""What SQLite's full-text indexes hold, term by term (``fts5vocab``): the terms a prefix stands
for, and whether a query's words have any other form in the archive."""

from __future__ import annotations

import re
import weakref
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy import Connection, Engine, text

from kompas_crawler.stemming import stem_word, words
from kompas_crawler.storage.database import STEM_FTS_TABLE
from kompas_crawler.storage.search.expressions import COLUMNS, TOKEN

FTS_TABLE = "articles_fts"

# Terms a prefix may expand to (expanded()); beyond, FTS5 merges them itself.
MAX_EXPANSION = 64

# Quoted phrases (kept as they are) or a bare prefix word (the index holds ASCII-folded
# lowercase terms, so only an ASCII word is looked up as typed); not after ``column:``.
_PART = re.compile(r'"(?:[^"]|"")*"\*?|[()]|[^\s()"]+')
_OPENERS = {"(", "AND", "OR", "NOT"}
_CLOSERS = {")", "AND", "OR", "NOT"}
_PREFIX = re.compile(r'"(?:[^"]|"")*"\*?|(?<![\w:])([0-9A-Za-z]+)\*')
_SYNTAX = {"AND", "OR", "NOT", "NEAR", "(", ")", ","}
_ASCII_WORD = re.compile(r"[0-9a-z]+")


def _terms_table(connection: Connection, index: str) -> str:
    """The per-connection fts5vocab table of ``index`` (nothing is written to the archive):
    one row per term, with the rows holding it and its count."""
    name = f"temp.{index}_terms"
    connection.execute(
        text(f"CREATE VIRTUAL TABLE IF NOT EXISTS {name} USING fts5vocab(main, {index}, row)")
    )
    return name


def _range(connection: Connection, index: str, prefix: str) -> list[tuple[str, int, int]]:
    """The terms of ``index`` starting with ``prefix``, with their row and occurrence counts."""
    statement = text(
        f"SELECT term, doc, cnt FROM {_terms_table(connection, index)} "
        "WHERE term >= :low AND term < :high ORDER BY term"
    )
    rows = connection.execute(statement, {"low": prefix, "high": prefix + "\U0010ffff"})
    return [(term, doc, cnt) for term, doc, cnt in rows]


def _counts(connection: Connection, index: str, term: str) -> tuple[int, int]:
    statement = text(f"SELECT doc, cnt FROM {_terms_table(connection, index)} WHERE term = :term")
    row = connection.execute(statement, {"term": term}).first()
    return (row[0], row[1]) if row else (0, 0)


def expanded(connection: Connection, expression: str) -> str:
    """``expression`` with each ``prefix*`` word replaced by its terms in the index,
    ``(vaksin OR vaksinasi)``: FTS5 merges a prefix's terms again for every row it is asked
    about, which snippets ask for row by row. The same rows match either way. A prefix with
    more than MAX_EXPANSION terms, and any NEAR group (which takes no OR), stay as they are."""
    if "NEAR" in expression or "*" not in expression:
        return expression

    def terms(match: re.Match[str]) -> str:
        prefix = match.group(1)
        if prefix is None:  # a quoted phrase, as it is
            return match.group()
        found = [term for term, _, _ in _range(connection, FTS_TABLE, prefix.lower())]
        if not found or len(found) > MAX_EXPANSION:
            return match.group()
        return found[0] if len(found) == 1 else "(" + " OR ".join(found) + ")"

    replaced = _PREFIX.sub(terms, expression)
    return expression if replaced == expression else _explicit_and(replaced)


def _explicit_and(expression: str) -> str:
    """FTS5 takes side-by-side phrases as AND, but not a parenthesised group beside anything:
    there the AND is written out (same precedence, same meaning)."""
    parts: list[str] = []
    for token in _PART.findall(expression):
        after_operand = bool(parts) and parts[-1] not in _OPENERS
        if after_operand and token not in _CLOSERS and ")" in (parts[-1], token.replace("(", ")")):
            parts.append("AND")
        parts.append(token)
    return " ".join(parts).replace("( ", "(").replace(" )", ")")


def no_other_forms(connection: Connection, query: str) -> bool:
    """True when no word of ``query`` has another form in the archive: each word's stem is in
    the stemmed index exactly as often, in as many rows, as the word is in the exact index
    (and a prefix's terms are the same in both, each its own stem). The stemmed index then
    matches the same rows as the exact one, with the same counts: it ranks them alike, and a
    search need not ask it. False when that cannot be told (a word that is not plain ASCII,
    a prefix of more than MAX_EXPANSION terms)."""
    state = _state(connection)
    for token in TOKEN.findall(query):
        if token in _SYNTAX or token.isdigit():
            continue
        name, sep, rest = token.partition(":")
        if sep and name in COLUMNS:
            token = rest
        if token.startswith('"') and token.endswith("*"):
            return False  # a phrase ending in a prefix: its stemmed form has none
        if token.endswith("*"):
            checks = [("prefix", token.rstrip("*").lower())]
        else:
            checks = [("word", word) for word in words(token)]
        for kind, word in checks:
            if not _remembered(
                connection, state, (kind, word), partial(_alike, connection, kind, word)
            ):
                return False
    return True


def rows_at_most(connection: Connection, query: str) -> int | None:
    """At most how many rows match ``query`` when it is plain words, all of which must match:
    the fewest rows any of them is in (the exact index's vocabulary). None for other queries."""
    if any(
        token in _SYNTAX or not _ASCII_WORD.fullmatch(token.lower())
        for token in TOKEN.findall(query)
    ):
        return None
    state = _state(connection)
    counts = [
        _remembered(connection, state, ("rows", word), partial(_rows, connection, word))
        for word in (token.lower() for token in TOKEN.findall(query))
    ]
    return min(counts) if counts else None


def _remembered(
    connection: Connection,
    state: tuple[bytes, bytes],
    key: tuple[str, str],
    compute: Callable[[], Any],
) -> Any:
    """``compute()``, kept for ``key`` while the archive's indexes stay in ``state``."""
    remembered = _CHECKED.setdefault(connection.engine, OrderedDict())
    full = (*state, *key)
    if full not in remembered:
        remembered[full] = compute()
        while len(remembered) > CHECKED_WORDS:
            remembered.popitem(last=False)
    return remembered[full]


# What the vocabularies said of each word, by archive (a word costs a pass over its rows in an
# index: 2 ms for a word in 6% of 460,000 articles), kept while both indexes stay as they were:
# FTS5 rewrites its structure record whenever it changes.
CHECKED_WORDS = 10_000
_CHECKED: weakref.WeakKeyDictionary[Engine, OrderedDict[tuple[bytes, bytes, str, str], Any]] = (
    weakref.WeakKeyDictionary()
)
_STRUCTURE = 10  # the rowid of FTS5's structure record in its %_data table


def _state(connection: Connection) -> tuple[bytes, bytes]:
    def structure(index: str) -> bytes:
        statement = text(f"SELECT block FROM {index}_data WHERE id = {_STRUCTURE}")
        return bytes(connection.execute(statement).scalar() or b"")

    return structure(FTS_TABLE), structure(STEM_FTS_TABLE)


def _rows(connection: Connection, term: str) -> int:
    return _counts(connection, FTS_TABLE, term)[0]


def _alike(connection: Connection, kind: str, word: str) -> bool:
    if kind == "prefix":
        if not _ASCII_WORD.fullmatch(word):
            return False
        exact = _range(connection, FTS_TABLE, word)
        if len(exact) > MAX_EXPANSION or any(stem_word(term) != term for term, _, _ in exact):
            return False
        return _range(connection, STEM_FTS_TABLE, word) == exact
    written = word.lower()
    if not _ASCII_WORD.fullmatch(written):
        return False
    counts = _counts(connection, FTS_TABLE, written)
    return _counts(connection, STEM_FTS_TABLE, stem_word(word)) == counts
