"""Evidence: the sentences of retrieved chunks, ranked by how well they match the question.

Answers cite sentences, so the model sees numbered sentences (best first) rather than whole
chunks: short prompts for small models, and every citation is already an exact span.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from assistant.answer.verify import content_words, names, numbers
from assistant.index.embedding import Embedder
from assistant.types import Hit

_WORDS = re.compile(r"\w+")
_QUANTITY = re.compile(r"\bhow (many|much|old)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Evidence:
    """One sentence of one article, as shown to the model under the number ``n``."""

    n: int
    hit: Hit
    start: int
    end: int
    text: str
    relevance: float
    context: str = ""  # the sentence before, for words like "The two" or "She"


def candidate_sentences(hits: list[Hit]) -> list[tuple[Hit, int, int, str, str]]:
    """Every sentence of the hits once, as ``(hit, start, end, text, previous sentence)``."""
    seen: set[tuple[str, int]] = set()
    out = []
    for hit in hits:
        previous = ""
        for start, end in hit.sentences:
            text = hit.text[start - hit.start : end - hit.start]
            if (hit.article_id, start) not in seen and len(text) > 3:
                seen.add((hit.article_id, start))
                out.append((hit, start, end, text, previous))
            previous = text
    return out


def lexical_overlap(question: str, sentence: str) -> float:
    """Share of the question's content words that the sentence contains."""
    wanted = content_words(question)
    return len(wanted & content_words(sentence)) / len(wanted) if wanted else 0.0


def _prior(sentence: str) -> float:
    """Questions and headline fragments rarely answer anything."""
    if sentence.rstrip().endswith("?"):
        return 0.7
    if len(sentence.split()) < 5:
        return 0.8
    return 1.0


def rank_evidence(
    queries: list[str], hits: list[Hit], embedder: Embedder, limit: int
) -> list[Evidence]:
    """The ``limit`` sentences most relevant to the queries, numbered from 1, best first.

    A sentence's relevance to a query is the mean of embedding cosine and content-word
    overlap; the overlap may borrow words from the previous sentence ("The two met..."),
    at a small discount. ``queries`` is the question alone, or a follow-up and then its
    standalone form, which weighs more: "that meeting" means the one asked about before.
    """
    candidates = candidate_sentences(hits)
    if not candidates:
        return []
    texts = [c[3] for c in candidates]
    vectors = np.array(embedder.get_text_embedding_batch(queries + texts))
    weights = [1.0] if len(queries) == 1 else [0.3, 0.7]
    scores = np.zeros(len(candidates))
    for qi, (query, weight) in enumerate(zip(queries, weights, strict=True)):
        cosine = np.clip(vectors[len(queries) :] @ vectors[qi], 0.0, 1.0)
        lexical = np.array([
            max(lexical_overlap(query, c[3]), 0.8 * lexical_overlap(query, c[4] + " " + c[3]))
            for c in candidates
        ])  # fmt: skip
        scores += weight * (0.5 * cosine + 0.5 * lexical)
    scores *= np.array([_prior(t) for t in texts])
    order = sorted(range(len(candidates)), key=lambda i: (-scores[i], i))[:limit]
    return [
        Evidence(n=rank, hit=candidates[i][0], start=candidates[i][1], end=candidates[i][2],
                 text=candidates[i][3], relevance=round(float(scores[i]), 4), context=candidates[i][4])
        for rank, i in enumerate(order, start=1)
    ]  # fmt: skip


def render_evidence(evidence: list[Evidence]) -> str:
    """The numbered sentences block of the prompt, one per line, with outlet and date."""
    lines = []
    for item in evidence:
        origin = ", ".join(x for x in (item.hit.source, item.hit.published) if x)
        text = " ".join(item.text.split())
        lines.append(f"[{item.n}] {text}" + (f" ({origin})" if origin else ""))
    return "\n".join(lines)


# Words that say what kind of answer is wanted rather than what it is about.
GENERIC_QUESTION_WORDS = content_words(
    "name names day date time year month happen happened take took place held hold "
    "position job role head kind type mention mentioned article articles outlet say said "
    "tell told speak spoke meet met many much long soon describe respond response reason why "
    "network channel newspaper station"
)


def _topical_words(question: str) -> list[str]:
    """The question's words that name its topic: no stopwords, no generic question words."""
    return [
        w for w in {x.casefold() for x in _WORDS.findall(question)}
        if len(w) > 2 and not (content_words(w) <= GENERIC_QUESTION_WORDS)
    ]  # fmt: skip


# A question with more topical words than this asks several things at once (MultiHop-RAG's
# "Does X in outlet A ... while outlet B ...?"); no single sentence can hold all of them.
MULTIPART_WORDS = 6


def covers(question: str, evidence: list[Evidence], threshold: float, multipart: float) -> bool:
    """Whether the evidence can answer ``question`` at all; if not, the chain abstains.

    Either the best sentence answers it alone (``_best_covers``), or the question has several
    parts and the evidence as a whole covers them (``_set_covers``)."""
    return _best_covers(question, evidence, threshold) or _set_covers(
        question, evidence, threshold, multipart
    )


def _best_covers(question: str, evidence: list[Evidence], threshold: float) -> bool:
    """The best sentence is relevant enough (``threshold``); with the sentence before it, it
    contains every number of the question and every topical word (same stem, or the same
    first five letters: "Israeli" ~ "Israel"); and "how many/much/old" needs a number."""
    if not evidence or evidence[0].relevance < threshold:
        return False
    window = f"{evidence[0].context} {evidence[0].text}"
    present = _finder(window)
    return _has_numbers(question, window) and all(present(w) for w in _topical_words(question))


def _set_covers(
    question: str, evidence: list[Evidence], threshold: float, multipart: float
) -> bool:
    """For a question of more than ``MULTIPART_WORDS`` topical words: the best sentence is at
    least half as relevant as ``threshold`` asks, and all the evidence shown, with each
    article's title, outlet and date, holds every number and name of the question and at least
    the share ``multipart`` of its topical words."""
    topical = _topical_words(question)
    if len(topical) <= MULTIPART_WORDS or not evidence or evidence[0].relevance < threshold / 2:
        return False
    window = " ".join(
        f"{e.context} {e.text} {e.hit.title} {e.hit.source or ''} {e.hit.published or ''}"
        for e in evidence
    )
    asked_names = names(question)
    present = _finder(window)
    found = [w for w in topical if present(w)]
    if not _has_numbers(question, window) or asked_names & (set(topical) - set(found)):
        return False
    return len(found) / len(topical) >= multipart


def _has_numbers(question: str, window: str) -> bool:
    """Every number of the question is in ``window``; "how many/much/old" needs one at all."""
    if numbers(question) - numbers(window):
        return False
    wants = _QUANTITY.search(question)
    if wants and wants.group(1) == "old":
        return re.search(r"\d", window) is not None
    return not wants or bool(numbers(window))


def _finder(window: str) -> Callable[[str], bool]:
    """Whether a word is in ``window``: the same stem, or the same first five letters."""
    stems = content_words(window)
    words = {w.casefold() for w in _WORDS.findall(window)}
    return lambda w: content_words(w) <= stems or any(x.startswith(w[:5]) for x in words)
