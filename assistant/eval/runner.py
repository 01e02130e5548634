"""Run the real answer chain over question rows and score every answer.

Each config gets its own index (``settings.data_dir``), built here with the real indexer.
Retrieval is scored by repeating the chain's own search for the question it searched with.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from assistant.answer.chain import AnswerChain
from assistant.answer.llm import Message
from assistant.app import open_chain, run_ingest
from assistant.config import Settings
from assistant.errors import QuestionError
from assistant.eval.questions import EvalDataError, GoldEvidence, QuestionRow
from assistant.eval.results import QuestionResult
from assistant.eval.scoring import Gold, score
from assistant.index.indexer import IngestReport
from assistant.index.store import ArticleStore
from assistant.retrieve.hybrid import Filters
from assistant.types import Answer, Article

TOP_K = 10


def build_index(settings: Settings, corpus: Sequence[Path], progress: bool) -> IngestReport:
    """Ingest ``corpus`` into ``settings.data_dir`` (incremental: reruns reuse it)."""
    for path in corpus:
        if not path.exists():
            raise EvalDataError(f"corpus path {path} does not exist; check --corpus or --path")
    return run_ingest(settings, corpus, progress=progress)


def _matches(article: Article, ref: str) -> bool:
    return ref in (article.id, article.key, article.meta.url) or (
        article.origin == ref or article.origin.endswith("/" + ref.lstrip("./"))
    )


def resolve_gold(store: ArticleStore, rows: Sequence[QuestionRow]) -> dict[str, list[Gold]]:
    """Each row's evidence as quotes in stored articles; a quote not found is an error."""
    articles = store.articles()
    out: dict[str, list[Gold]] = {}
    for row in rows:
        out[row.id] = [_resolve(row.id, ev, articles) for ev in row.evidence]
    return out


def _resolve(row_id: str, ev: GoldEvidence, articles: list[Article]) -> Gold:
    if ev.article is None:
        assert ev.quote is not None
        return Gold(None, ev.quote)
    for article in articles:
        if not _matches(article, ev.article):
            continue
        quote = ev.quote if ev.quote is not None else article.text[ev.start : ev.end]
        if quote in article.text:
            return Gold(article.id, quote)
        raise EvalDataError(
            f"{row_id}: the evidence quote {quote[:60]!r} is not in {ev.article}; "
            "copy it verbatim from the article"
        )
    raise EvalDataError(f"{row_id}: no ingested article matches {ev.article!r}; check the corpus")


@dataclass
class ConfigRun:
    """The per-question results of one config, with what identifies it."""

    label: str
    provider: str
    model: str
    results: list[QuestionResult]


def run_config(
    label: str, settings: Settings, rows: Sequence[QuestionRow], progress: bool
) -> ConfigRun:
    """Answer every row with the chain of ``settings`` and score it."""
    chain = open_chain(settings)
    try:
        gold = resolve_gold(chain.store, rows)
        _timed(chain, rows[0])  # warm-up: loading the model is not a question's latency
        results = []
        for row in tqdm(rows, desc=label, unit="q", disable=not progress):
            answer, ttft, seconds = _timed(chain, row)
            hits = chain.retriever.search(answer.standalone_question, TOP_K, _filters(row))
            result = score(row, answer, hits, gold[row.id], chain)
            results.append(
                result.model_copy(update={"config": label, "seconds": seconds, "ttft": ttft})
            )
        model = chain.model.name if chain.model is not None else "none"
    finally:
        chain.close()
    return ConfigRun(label, settings.llm.provider, model, results)


def _filters(row: QuestionRow) -> Filters | None:
    return Filters(sources=(row.source,)) if row.source else None


def _timed(chain: AnswerChain, row: QuestionRow) -> tuple[Answer, float, float]:
    """The final answer, seconds to the first shown (checked) answer, and total seconds."""
    history: list[Message] = [t.model_dump() for t in row.history]
    started = time.perf_counter()
    first: float | None = None
    try:
        for event in chain.stream(row.question, history, _filters(row)):
            first = first if first is not None else time.perf_counter() - started
            if not event.partial:
                return event, first, time.perf_counter() - started
    except QuestionError as exc:  # the chain refused the question: score it as a refusal
        elapsed = time.perf_counter() - started
        return _refusal(row.question, str(exc), chain.provider), elapsed, elapsed
    raise AssertionError("the answer stream ended without an answer")


def _refusal(question: str, reason: str, provider: str) -> Answer:
    return Answer(
        question=question, standalone_question=question, text=f"(refused: {reason})",
        sentences=[], citations=[], abstained=True, provider=provider, model="none",
    )  # fmt: skip
