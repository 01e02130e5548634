"""Features of a (question, candidate sentence) pair, for the learned evidence model.

The same code computes them when the model is trained (``assistant.eval.train_evidence``) and
when a question is answered, so what was measured is what runs. Every feature is a plain
number; the model (``evidence_model.py``) weighs them. Some are relative to the other
candidates of the same question (how far below the best cosine, say), which is what ranking
needs; the absolute ones are what abstention needs.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np

from assistant.ingest.entities import (
    Entity,
    answer_type,
    asks_about_name,
    compatible_labels,
    question_focus,
)
from assistant.ingest.text import content_words, names, numbers

_WORD = re.compile(r"\w+")
PREFIX = 5  # "Israeli" ~ "Israel", "Iranian" ~ "Iran": same first letters count as the word

FEATURES = (
    "cosine",  # embedding cosine of question and sentence
    "overlap",  # IDF-weighted share of the question's words in the sentence
    "overlap_context",  # ... in the previous sentence, the sentence and the title together
    "overlap_title",  # ... in the article title
    "bigrams",  # share of the question's adjacent word pairs found in the sentence
    "missing",  # IDF of the rarest question word missing from sentence, previous and title (/8)
    "all_words",  # every word of the question is in the sentence, the previous one or the title
    "names",  # share of the question's names in the sentence
    "names_context",  # ... in the previous sentence, sentence and title
    "numbers",  # share of the question's numbers in the sentence (1 when it has none)
    "type_person",
    "type_place",
    "type_date",
    "type_number",
    "type_org",
    "type_other",  # one-hot: the answer type the question asks for
    "typed_answer",  # the sentence has a new entity of the type asked for
    "typed_near",  # ... within a few words of a word of the question (1 / (1 + distance))
    "focus",  # a word naming the kind of thing asked for ("position", "network") is in it
    "new_entity",  # the sentence has an entity the question does not name
    "new_words",  # share of the sentence's words that are not in the question
    "fragment",  # fewer than six words, or no verb-like ending: a headline or caption
    "is_title",  # the sentence is the article's title (or the title is inside it)
    "length",  # log of the sentence's word count
    "position",  # log of the sentence's character offset in the article
    "cosine_gap",  # best cosine among the candidates minus this one's
    "overlap_gap",  # best overlap among the candidates minus this one's
    "context_gap",  # best context overlap among the candidates minus this one's
)
TYPES = ("PERSON", "PLACE", "DATE", "NUMBER", "ORG", "OTHER")


@cache
def _idf(word: str) -> float:
    """Rarity of a word in general English: 8 minus its Zipf frequency (rare names score ~8)."""
    from wordfreq import zipf_frequency

    return max(0.5, 8.0 - zipf_frequency(word, "en"))


@dataclass(frozen=True)
class QuestionInfo:
    """What the features need of the question, computed once per question."""

    text: str
    weights: dict[str, float]  # stemmed content word -> IDF weight
    prefixes: dict[str, str]  # stemmed content word -> its first letters
    bigrams: frozenset[tuple[str, str]]
    names: frozenset[str]
    numbers: frozenset[str]
    type: str
    words: frozenset[str]  # lower-cased surface words
    capitalised: frozenset[str]  # lower-cased capitalised words: the names the question says
    about_name: bool  # "Who is Ron Dermer?": a description answers, not an entity
    focus: dict[str, float]  # stem -> IDF weight of the words naming what is asked for


# Words about the articles themselves ("the CIA Director mentioned in the article"), not the news.
META = frozenset(("article", "articles", "mentioned", "mention", "mentions", "story", "stories"))


@lru_cache(maxsize=256)
def question_info(question: str) -> QuestionInfo:
    """Its weighted stems, for overlap; the focus words ("position") are kept apart: they
    count when a sentence has them and are not missed when it does not. Cached: the ranker
    and every streamed answer's short answer ask for the same question, and it takes a parse."""
    focus_words = {w.casefold() for w in question_focus(question)}
    weights: dict[str, float] = {}
    prefixes: dict[str, str] = {}
    focus: dict[str, float] = {}
    order: list[str] = []
    tokens = _WORD.findall(question)
    for word in tokens:
        lower = word.casefold()
        for stem in content_words(word):
            if lower in META:
                continue
            prefixes[stem] = lower[:PREFIX]
            if lower in focus_words:
                focus[stem] = max(focus.get(stem, 0.0), _idf(lower))
                continue
            weights[stem] = max(weights.get(stem, 0.0), _idf(lower))
            order.append(stem)
    return QuestionInfo(
        text=question, weights=weights, prefixes=prefixes,
        bigrams=frozenset(itertools.pairwise(order)), names=frozenset(names(question)),
        numbers=frozenset(numbers(question)), type=answer_type(question),
        words=frozenset(w.casefold() for w in tokens), focus=focus,
        capitalised=frozenset(w.casefold() for w in tokens if w[:1].isupper()),
        about_name=asks_about_name(question),
    )  # fmt: skip


def can_answer(text: str) -> bool:
    """Whether a sentence can be evidence: not a scrap, and not a question (which states
    nothing: "The vice president?")."""
    return len(text) > 3 and not text.rstrip().endswith("?")


@dataclass(frozen=True)
class Candidate:
    """A sentence of an article, with what surrounds it."""

    text: str
    previous: str
    title: str
    start: int
    entities: tuple[Entity, ...]


@dataclass(frozen=True)
class _Words:
    """The words of a text as stems and as first letters, for matching question words: a
    question word matches a word of the same stem, of the same first five letters, or, when it
    has four letters, a word up to three letters longer that starts with it ("Iran" ~
    "Iranian", "Cuba" ~ "Cuban")."""

    stems: set[str]
    prefixes: set[str]
    short: set[str]  # first four letters of the five- to seven-letter words

    @classmethod
    def of(cls, text: str) -> _Words:
        words = [w.casefold() for w in _WORD.findall(text)]
        return cls(
            content_words(text),
            {w[:PREFIX] for w in words if len(w) >= PREFIX},
            {w[: PREFIX - 1] for w in words if PREFIX <= len(w) <= PREFIX + 2},
        )

    def has(self, q: QuestionInfo, stem: str) -> bool:
        prefix = q.prefixes[stem]
        return (
            stem in self.stems
            or (len(prefix) >= PREFIX and prefix in self.prefixes)
            or (len(prefix) == PREFIX - 1 and prefix in self.short)
        )


def lexical_score(q: QuestionInfo, stems: set[str]) -> float:
    """IDF-weighted share of the question's stems in ``stems``: how candidates are shortlisted
    before embedding (the same at training and at answer time, so the model sees the pool it was
    fitted on)."""
    return _share_of(q, lambda stem: stem in stems)


def context_stems(c: Candidate) -> set[str]:
    """The stems of a candidate with its previous sentence and its article's title."""
    return content_words(f"{c.previous} {c.text} {c.title}")


def _weighted(q: QuestionInfo, words: _Words) -> float:
    return _share_of(q, lambda stem: words.has(q, stem))


def _share_of(q: QuestionInfo, present: Callable[[str], bool]) -> float:
    """The weight of the question's stems that are ``present`` over that of all of them, where
    a focus word weighs only when present."""
    found = sum(w for s, w in q.focus.items() if present(s))
    total = sum(q.weights.values()) + found
    found += sum(w for s, w in q.weights.items() if present(s))
    return found / total if total else 0.0


def _share(wanted: frozenset[str], present: set[str]) -> float:
    return len(wanted & present) / len(wanted) if wanted else 1.0


def holds_focus(q: QuestionInfo, text: str) -> bool:
    """Whether ``text`` has a word naming the kind of thing asked for ("spokesperson")."""
    words = _Words.of(text)
    return any(words.has(q, stem) for stem in q.focus)


def is_new(entity: Entity, q: QuestionInfo) -> bool:
    """Whether ``entity`` says something the question does not: a word the question lacks."""
    words = {w.casefold() for w in _WORD.findall(entity.text)}
    return bool(words) and not words <= q.words


def names_asked(entity: Entity, q: QuestionInfo) -> bool:
    """Whether ``entity`` is a name the question gives: its last word (a surname or head) is
    a capitalised word of the question ("Donald Trump" for "Who did Trump warn?")."""
    words = [w.casefold() for w in _WORD.findall(entity.text) if len(w) > 1]
    return bool(words) and words[-1] in q.capitalised


def _spots(q: QuestionInfo, text: str, only_focus: bool = False) -> list[int]:
    """Where the question's words (stems or first letters) occur in ``text``; with
    ``only_focus``, its focus words alone."""
    stems = q.focus.keys() if only_focus else q.weights.keys() | q.focus.keys()
    asked = {q.prefixes[s] for s in stems if len(q.prefixes[s]) >= PREFIX}
    return [
        m.start()
        for m in _WORD.finditer(text)
        if content_words(m.group()) & stems or m.group().casefold()[:PREFIX] in asked
    ]


def distance(q: QuestionInfo, text: str, entity: Entity, spots: list[int] | None = None) -> float:
    """Words between ``entity`` and the nearest word of the question in ``text`` (inf: none)."""
    best = math.inf
    for spot in _spots(q, text) if spots is None else spots:
        lo, hi = sorted((spot, entity.start if spot < entity.start else entity.end))
        best = min(best, len(_WORD.findall(text[lo:hi])))
    return best


def focus_distance(q: QuestionInfo, text: str, entity: Entity) -> float:
    """Words between ``entity`` and the nearest focus word of the question in ``text``: the
    name beside "envoy" in "Vice President JD Vance, US Special Envoy Steve Witkoff" answers
    "Who is the US special envoy?" (inf: no focus word there)."""
    return distance(q, text, entity, _spots(q, text, only_focus=True))


def _nearness(q: QuestionInfo, c: Candidate, typed: list[Entity]) -> float:
    """1 / (1 + words between a typed entity and the nearest word of the question)."""
    spots = _spots(q, c.text)
    best = min((distance(q, c.text, e, spots) for e in typed), default=math.inf)
    return 0.0 if math.isinf(best) else 1.0 / (1.0 + best)


def _features(q: QuestionInfo, c: Candidate, cosine: float) -> list[float]:
    sentence = _Words.of(c.text)
    context = _Words.of(f"{c.previous} {c.text} {c.title}")
    tokens = {w.casefold() for w in _WORD.findall(c.text)}
    window = tokens | {w.casefold() for w in _WORD.findall(f"{c.previous} {c.title}")}
    stems = [s for w in _WORD.findall(c.text) for s in content_words(w)]
    pairs = set(itertools.pairwise(stems))
    wanted = compatible_labels(q.type)
    new = [e for e in c.entities if is_new(e, q)]
    typed = [e for e in new if e.label in wanted]
    words = _WORD.findall(c.text)
    return [
        cosine,
        _weighted(q, sentence),
        _weighted(q, context),
        _weighted(q, _Words.of(c.title)),
        len(q.bigrams & pairs) / len(q.bigrams) if q.bigrams else 0.0,
        max((w for s, w in q.weights.items() if not context.has(q, s)), default=0.0) / 8.0,
        1.0 if all(context.has(q, s) for s in q.weights) else 0.0,
        _share(q.names, tokens),
        _share(q.names, window),
        _share(q.numbers, numbers(c.text)),
        *(1.0 if q.type == t else 0.0 for t in TYPES),
        1.0 if typed else 0.0,
        _nearness(q, c, typed),
        1.0 if any(sentence.has(q, s) for s in q.focus) else 0.0,
        1.0 if new else 0.0,
        len(sentence.stems - q.weights.keys() - q.focus.keys()) / len(sentence.stems)
        if sentence.stems
        else 0.0,
        1.0 if len(words) < 6 or not c.text.rstrip().endswith((".", "!", '"', "”", "’")) else 0.0,
        1.0 if c.title and c.title.strip() and c.title.strip() in c.text else 0.0,
        math.log1p(len(words)),
        math.log1p(c.start),
    ]


def feature_matrix(
    q: QuestionInfo, candidates: Sequence[Candidate], cosines: Sequence[float]
) -> np.ndarray:
    """The values of ``FEATURES`` for every candidate of one question, one row each."""
    rows = np.array(
        [_features(q, c, float(x)) for c, x in zip(candidates, cosines, strict=True)]
    ).reshape(len(candidates), len(FEATURES) - 3)
    gaps = [FEATURES.index(name) for name in ("cosine", "overlap", "overlap_context")]
    relative = rows[:, gaps].max(axis=0, initial=0.0) - rows[:, gaps]
    return np.hstack([rows, relative])
