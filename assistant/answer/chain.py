"""The answer chain: question -> retrieval -> ranked evidence -> model -> checked citations.

Every sentence shown as fact is supported by the spans it cites (``SupportChecker``); the rest
is dropped or marked. When nothing survives, the answer quotes the best evidence verbatim;
when retrieval finds nothing relevant, it abstains and cites nothing.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field

from assistant.answer.evidence import Evidence, covers, rank_evidence, render_evidence
from assistant.answer.llm import ChatModel, Message, build_model
from assistant.answer.parse import ANSWER_SCHEMA, StructuredStream, parse_marked, parse_structured
from assistant.answer.prompts import PromptLibrary
from assistant.answer.question import standalone, validate
from assistant.answer.verify import SupportChecker, content_words
from assistant.config import AnswerSettings, Settings
from assistant.errors import QuestionError
from assistant.index.embedding import build_embedder
from assistant.index.indexer import Index
from assistant.index.store import ArticleStore
from assistant.retrieve.hybrid import Filters, HybridRetriever
from assistant.types import Answer, AnswerSentence, Citation

ABSTAIN_TEXT = "The articles do not cover this."
RELEVANCE_MARGIN = 0.15


@dataclass
class Delta:
    """A piece of streamed answer text (before checking)."""

    text: str


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


class AnswerChain:
    """Answers questions about the indexed articles with verified citations."""

    def __init__(
        self,
        settings: AnswerSettings,
        retriever: HybridRetriever,
        checker: SupportChecker,
        model: ChatModel | None,
        prompts: PromptLibrary,
        provider: str,
    ) -> None:
        self.settings = settings
        self.retriever = retriever
        self.checker = checker
        self.model = model
        self.prompts = prompts
        self.provider = provider

    @property
    def store(self) -> ArticleStore:
        return self.retriever.index.store

    def close(self) -> None:
        self.retriever.index.close()

    def answer(
        self,
        question: str,
        history: list[Message] | None = None,
        filters: Filters | None = None,
        k: int | None = None,
    ) -> Answer:
        """The checked answer, without streaming."""
        for event in self.stream(question, history, filters, k):
            if isinstance(event, Answer):
                return event
        raise AssertionError("the answer stream ended without an answer")

    def stream(
        self,
        question: str,
        history: list[Message] | None = None,
        filters: Filters | None = None,
        k: int | None = None,
    ) -> Iterator[Delta | Answer]:
        """Yield the model's text as it is generated, then the checked ``Answer``.

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
        queries = [asked] if query == asked else [asked, query]
        evidence = rank_evidence(
            queries, hits, self.retriever.embedder, self.settings.evidence_sentences
        )
        clock.mark("rank")
        if not covers(
            asked, evidence, self.settings.abstain_threshold, self.settings.multipart_coverage
        ):
            yield self._abstain(asked, query, clock)
            return
        drafts: list[_Draft] = []
        if self.model is not None:
            raw = yield from self._generate(asked, evidence, clock)
            drafts = self._check(self._claims(raw), evidence, asked)
            clock.mark("verify")
        shown = [d for d in drafts if d.supported or self.settings.unsupported == "mark"]
        fallback = self.model is not None and not any(d.supported for d in drafts)
        if not any(d.supported for d in drafts):
            shown = self._quote(evidence)
            if self.model is None:  # nothing was generated: stream the quote itself
                for draft in shown:
                    yield Delta(draft.text + " ")
        yield self._finish(asked, query, shown, fallback, clock)

    def _generate(
        self, question: str, evidence: list[Evidence], clock: _Clock
    ) -> Generator[Delta, None, str]:
        """Stream the model's reply; returns the whole raw text (via StopIteration)."""
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
        structured = StructuredStream()
        pieces: list[str] = []
        first = True
        for piece in self.model.stream(messages, schema=ANSWER_SCHEMA):
            if first:
                clock.mark("first_token")
                first = False
            pieces.append(piece)
            visible = structured.feed(piece)
            if visible:
                yield Delta(visible)
        clock.mark("generate")
        return "".join(pieces)

    @staticmethod
    def _claims(raw: str) -> list[tuple[str, list[int]]]:
        stripped = raw.strip()
        return parse_structured(stripped) if stripped.startswith("{") else parse_marked(stripped)

    def _check(
        self, claims: list[tuple[str, list[int]]], evidence: list[Evidence], question: str
    ) -> list[_Draft]:
        by_number = {e.n: e for e in evidence}
        asked = content_words(question)
        # A sentence must rest on evidence that matches the question about as well as the best.
        relevant = evidence[0].relevance - RELEVANCE_MARGIN
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

    def _quote(self, evidence: list[Evidence]) -> list[_Draft]:
        """The extractive answer: the best sentence, and the next if it is nearly as relevant."""
        best = evidence[0]
        chosen = [best] + [e for e in evidence[1:2] if e.relevance >= best.relevance - 0.05]
        return [_Draft(" ".join(e.text.split()), [e], True, 1.0) for e in chosen]

    def _abstain(self, question: str, query: str, clock: _Clock) -> Answer:
        clock.mark("total")
        return Answer(
            question=question, standalone_question=query, text=ABSTAIN_TEXT, sentences=[],
            citations=[], abstained=True, provider=self.provider, model=self._model_name(),
            timings=clock.marks,
        )  # fmt: skip

    def _finish(
        self, question: str, query: str, drafts: list[_Draft], fallback: bool, clock: _Clock
    ) -> Answer:
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
        clock.mark("finish")
        return Answer(
            question=question, standalone_question=query, text=text, sentences=sentences,
            citations=citations, abstained=False, fallback=fallback, provider=self.provider,
            model=self._model_name(), timings=clock.marks,
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


def open_chain(settings: Settings) -> AnswerChain:
    """Everything an answer needs, built from settings; close with ``chain.close()``."""
    embedder = build_embedder(settings.embedding)
    index = Index.open(settings, embedder)
    return AnswerChain(
        settings.answer,
        HybridRetriever(settings.retrieval, embedder, index),
        SupportChecker(embedder, settings.answer.support_threshold),
        build_model(settings.llm),
        PromptLibrary(settings.answer.prompts_dir),
        settings.llm.provider,
    )
