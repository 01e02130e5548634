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

import numpy as np

from assistant.index.embedding import Embedder
from assistant.ingest.text import WORD, content_words, names, numbers

_NEGATION = re.compile(r"\b(?:not|no|never|none|neither|nor|without)\b|n[’']t\b", re.IGNORECASE)


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
        tokens = {w.casefold() for w in WORD.findall(joined)}
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
