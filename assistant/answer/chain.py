"""The answer chain: question -> retrieval -> ranked evidence -> model -> checked citations.

Every sentence shown as fact is supported by the spans it cites (``SupportChecker``); the rest
is dropped or marked. When nothing survives, the answer quotes the best evidence verbatim;
when retrieval finds nothing relevant, it abstains and cites nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from assistant.answer.evidence import (
    Evidence,
    EvidenceRanker,
    render_evidence,
    short_answer,
)
from assistant.answer.features import holds_focus, question_info
from assistant.answer.llm import ChatModel, Message
from assistant.answer.parse import ANSWER_SCHEMA, ClaimStream
from assistant.answer.prompts import PromptLibrary
from assistant.answer.question import resolve, standalone, validate
from assistant.answer.verify import SupportChecker
from assistant.config import AnswerSettings
from assistant.errors import ModelError, QuestionError
from assistant.index.store import ArticleStore
from assistant.ingest.text import content_words
from assistant.retrieve.hybrid import Filters, HybridRetriever
from assistant.types import Answer, AnswerSentence, Citation, ShortAnswer

ABSTAIN_TEXT = "The articles do not cover this."


@dataclass
class _Draft:
    """An answer sentence with the evidence it cites, before renumbering."""

    text: str
    cited: list[Evidence]
    supported: bool
    support: float


@dataclass
class _Clock:
    started: float = field(default_factory=time.perf_counter)
    marks: dict[str, float] = field(default_factory=dict)

    def mark(self, name: str) -> None:
        self.marks[name] = round(time.perf_counter() - self.started - sum(self.marks.values()), 4)


def final(events: Iterable[Answer]) -> Answer:
    """The last (final) answer of a stream."""
    answers = list(events)
    last = answers[-1] if answers else None
    if last is None or last.partial:
        raise AssertionError("the answer stream ended without a final answer")
    return last


class AnswerChain:
    """Answers questions about the indexed articles with verified citations."""

    def __init__(
        self,
        settings: AnswerSettings,
        retriever: HybridRetriever,
        ranker: EvidenceRanker,
        checker: SupportChecker,
        model: ChatModel | None,
        prompts: PromptLibrary,
        provider: str,
    ) -> None:
        self.settings = settings
        self.retriever = retriever
        self.ranker = ranker
        self.checker = checker
        self.model = model
        self.prompts = prompts
        self.provider = provider

    @property
    def store(self) -> ArticleStore:
        return self.retriever.index.store

    def close(self) -> None:
        if self.model is not None:
            self.model.close()
        self.retriever.index.close()

    def answer(
        self,
        question: str,
        history: list[Message] | None = None,
        filters: Filters | None = None,
        k: int | None = None,
    ) -> Answer:
        """The final checked answer, without streaming."""
        return final(self.stream(question, history, filters, k))

    def stream(
        self,
        question: str,
        history: list[Message] | None = None,
        filters: Filters | None = None,
        k: int | None = None,
    ) -> Iterator[Answer]:
        """Yield checked answers only: the quoted evidence as soon as it is ranked, then (with a
        model) the answer again each time a generated sentence passes the checker; the last
        one has ``partial`` False. Nothing unchecked is ever yielded.

        ``k`` overrides how many chunks are retrieved (``answer.retrieve_k``)."""
        clock = _Clock()
        asked = validate(question, self.settings.max_question_chars)
        if self.retriever.index.vectors.count() == 0:
            raise QuestionError("the index is empty; run `python -m assistant ingest` first")
        rewriter = self.model if self.settings.condense == "model" else None
        query = standalone(asked, history or [], rewriter, self.prompts)
        clock.mark("condense")
        hits = self.retriever.search(query, k=k or self.settings.retrieve_k, filters=filters)
        clock.mark("retrieve")
        # A follow-up is ranked as itself, pronouns resolved, and as the standalone question.
        queries = [asked] if query == asked else [resolve(asked, history or []), query]
        evidence = self.ranker.rank(queries, hits, self.settings.evidence_sentences)
        clock.mark("rank")
        if not self.ranker.answerable(evidence):
            yield self._abstain(asked, query, clock)
            return
        quote = [
            _Draft(" ".join(e.text.split()), [e], True, 1.0)
            for e in self.ranker.quoted(evidence, asked)
        ]
        if self.model is None:
            yield self._finish(asked, query, quote, True, clock)
            return
        yield self._finish(asked, query, quote, True, clock, partial=True)
        shown: list[_Draft] = []
        notice = None
        try:
            for draft in self._generate(asked, evidence, clock):
                if draft.supported or self.settings.unsupported == "mark":
                    shown.append(draft)
                    if any(d.supported for d in shown):
                        yield self._finish(asked, query, shown, False, clock, partial=True)
        except ModelError as exc:
            # The question keeps its checked quote; the notice says why there is no model text.
            notice = f"The answer model failed ({exc}); this answer quotes the sources."
        clock.mark("verify")
        if not any(d.supported for d in shown):
            shown = quote
        answer = self._finish(asked, query, shown, shown is quote, clock)
        yield answer.model_copy(update={"notice": notice})

    def _generate(self, question: str, evidence: list[Evidence], clock: _Clock) -> Iterator[_Draft]:
        """Stream the model's reply and yield each sentence, checked, once it is complete."""
        assert self.model is not None
        messages: list[Message] = [
            {"role": "system", "content": self.prompts.render("answer_system")},
            {
                "role": "user",
                "content": self.prompts.render(
                    "answer_user", evidence=render_evidence(evidence), question=question
                ),
            },
        ]
        claims = ClaimStream()
        first = True
        for piece in self.model.stream(messages, schema=ANSWER_SCHEMA):
            if first:
                clock.mark("first_token")
                first = False
            yield from self._check(claims.feed(piece), evidence, question)
        clock.mark("generate")
        yield from self._check(claims.close(), evidence, question)

    def _check(
        self, claims: list[tuple[str, list[int]]], evidence: list[Evidence], question: str
    ) -> list[_Draft]:
        by_number = {e.n: e for e in evidence}
        asked = content_words(question)
        # A sentence must rest on evidence that matches the question about as well as the best.
        relevant = evidence[0].relevance - self.ranker.settings.cite_margin
        drafts = []
        for text, numbers in claims:
            if not content_words(text) - asked:
                continue  # restates the question: supported, perhaps, but no answer
            cited = [by_number[n] for n in dict.fromkeys(numbers) if n in by_number]
            if not cited:
                # An uncited sentence may still be backed by one of the passages: cite the best.
                cited = [max(evidence, key=lambda e: self.checker.check(text, [e.text]).score)]
            support = self.checker.check(text, [e.text for e in cited])
            on_topic = any(e.relevance >= relevant for e in cited)
            supported = self.checker.supported(support) and on_topic
            drafts.append(_Draft(text, cited, supported, support.score))
        return drafts

    def _abstain(self, question: str, query: str, clock: _Clock) -> Answer:
        clock.mark("abstain")
        return Answer(
            question=question, standalone_question=query, text=ABSTAIN_TEXT, sentences=[],
            citations=[], abstained=True, provider=self.provider, model=self._model_name(),
            timings=clock.marks,
        )  # fmt: skip

    def _finish(
        self, question: str, query: str, drafts: list[_Draft], fallback: bool, clock: _Clock,
        partial: bool = False,
    ) -> Answer:  # fmt: skip
        numbers: dict[tuple[str, int], int] = {}
        citations: list[Citation] = []
        sentences: list[AnswerSentence] = []
        for draft in drafts:
            marks = []
            for item in draft.cited:
                key = (item.hit.article_id, item.start)
                if key not in numbers:
                    numbers[key] = len(numbers) + 1
                    citations.append(self._citation(numbers[key], item))
                marks.append(numbers[key])
            sentences.append(
                AnswerSentence(
                    text=draft.text,
                    citations=marks,
                    supported=draft.supported,
                    support=draft.support,
                )
            )
        text = " ".join(
            s.text
            + "".join(f"[{n}]" for n in s.citations)
            + ("" if s.supported else " (unsupported)")
            for s in sentences
        )
        if not partial:
            clock.mark("finish")
        return Answer(
            question=question, standalone_question=query, text=text, sentences=sentences,
            citations=citations, abstained=False, fallback=fallback, provider=self.provider,
            model=self._model_name(), timings=dict(clock.marks), partial=partial,
            short_answer=self._short(question, drafts, numbers),
        )  # fmt: skip

    @staticmethod
    def _short(
        question: str, drafts: list[_Draft], numbers: dict[tuple[str, int], int]
    ) -> ShortAnswer | None:
        """The answer phrase from the first supported sentence's first citation, when that
        sentence states it too; from the first such sentence that holds the question's focus
        word when the first does not ("Karoline Leavitt" of "White House spokesperson Karoline
        Leavitt", the second sentence, for "Who is the White House spokesperson?")."""
        q = question_info(question)
        found = []  # (citation, its entity or None), one per supported sentence
        for draft in (d for d in drafts if d.supported):
            item = draft.cited[0]
            entity = short_answer(q, item)
            found.append(
                (item, entity if entity is not None and entity.text in draft.text else None)
            )
        if not found:
            return None
        focused = [f for f in found if f[1] is not None and holds_focus(q, f[0].text)]
        item, entity = found[0] if holds_focus(q, found[0][0].text) or not focused else focused[0]
        if entity is None:
            return None
        return ShortAnswer(
            text=entity.text, n=numbers[(item.hit.article_id, item.start)],
            start=item.start + entity.start, end=item.start + entity.end,
        )  # fmt: skip

    def _citation(self, n: int, item: Evidence) -> Citation:
        article = self.store.get(item.hit.article_id)
        assert article is not None, "evidence comes from served articles"
        return Citation(
            n=n, article_id=article.id, title=article.meta.title, source=article.meta.source,
            published=article.meta.published, url=article.meta.url, start=item.start,
            end=item.end, quote=article.text[item.start : item.end],
        )  # fmt: skip

    def _model_name(self) -> str:
        return self.model.name if self.model is not None else "none"
