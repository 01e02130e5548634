"""Evidence: the sentences of retrieved chunks, ranked by how well they match the question.

Answers cite sentences, so the model sees numbered sentences (best first) rather than whole
chunks: short prompts for small models, and every citation is already an exact span.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assistant.answer.verify import content_words
from assistant.index.embedding import Embedder
from assistant.types import Hit


@dataclass(frozen=True)
class Evidence:
    """One sentence of one article, as shown to the model under the number ``n``."""

    n: int
    hit: Hit
    start: int
    end: int
    text: str
    relevance: float


def candidate_sentences(hits: list[Hit]) -> list[tuple[Hit, int, int, str]]:
    """Every sentence of the hits once, as ``(hit, start, end, text)``."""
    seen: set[tuple[str, int]] = set()
    out = []
    for hit in hits:
        for start, end in hit.sentences:
            if (hit.article_id, start) in seen:
                continue
            seen.add((hit.article_id, start))
            text = hit.text[start - hit.start : end - hit.start]
            if len(text) > 3:
                out.append((hit, start, end, text))
    return out


def lexical_overlap(question: str, sentence: str) -> float:
    """Share of the question's content words that the sentence contains."""
    wanted = content_words(question)
    return len(wanted & content_words(sentence)) / len(wanted) if wanted else 0.0


def rank_evidence(question: str, hits: list[Hit], embedder: Embedder, limit: int) -> list[Evidence]:
    """The ``limit`` sentences most relevant to ``question``, numbered from 1, best first.

    Relevance = mean of embedding cosine and content-word overlap with the question.
    """
    candidates = candidate_sentences(hits)
    if not candidates:
        return []
    vectors = np.array(embedder.get_text_embedding_batch([question] + [c[3] for c in candidates]))
    cosine = vectors[1:] @ vectors[0]
    scored = sorted(
        (
            (0.5 * max(0.0, float(cos)) + 0.5 * lexical_overlap(question, cand[3]), i)
            for i, (cand, cos) in enumerate(zip(candidates, cosine, strict=True))
        ),
        key=lambda pair: (-pair[0], pair[1]),
    )
    return [
        Evidence(n=rank, hit=candidates[i][0], start=candidates[i][1], end=candidates[i][2],
                 text=candidates[i][3], relevance=round(score, 4))
        for rank, (score, i) in enumerate(scored[:limit], start=1)
    ]  # fmt: skip


def render_evidence(evidence: list[Evidence]) -> str:
    """The numbered sentences block of the prompt, one per line, with outlet and date."""
    lines = []
    for item in evidence:
        origin = ", ".join(x for x in (item.hit.source, item.hit.published) if x)
        text = " ".join(item.text.split())
        lines.append(f"[{item.n}] {text}" + (f" ({origin})" if origin else ""))
    return "\n".join(lines)
