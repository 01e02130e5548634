"""The one place the app is wired: settings -> embedder -> index -> retriever -> chain.

The CLI, the web service, the eval, the benchmarks and the tests all build their parts here,
so a change to the wiring is made once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from assistant.answer.chain import AnswerChain
from assistant.answer.evidence import EvidenceRanker
from assistant.answer.llm import ChatModel, build_model
from assistant.answer.prompts import PromptLibrary
from assistant.answer.verify import SupportChecker
from assistant.config import LLMSettings, Settings
from assistant.errors import ConfigError
from assistant.index.embedding import Embedder, build_embedder
from assistant.index.failures import storage_errors
from assistant.index.handle import Index
from assistant.index.indexer import Indexer, IngestReport
from assistant.retrieve.hybrid import Filters, HybridRetriever
from assistant.types import Hit


@dataclass
class Parts:
    """What every chain over one index shares: embedder, index, retriever, ranker, checker."""

    settings: Settings
    embedder: Embedder
    index: Index
    retriever: HybridRetriever
    ranker: EvidenceRanker
    checker: SupportChecker
    prompts: PromptLibrary

    @classmethod
    def of(cls, settings: Settings, embedder: Embedder, index: Index) -> Parts:
        """The parts over an index that is already open."""
        return cls(
            settings, embedder, index, HybridRetriever(settings.retrieval, embedder, index),
            EvidenceRanker(settings.evidence, index.scorer, index.sentences),
            SupportChecker(
                index.scorer, settings.answer.support_threshold,
                settings.answer.support_coverage_weight, settings.answer.missing_anchor_factor,
            ),
            PromptLibrary(settings.answer.prompts_dir),
        )  # fmt: skip

    def chain(self, llm: LLMSettings | None = None) -> AnswerChain:
        """A chain with the model of ``llm`` (default: ``settings.llm``)."""
        llm = llm or self.settings.llm
        return self.chain_for(build_model(llm), llm.provider)

    def chain_for(self, model: ChatModel | None, provider: str) -> AnswerChain:
        """A chain with a model built elsewhere (a test's scripted model, say)."""
        return AnswerChain(
            self.settings.answer, self.retriever, self.ranker, self.checker, model,
            self.prompts, provider,
        )  # fmt: skip

    def close(self) -> None:
        self.index.close()


def open_parts(
    settings: Settings, embedder: Embedder | None = None, writer: str | None = None
) -> Parts:
    """Open the index of ``settings`` with everything answering needs; close with ``close()``.

    A ``writer`` (e.g. "serve") holds the data directory's writer lock until then."""
    embedder = embedder or build_embedder(settings.embedding)
    return Parts.of(settings, embedder, Index.open(settings, embedder, writer=writer))


def open_chain(settings: Settings) -> AnswerChain:
    """A chain over the index of ``settings``; ``chain.close()`` closes model and index."""
    return open_parts(settings).chain()


def run_search(settings: Settings, query: str, k: int | None, filters: Filters) -> list[Hit]:
    """The hybrid search's hits for ``query`` over the index of ``settings``, which it opens
    and closes again; an empty index is an error that says to ingest first."""
    embedder = build_embedder(settings.embedding)
    index = Index.open(settings, embedder)
    try:
        if index.vectors.count() == 0:
            raise ConfigError("the index is empty; run `python -m assistant ingest` first")
        return HybridRetriever(settings.retrieval, embedder, index).search(query, k, filters)
    finally:
        index.close()


def with_provider(settings: Settings, provider: str | None) -> Settings:
    """``settings`` with ``llm.provider`` replaced (validated again), or as they are."""
    if not provider:
        return settings
    try:
        llm = LLMSettings.model_validate(settings.llm.model_dump() | {"provider": provider})
    except ValidationError as exc:
        reason = "; ".join(e["msg"] for e in exc.errors())
        raise ConfigError(f"--provider {provider}: {reason}; set it in the --config file") from exc
    return settings.model_copy(update={"llm": llm})


def run_ingest(
    settings: Settings,
    paths: Sequence[Path],
    embedder: Embedder | None = None,
    prune: bool = False,
    reindex: bool = False,
    progress: bool = False,
    writer: str | None = None,
    wait: bool = False,
) -> IngestReport:
    """Ingest ``paths`` into the index of ``settings`` (incremental) and close it again; a
    ``writer`` holds the data directory's writer lock meanwhile (``wait``: until it is free)."""
    embedder = embedder or build_embedder(settings.embedding)
    index = Index.open(settings, embedder, reindex=reindex, writer=writer, wait=wait)
    try:
        with storage_errors("ingest"):
            return ingest_into(settings, embedder, index, paths, prune, reindex, progress)
    finally:
        index.close()


def ingest_into(
    settings: Settings,
    embedder: Embedder,
    index: Index,
    paths: Sequence[Path],
    prune: bool = False,
    reindex: bool = False,
    progress: bool = False,
) -> IngestReport:
    """Ingest ``paths`` into an index that is already open (and stays open), e.g. ``parts.index``
    of ``open_parts`` when the same index is then searched."""
    return Indexer(settings, embedder, index).run(
        list(paths), prune=prune, reindex=reindex, progress=progress
    )
