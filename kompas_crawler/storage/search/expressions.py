"""The query language: what a user types, bounded, and as each engine's expression.

FTS5 syntax is the language (``"phrases"``, ``AND OR NOT``, ``NEAR(a b, 5)``, ``prefix*``,
``title:word``); PostgreSQL and the LIKE scan get the nearest meaning they can express.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kompas_crawler.stemming import stem_text, stopwords
from kompas_crawler.storage.filters import QueryError

# The columns searched, which a query may name (``title:word``).
COLUMNS = ("title", "body", "tag_list")

# Bounds on what a query may ask, so a pasted page or a runaway script gets one line at once
# rather than minutes of work: the query's length and words.
MAX_QUERY_CHARS = 20_000
MAX_QUERY_TERMS = 64
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SYNTAX = re.compile(r'["()*:]|\b(?:AND|OR|NOT|NEAR)\b')

TOKEN = re.compile(r'"(?:[^"]|"")*"\*?|"[^"]*$|[(),]|[^\s(),"]+')
_OPERATORS = {"AND", "OR", "NOT"}


def bounded_query(query: str) -> str:
    """The query as searched: control characters as spaces; when it is plain words (no FTS5
    syntax), each word once. QueryError when it is longer than the archive will search."""
    text = _CONTROL.sub(" ", query)
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(
            f"the search query is {len(text):,} characters long; at most "
            f"{MAX_QUERY_CHARS:,} are searched"
        )
    plain = not _SYNTAX.search(text)
    words = text.split()
    if plain:  # FTS5 ignores case: "NATO nato" is one word
        firsts: dict[str, str] = {}
        for word in words:
            firsts.setdefault(word.casefold(), word)
        words = list(firsts.values())
    if len(words) > MAX_QUERY_TERMS:
        raise QueryError(
            f"the search query has {len(words):,} words; at most {MAX_QUERY_TERMS} are searched"
        )
    return " ".join(words) if plain else text


def _is_bareword(word: str) -> bool:
    # FTS5 barewords: ASCII letters, digits, underscore, and any non-ASCII character.
    return bool(word) and all(
        (ch.isascii() and (ch.isalnum() or ch == "_")) or ord(ch) > 127 for ch in word
    )


def quote(word: str) -> str:
    """``word`` as an FTS5 string (a phrase)."""
    return '"' + word.replace('"', '""') + '"'


def _term(word: str) -> str:
    prefix = word.endswith("*") and len(word) > 1
    stem = word[:-1] if prefix else word
    if ":" in stem:
        name, _, rest = stem.partition(":")
        if name in COLUMNS and rest:
            return f"{name}:{_term(rest + ('*' if prefix else ''))}"
    text = stem if _is_bareword(stem) else quote(stem)
    return text + ("*" if prefix else "")


def fts_expression(query: str) -> str:
    """The user's query as an FTS5 expression.

    FTS5 syntax passes through (``"phrases"``, ``AND OR NOT``, ``NEAR(a b, 5)``, ``prefix*``,
    ``title:word``); words FTS5 would reject (``Rusia-Ukraina``, ``AS.``, ``Xi's``) become phrases,
    so everyday text searches for what it says. Words side by side must all match (implicit AND).
    """
    if not query.strip():
        raise QueryError("the search query is empty")
    parts: list[str] = []
    groups: list[bool] = []  # for each open parenthesis: is it NEAR( ... )?
    for match in TOKEN.finditer(query):
        token = match.group()
        if token.startswith('"'):
            if len(token) == 1 or not token.rstrip("*").endswith('"') or token.rstrip("*") == '"':
                raise QueryError(
                    f"search query {query!r} has an unbalanced double quote: close the phrase "
                    'with another " or remove it'
                )
            parts.append(token)
        elif token == "(":
            groups.append(bool(parts) and parts[-1] == "NEAR")
            parts.append(token)
        elif token == ")":
            if groups:
                groups.pop()
            parts.append(token)
        elif token == ",":
            if groups and groups[-1]:
                parts.append(token)
        elif token in _OPERATORS or token == "NEAR":
            parts.append(token)
        else:
            parts.append(_term(token))
    expression = ""
    for previous, part in zip([None, *parts], parts, strict=False):
        glued = (
            previous in (None, "(") or part in (")", ",") or (part == "(" and previous == "NEAR")
        )
        expression += part if glued else " " + part
    return expression


def plain_terms(query: str) -> list[str]:
    """The words and phrases of a query, operators dropped: what a LIKE scan looks for."""
    terms = []
    for match in TOKEN.finditer(query):
        token = match.group().rstrip("*")
        if token.startswith('"'):
            if len(token) < 2 or not token.endswith('"'):
                raise QueryError(f"search query {query!r} has an unbalanced double quote")
            token = token[1:-1].replace('""', '"')
        elif token in _OPERATORS or token in {"NEAR", "(", ")", ","}:
            continue
        else:
            name, sep, rest = token.partition(":")
            if sep and name in COLUMNS:
                token = rest
        if token.strip():
            terms.append(token.strip())
    if not terms:
        raise QueryError(f"search query {query!r} has no words to search for")
    return terms


def websearch_text(query: str) -> str:
    """The user's query as text for PostgreSQL's ``websearch_to_tsquery``, meaning what it means
    on SQLite as far as that can: words side by side must all match, ``"a phrase"``, ``OR``,
    ``-word`` and ``NOT word`` exclude. ``AND`` and parentheses are dropped (no grouping),
    ``NEAR(a b, 5)`` means all of its words, ``title:word`` and ``prefix*`` mean the plain word.
    """
    if not query.strip():
        raise QueryError("the search query is empty")
    plain_terms(query)  # the same errors as on SQLite: unbalanced quotes, no words
    parts: list[str] = []
    negate = after_comma = False
    for match in TOKEN.finditer(query.replace("\x00", " ")):
        token = match.group()
        if token in ("AND", "NEAR", "(", ")", ","):
            after_comma = token == ","
            continue
        if token in ("NOT", "OR"):
            negate = token == "NOT"
            parts += ["OR"] if token == "OR" else []
            continue
        if after_comma and token.isdigit():  # the distance of NEAR(a b, 5)
            after_comma = False
            continue
        if token.startswith('"'):  # websearch_to_tsquery has no escaped quote inside a phrase
            word = '"' + token.rstrip("*")[1:-1].replace('"', " ") + '"'
        else:
            word = token.rstrip("*") or token
            name, sep, rest = word.partition(":")
            if sep and name in COLUMNS and rest:
                word = rest
            if word.lower() == "or":  # a word, as on SQLite, not websearch_to_tsquery's OR
                word = '"or"'
        parts.append(("-" if negate else "") + word)
        negate = after_comma = False
    return " ".join(parts)


# ---------------------------------------------------------------------------- stemmed search


@dataclass(frozen=True)
class Stemmed:
    """A query as stemmed search runs it: on the stemmed index, its words as their stems."""

    query: str  # the query with every word as its stem; phrases as the stems of their words
    phrases: str | None  # the user's "phrases", as written, which must all match too
    stems: frozenset[str]  # the stems looked for, to mark in snippets
    prefixes: tuple[str, ...]  # the prefixes looked for (vaksin*), to mark in snippets
    # NOT or -word: what the query excludes, it excludes in every form, so only the stemmed
    # index can say what matches; otherwise a row matching as written matches too (even one
    # whose stemmed shadow is missing or stale: written by hand, not by the archive writer).
    excludes: bool = False


def _stemmed_word(word: str) -> str:
    """A bare word of a query on the stemmed index: its stem, its column filter kept; a prefix
    as written (a prefix has no stem); a word the index splits (Rusia-Ukraina) as a phrase."""
    name, sep, rest = word.partition(":")
    if sep and name in COLUMNS and rest:
        return f"{name}:{_stemmed_word(rest)}"
    if word.endswith("*"):
        return word
    if word.startswith("-") and len(word) > 1:  # PostgreSQL: -word excludes it
        return "-" + _stemmed_word(word[1:])
    stems = stem_text(word).split()
    if not stems:
        return word
    return stems[0] if len(stems) == 1 else quote(" ".join(stems))


def _bare(token: str) -> str:
    name, sep, rest = token.partition(":")
    return (rest if sep and name in COLUMNS else token).rstrip("*")


def stemmed(query: str) -> Stemmed | None:
    """``query`` for stemmed search, or None when it is searched as written only: a phrase
    among OR, NOT, NEAR or parentheses (whether the phrase as written must match could not be
    told apart from the rest). QueryError when the query is only stopwords."""
    tokens = [match.group() for match in TOKEN.finditer(query)]
    phrases = [token for token in tokens if token.startswith('"')]
    operators = any(token in _OPERATORS or token in ("NEAR", "(", ")") for token in tokens)
    if phrases and operators:
        return None
    syntax = (*_OPERATORS, "NEAR", "(", ")", ",")
    words = [
        token
        for token in tokens
        if not token.startswith('"') and token not in syntax and not token.isdigit()
    ]
    common = [word for word in words if _bare(word).lower() in stopwords()]
    if words and not phrases and len(common) == len(words):
        raise QueryError(
            f"search query {query!r} has only common words ({', '.join(common)}), which match "
            "nearly every article: add a word, or search them as written with --exact or in "
            "double quotes"
        )
    parts = []
    for token in tokens:
        if token.startswith('"'):
            inner = token.rstrip("*")[1:-1].replace('""', '"')
            parts.append(quote(stem_text(inner)) if stem_text(inner) else token)
        elif token in syntax:
            parts.append(token)
        else:
            parts.append(_stemmed_word(token))
    stems = {
        stem for word in words if not word.endswith("*") for stem in stem_text(_bare(word)).split()
    }
    stems |= {stem for phrase in phrases for stem in stem_text(phrase).split()}
    prefixes = tuple(_bare(word).lower() for word in words if word.endswith("*") and _bare(word))
    excludes = any(token == "NOT" or (token.startswith("-") and len(token) > 1) for token in tokens)
    return Stemmed(" ".join(parts), " ".join(phrases) or None, frozenset(stems), prefixes, excludes)
