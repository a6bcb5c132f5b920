"""Indonesian stemming (Sastrawi) of the text the archive indexes and of the words users search.

``stem_text`` keeps one token per word, in order, so a phrase or ``NEAR`` means the same on the
stemmed text as on the original. Words Sastrawi cannot read (digits, non-ASCII letters, names
not in its dictionary) stay as written, lowercased.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from Sastrawi.Dictionary.ArrayDictionary import ArrayDictionary
from Sastrawi.Stemmer.Stemmer import Stemmer
from Sastrawi.Stemmer.StemmerFactory import StemmerFactory
from Sastrawi.StopWordRemover.StopWordRemoverFactory import StopWordRemoverFactory

# What FTS5's unicode61 tokenizer and PostgreSQL's parser both count as a word's characters:
# letters and digits (an underscore, a hyphen or an apostrophe separates words).
_WORD = re.compile(r"[^\W_]+")
_STEMMABLE = re.compile(r"[a-z]+")
# Sastrawi takes about 0.6 ms a word; news reuses its words, so a cache of the most recent ones
# serves nearly every lookup (the entries cost about 100 bytes each).
STEM_CACHE_WORDS = 200_000


@cache
def _stemmer() -> Stemmer:
    return Stemmer(ArrayDictionary(StemmerFactory().get_words()))


@cache
def stopwords() -> frozenset[str]:
    """Sastrawi's Indonesian stopwords (``yang``, ``dan``, ``di``...): words too common to search
    for by themselves."""
    return frozenset(StopWordRemoverFactory().get_stop_words())


@lru_cache(maxsize=STEM_CACHE_WORDS)
def stem_word(word: str) -> str:
    """The stem of one word (``menyerang`` -> ``serang``); a word Sastrawi cannot read as it is,
    lowercased."""
    lowered = word.lower()
    if not _STEMMABLE.fullmatch(lowered):
        return lowered
    return str(_stemmer().stem_word(lowered)) or lowered


def words(text: str) -> list[str]:
    """The words of ``text``, as the full-text indexes split it."""
    return _WORD.findall(text)


def stem_text(text: str | None) -> str:
    """``text`` as its stems, one for each word, separated by spaces."""
    return " ".join(stem_word(word) for word in words(text or ""))
