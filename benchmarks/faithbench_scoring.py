"""Scoring FaithBench summaries with the support checker, as the answer chain uses it: claim
sentences against sliding windows of source sentences (steps 1-4 of ``benchmarks.faithbench``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant.answer.verify import SupportChecker
from assistant.index.embedding import Embedder
from assistant.ingest.chunking import SPECIAL_TOKENS, Span, sentence_spans
from assistant.ingest.text import content_words
from benchmarks.faithbench_data import Sample

SIGNALS = ("score", "coverage", "similarity", "anchors")


@dataclass(frozen=True)
class Claim:
    """One claim sentence (offsets into the summary) and its best support over the windows;
    ``anchors`` is 1.0 when some window holds every number and name of the claim."""

    start: int
    end: int
    score: float
    coverage: float
    similarity: float
    anchors: float


@dataclass(frozen=True)
class Scored:
    """A summary's scores: each signal is the minimum over its claims (0 without claims)."""

    score: float
    coverage: float
    similarity: float
    anchors: float
    claims: tuple[Claim, ...] = field(default=())


class CachedEmbedder:
    """An ``Embedder`` that embeds each distinct text once; ``warm`` batches the misses."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_name = inner.model_name
        self.max_tokens = inner.max_tokens
        self.dimension = inner.dimension
        self._cache: dict[str, list[float]] = {}

    def tokenize(self, text: str) -> list[int]:
        return self.inner.tokenize(text)

    def warm(self, texts: Iterable[str]) -> int:
        """Embed every text not yet cached in one batched call; returns how many."""
        missing = sorted({t for t in texts if t not in self._cache})
        if missing:
            vectors = self.inner.get_text_embedding_batch(missing)
            self._cache.update(zip(missing, vectors, strict=True))
        return len(missing)

    def get_query_embedding(self, query: str) -> list[float]:
        return self.get_text_embedding_batch([query])[0]

    def get_text_embedding_batch(
        self, texts: list[str], show_progress: bool = False
    ) -> list[list[float]]:
        self.warm(texts)
        return [self._cache[t] for t in texts]


def sentences(text: str) -> list[str]:
    """The sentences of ``text``, as exact slices."""
    return [text[start:end] for start, end in sentence_spans(text)]


def claim_spans(summary: str, lead_ins: bool = False) -> list[Span]:
    """The summary's sentences that carry a content word, without lead-ins (ending in ":")
    unless ``lead_ins``."""
    return [
        (start, end)
        for start, end in sentence_spans(summary)
        if content_words(summary[start:end]) and (lead_ins or summary[end - 1] != ":")
    ]


def windows(parts: Sequence[str], size: int, budget: int, count: Callable[[str], int]) -> list[str]:
    """Runs of up to ``size`` consecutive sentences (stride one) of at most ``budget`` tokens.

    A run over budget loses sentences from its end (a lone over-long sentence is kept, and the
    embedder truncates it). ``size`` 0 means the whole text as one window, however long.
    """
    if size == 0 or len(parts) <= 1:
        return [" ".join(parts)] if parts else []
    out: list[str] = []
    for start in range(len(parts)):
        end = min(start + size, len(parts))
        while end - start > 1 and count(" ".join(parts[start:end])) > budget:
            end -= 1
        out.append(" ".join(parts[start:end]))
        if end == len(parts):
            break  # every later run lies inside this one
    return out


def source_windows(samples: list[Sample], embedder: Embedder, window: int) -> dict[str, list[str]]:
    """The windows of each distinct source, sized in the embedder's own word pieces."""
    budget = embedder.max_tokens - SPECIAL_TOKENS
    out: dict[str, list[str]] = {}
    for s in samples:
        if s.source not in out:
            out[s.source] = windows(
                sentences(s.source), window, budget, lambda t: len(embedder.tokenize(t))
            )
    return out


def score_claim(checker: SupportChecker, summary: str, span: Span, spans: list[str]) -> Claim:
    """The claim's best score, coverage and similarity over the windows, each on its own."""
    results = [checker.check(summary[span[0] : span[1]], [window]) for window in spans]
    return Claim(
        start=span[0],
        end=span[1],
        score=max(r.score for r in results),
        coverage=max(r.coverage for r in results),
        similarity=max(r.similarity for r in results),
        anchors=float(any(not r.missing for r in results)),
    )


def score_summary(
    checker: SupportChecker, summary: str, spans: list[str], lead_ins: bool
) -> Scored:
    """The weakest claim's scores; a summary without claims asserts nothing and scores 0."""
    if not spans:
        return Scored(0.0, 0.0, 0.0, 0.0)
    claims = tuple(score_claim(checker, summary, c, spans) for c in claim_spans(summary, lead_ins))
    if not claims:
        return Scored(0.0, 0.0, 0.0, 0.0)
    score, coverage, similarity, anchors = (
        min(getattr(c, name) for c in claims) for name in SIGNALS
    )
    return Scored(score, coverage, similarity, anchors, claims)


def score_all(
    samples: list[Sample], embedder: CachedEmbedder, window: int, lead_ins: bool, threshold: float
) -> tuple[list[Scored], dict[str, float]]:
    """Scores of every sample, and the time spent embedding and scoring."""
    spans = source_windows(samples, embedder, window)
    started = time.perf_counter()
    texts = [w for ws in spans.values() for w in ws]
    texts += [s.summary[a:b] for s in samples for a, b in claim_spans(s.summary, lead_ins)]
    embedded = embedder.warm(texts)
    embedding_s = time.perf_counter() - started
    checker = SupportChecker(embedder, threshold)
    started = time.perf_counter()
    scored = [score_summary(checker, s.summary, spans[s.source], lead_ins) for s in samples]
    scoring_s = time.perf_counter() - started
    return scored, {
        "texts_embedded": embedded,
        "embedding_s": round(embedding_s, 2),
        "scoring_s": round(scoring_s, 2),
        "windows_per_source_mean": round(float(np.mean([len(w) for w in spans.values()])), 2),
    }
