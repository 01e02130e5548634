"""The project's text toolkit: content words (stemmed, no stopwords), numbers and names.

Used wherever two texts are compared by their words: the support checker, the evidence
features, the follow-up check and the benchmarks. Pure functions; bm25s's stopword list and
PyStemmer load on first use.
"""

from __future__ import annotations

import re
from functools import cache

WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"\d[\d,.]*")
NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "first": "1", "second": "2", "third": "3",
    "fourth": "4", "fifth": "5", "sixth": "6",
}  # fmt: skip


@cache
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    return frozenset(STOPWORDS_EN_PLUS) | {"said", "says", "according", "also", "would", "could"}


@cache
def _stemmer() -> object:
    import Stemmer

    return Stemmer.Stemmer("english")


def content_words(text: str) -> set[str]:
    """Stemmed, lower-cased words of ``text`` that carry meaning (no stopwords)."""
    words = [w.casefold() for w in WORD.findall(text)]
    kept = [w for w in words if len(w) > 1 and w not in _stopwords()]
    return set(_stemmer().stemWords(kept))  # type: ignore[attr-defined]


def numbers(text: str) -> set[str]:
    """Numbers in ``text``, digits or small number words, normalised ("2,000" -> "2000")."""
    found = {n.rstrip(".,").replace(",", "") for n in _NUMBER.findall(text)}
    found |= {NUMBER_WORDS[w] for w in WORD.findall(text.casefold()) if w in NUMBER_WORDS}
    return found


def names(text: str) -> set[str]:
    """Capitalised words not at the start of a sentence: a cheap stand-in for named entities."""
    out = set()
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        words = WORD.findall(sentence)
        for word in words[1:]:
            if word[:1].isupper() and len(word) > 1 and word.casefold() not in _stopwords():
                out.add(word.casefold())
    return out
