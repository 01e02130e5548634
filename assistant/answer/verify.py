"""Support checker: does a cited span back the sentence that cites it? Offline, on CPU.

Three signals, each cheap and explainable:
- coverage: the share of the claim's content words (stemmed) found in the evidence;
- anchors: every number and every name in the claim must appear in the evidence;
- similarity: cosine of the claim and evidence embeddings (the bundled MiniLM).
The threshold is calibrated on FaithBench (see ``benchmarks/faithbench.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np

from assistant.index.embedding import Embedder

_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"\d[\d,.]*")
_NEGATION = re.compile(r"\b(?:not|no|never|none|neither|nor|without)\b|n[’']t\b", re.IGNORECASE)
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
    words = [w.casefold() for w in _WORD.findall(text)]
    kept = [w for w in words if len(w) > 1 and w not in _stopwords()]
    return set(_stemmer().stemWords(kept))  # type: ignore[attr-defined]


def numbers(text: str) -> set[str]:
    """Numbers in ``text``, digits or small number words, normalised ("2,000" -> "2000")."""
    found = {n.rstrip(".,").replace(",", "") for n in _NUMBER.findall(text)}
    found |= {NUMBER_WORDS[w] for w in _WORD.findall(text.casefold()) if w in NUMBER_WORDS}
    return found


def names(text: str) -> set[str]:
    """Capitalised words not at the start of a sentence: a cheap stand-in for named entities."""
    out = set()
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        words = _WORD.findall(sentence)
        for word in words[1:]:
            if word[:1].isupper() and len(word) > 1 and word.casefold() not in _stopwords():
                out.add(word.casefold())
    return out


@dataclass(frozen=True)
class Support:
    """The checker's verdict on one claim."""

    score: float
    coverage: float
    similarity: float
    missing: tuple[str, ...]


class SupportChecker:
    """Scores how well evidence supports a claim; ``supported`` applies the threshold."""

    def __init__(
        self,
        embedder: Embedder,
        threshold: float,
        coverage_weight: float = 0.6,
        missing_anchor_factor: float = 0.5,
    ) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self.coverage_weight = coverage_weight
        self.missing_anchor_factor = missing_anchor_factor

    def check(self, claim: str, evidence: list[str]) -> Support:
        """Score ``claim`` against the concatenated ``evidence`` spans."""
        joined = " ".join(evidence)
        if not claim.strip() or not joined.strip():
            return Support(0.0, 0.0, 0.0, ())
        claim_words = content_words(claim)
        evidence_words = content_words(joined)
        coverage = len(claim_words & evidence_words) / len(claim_words) if claim_words else 0.0
        tokens = {w.casefold() for w in _WORD.findall(joined)}
        negated = bool(_NEGATION.search(claim)) and not _NEGATION.search(joined)
        missing = sorted(
            (numbers(claim) - numbers(joined))
            | (names(claim) - tokens)
            | ({"(negation)"} if negated else set())
        )
        vectors = np.array(self.embedder.get_text_embedding_batch([claim, joined]))
        similarity = float(max(0.0, vectors[0] @ vectors[1]))
        score = self.coverage_weight * coverage + (1 - self.coverage_weight) * similarity
        if missing:
            score *= self.missing_anchor_factor
        return Support(round(score, 4), round(coverage, 4), round(similarity, 4), tuple(missing))

    def supported(self, support: Support) -> bool:
        return support.score >= self.threshold
