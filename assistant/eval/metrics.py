"""Per-question metrics: pure functions over answers, gold data and retrieval ranks.

Definitions and formulas are in ``evals/README.md``; the support checker stands in for the
NLI model of ALCE's citation metrics.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Callable, Sequence

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans(dict.fromkeys(string.punctuation + "‘’“”—–", " "))

# entails(claim, spans): does the concatenation of ``spans`` support ``claim``?
Entails = Callable[[str, list[str]], bool]


def normalise(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation, no articles, single spaces."""
    lowered = text.casefold().translate(_PUNCT)
    return " ".join(_ARTICLES.sub(" ", lowered).split())


def contains_alias(answer: str, aliases: Sequence[str]) -> bool:
    """True when a normalised alias occurs in the normalised answer as whole words."""
    padded = f" {normalise(answer)} "
    return any(normalise(a) and f" {normalise(a)} " in padded for a in aliases)


def token_f1(answer: str, gold: str) -> float:
    """SQuAD token F1 between the normalised answer and one gold alias."""
    predicted, wanted = normalise(answer).split(), normalise(gold).split()
    common = sum((Counter(predicted) & Counter(wanted)).values())
    if not common:
        return 0.0
    precision, recall = common / len(predicted), common / len(wanted)
    return 2 * precision * recall / (precision + recall)


def best_f1(answer: str, aliases: Sequence[str]) -> float:
    return max((token_f1(answer, a) for a in aliases), default=0.0)


def pick_choice(answer: str, choices: Sequence[str]) -> int | None:
    """The choice an answer names: contained choices first (earliest wins), else best F1 > 0."""
    text = f" {normalise(answer)} "
    found = [
        (text.find(f" {normalise(c)} "), i)
        for i, c in enumerate(choices)
        if normalise(c) and f" {normalise(c)} " in text
    ]
    if found:
        return min(found)[1]
    scored = [(token_f1(answer, c), i) for i, c in enumerate(choices)]
    best = max(scored, default=(0.0, 0))
    return best[1] if best[0] > 0 else None


def first_relevant_rank(relevant: Sequence[bool], k: int = 10) -> int | None:
    """1-based rank of the first relevant hit within the top ``k``, or None."""
    for rank, hit in enumerate(relevant[:k], start=1):
        if hit:
            return rank
    return None


def average_precision(found_per_hit: Sequence[set[int]], n_gold: int, k: int = 10) -> float:
    """MultiHop-RAG's MAP@k term: sum over ranks of (new gold items found / rank) / min(n, k)."""
    found: set[int] = set()
    total = 0.0
    for rank, items in enumerate(found_per_hit[:k], start=1):
        new = items - found
        if new:
            total += len(new) / rank
            found |= new
    return total / min(n_gold, k) if n_gold else 0.0


def citation_scores(
    sentences: Sequence[tuple[str, list[str]]], entails: Entails
) -> tuple[float, float] | None:
    """ALCE citation recall and precision of one answer, or None when it has no sentences.

    ``sentences`` holds each answer sentence with the quotes it cites. Recall: share of
    sentences whose joint citations entail them. Precision: share of citations that are
    needed: a citation of an entailed sentence counts unless it neither entails the sentence
    alone nor is missed when removed; a citation of a non-entailed sentence never counts.
    """
    if not sentences:
        return None
    entailed = precise = cited = 0
    for text, quotes in sentences:
        cited += len(quotes)
        joint = bool(quotes) and entails(text, quotes)
        entailed += joint
        if not joint:
            continue
        if len(quotes) == 1:
            precise += 1
            continue
        for i, quote in enumerate(quotes):
            rest = quotes[:i] + quotes[i + 1 :]
            needed = entails(text, [quote]) or not entails(text, rest)
            precise += needed
    return entailed / len(sentences), (precise / cited if cited else 0.0)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100), linear interpolation between closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
