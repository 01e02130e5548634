"""Evidence: the sentences of retrieved chunks, ranked by the learned evidence model.

Answers cite sentences, so the model sees numbered sentences (best first) rather than whole
chunks: short prompts for small models, and every citation is already an exact span. Each
sentence's relevance is the evidence model's calibrated P(it answers the question)
(``evidence_model.py``, trained by ``assistant.eval.train_evidence``); when the best is below
the model's threshold, the articles do not cover the question and the chain abstains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from assistant.answer.evidence_model import EvidenceModel
from assistant.answer.features import (
    Candidate,
    QuestionInfo,
    can_answer,
    context_stems,
    distance,
    feature_matrix,
    focus_distance,
    is_new,
    lexical_score,
    names_asked,
    question_info,
)
from assistant.config import EvidenceSettings
from assistant.index.embedding import Embedder
from assistant.index.sentences import SentenceCache, sentence_key
from assistant.ingest.entities import Entity, compatible_labels, subject_span
from assistant.types import Hit


@dataclass(frozen=True)
class Evidence:
    """One sentence of one article, as shown to the model under the number ``n``."""

    n: int
    hit: Hit
    start: int
    end: int
    text: str
    relevance: float  # P(this sentence answers the question)
    context: str = ""  # the sentence before, for words like "The two" or "She"
    entities: tuple[Entity, ...] = ()


Found = tuple[Hit, int, int, str, str]  # hit, start, end, text, previous sentence
# Words asking who said something, and a sentence that gives its speaker only as a pronoun.
_SPEECH = r"(?:say|says|said|tell|tells|told|claim\w*|state[sd]?|add(?:s|ed)?|warn\w*|announc\w*)"
_ASKS_SPEAKER = re.compile(rf"\b(?:{_SPEECH}|according)\b", re.IGNORECASE)
_PRONOUN_SPEAKER = re.compile(
    rf"\baccording to (?:him|her|them)\b|\b(?:he|she|they) (?:also )?{_SPEECH}\b"
    rf"|\b{_SPEECH} (?:he|she|they)\b",
    re.IGNORECASE,
)


def candidate_sentences(hits: list[Hit]) -> list[Found]:
    """Every sentence of the hits once, as ``(hit, start, end, text, previous sentence)``."""
    seen: set[tuple[str, int]] = set()
    out = []
    for hit in hits:
        previous = ""
        for start, end in hit.sentences:
            text = hit.text[start - hit.start : end - hit.start]
            if (hit.article_id, start) not in seen and can_answer(text):
                seen.add((hit.article_id, start))
                out.append((hit, start, end, text, previous))
            previous = text
    return out


class EvidenceRanker:
    """Ranks candidate sentences by P(answers) and says whether the best is good enough."""

    def __init__(
        self, settings: EvidenceSettings, embedder: Embedder, sentences: SentenceCache
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.sentences = sentences
        self.model = EvidenceModel.load(settings.weights)
        self.threshold = (
            settings.threshold if settings.threshold is not None else self.model.threshold
        )

    def rank(self, queries: list[str], hits: list[Hit], limit: int) -> list[Evidence]:
        """The ``limit`` most probable answer sentences, numbered from 1, best first.

        ``queries`` is the question alone, or a follow-up and then its standalone form; a
        sentence scores the best P it reaches for any of them. Only the ``candidates``
        sentences with the most question words (as at training) are embedded and scored."""
        asked = [question_info(q) for q in queries]
        found = self._shortlist(asked, candidate_sentences(hits))
        if not found:
            return []
        data = self.sentences.get(
            [sentence_key(f[0].chunk_id, f[1], f[2]) for f in found], [f[3] for f in found]
        )
        vectors = np.array(self.embedder.get_text_embedding_batch(queries))
        cosines = np.clip(np.array([d.vector for d in data]) @ vectors.T, 0.0, 1.0)
        named = [d.entities for d in data]
        candidates = [
            Candidate(text, previous, hit.title, start, ents)
            for (hit, start, _, text, previous), ents in zip(found, named, strict=True)
        ]
        p = np.max(
            [
                self.model.probability(feature_matrix(q, candidates, cosines[:, i]))
                for i, q in enumerate(asked)
            ],
            axis=0,
        )
        order = sorted(range(len(found)), key=lambda i: (-p[i], i))[:limit]
        return [
            Evidence(n=rank, hit=found[i][0], start=found[i][1], end=found[i][2], text=found[i][3],
                     relevance=round(float(p[i]), 4), context=found[i][4], entities=named[i])
            for rank, i in enumerate(order, start=1)
        ]  # fmt: skip

    def _shortlist(self, asked: list[QuestionInfo], found: list[Found]) -> list[Found]:
        """The ``settings.candidates`` sentences with the most question words, in hit order."""
        if len(found) <= self.settings.candidates:
            return found
        scores = [
            max(lexical_score(q, context_stems(Candidate(text, previous, hit.title, start, ())))
                for q in asked)
            for hit, start, _, text, previous in found
        ]  # fmt: skip
        keep = sorted(range(len(found)), key=lambda i: (-scores[i], i))[: self.settings.candidates]
        return [found[i] for i in sorted(keep)]

    def answerable(self, evidence: list[Evidence]) -> bool:
        """Whether the best sentence is likely enough to answer (else the chain abstains)."""
        return bool(evidence) and evidence[0].relevance >= self.threshold

    def quoted(self, evidence: list[Evidence], question: str) -> list[Evidence]:
        """The extractive answer: the best sentence, and the next ones (up to
        ``quote_sentences``) that are nearly as likely and would answer on their own: when the
        model cannot tell two or three sentences apart, the reader sees each. The best one
        comes after its antecedent when it names the answer only by a pronoun."""
        best, limit = evidence[0], self.settings.quote_sentences
        near = max(self.settings.quote_ratio * best.relevance, self.threshold)
        rest = [e for e in evidence[1:limit] if e.relevance >= near]
        before = self.antecedent(question, best) if self.settings.antecedent else None
        if before is None:
            return [best, *rest]
        same = (before.hit.article_id, before.start)
        return [before, best, *(e for e in rest if (e.hit.article_id, e.start) != same)]

    def antecedent(self, question: str, item: Evidence) -> Evidence | None:
        """The sentence before ``item`` when the question asks who said something, ``item``
        gives the speaker only as a pronoun ("According to her, ...") and that sentence names
        someone new of the type asked for: coreference by recency and type, as for follow-ups.
        None otherwise."""
        q = question_info(question)
        if q.type not in ("PERSON", "ORG") or not _ASKS_SPEAKER.search(question):
            return None
        if not _PRONOUN_SPEAKER.search(item.text):
            return None
        spans = [(s, e) for s, e in item.hit.sentences if e <= item.start]
        if not spans or not item.context:
            return None
        start, end = spans[-1]
        text = item.context  # the text of that span (``candidate_sentences``)
        key = sentence_key(item.hit.chunk_id, start, end)
        wanted = compatible_labels(q.type)
        named = [
            e
            for e in self.sentences.get([key], [text])[0].entities
            if e.label in wanted and is_new(e, q) and not names_asked(e, q)
        ]
        # The pronoun stands for that sentence's subject, as a rule ("Noem told Fox News ...";
        # the small NER often calls a bare surname an ORG), else for its first new person.
        subject = subject_span(text)
        speaker = next((e for e in named if subject and e.start <= subject[0] < e.end), None)
        speaker = speaker or next((e for e in named if e.label == "PERSON"), None)
        if speaker is None:
            return None
        # The only entity kept, so that it is the short answer.
        return replace(item, start=start, end=end, text=text, context="", entities=(speaker,))


def short_answer(question: QuestionInfo | str, item: Evidence) -> Entity | None:
    """The answer phrase inside ``item``: an entity of the type the question asks for that the
    question does not already name; the likeliest label first, then the one nearest the word
    naming what is asked for ("envoy"), then the one nearest the question's words ("Foreign
    Minister Abbas Araghchi" for "Who is the foreign minister?"), then the earliest (offsets
    relative to the sentence). None when the question asks what a name it gives is ("Who is
    Ron Dermer?"), or for no type of entity (OTHER): such an entity was the answer to 2 of 21
    of those questions that were answered right ("What did Noem tell Netanyahu?": "Homeland
    Security"; evals/README.md)."""
    q = question_info(question) if isinstance(question, str) else question
    if q.about_name or q.type == "OTHER":
        return None
    wanted = compatible_labels(q.type)
    new = [
        e for e in item.entities
        if e.label in wanted and is_new(e, q) and not names_asked(e, q)
    ]  # fmt: skip
    return min(
        new,
        key=lambda e: (
            wanted.index(e.label), focus_distance(q, item.text, e), distance(q, item.text, e),
            e.start,
        ),
        default=None,
    )  # fmt: skip


def render_evidence(evidence: list[Evidence]) -> str:
    """The numbered sentences block of the prompt, one per line, with outlet and date."""
    lines = []
    for item in evidence:
        origin = ", ".join(x for x in (item.hit.source, item.hit.published) if x)
        text = " ".join(item.text.split())
        lines.append(f"[{item.n}] {text}" + (f" ({origin})" if origin else ""))
    return "\n".join(lines)
