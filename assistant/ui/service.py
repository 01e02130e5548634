"""What the web page asks of the assistant, run on one worker thread that owns the index.

SQLite connections, the Chroma client and the in-process model are not meant to be shared
between threads, and on a small machine answers are CPU-bound anyway: so every index and model
call runs on a single worker, in arrival order, while the web server's threads only wait.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from assistant.answer.chain import AnswerChain
from assistant.answer.features import question_info
from assistant.answer.llm import Message
from assistant.answer.llm_process import ModelProcess
from assistant.app import Parts, open_parts
from assistant.config import LLMSettings, Settings
from assistant.errors import AssistantError, ConfigError
from assistant.index.failures import storage_errors
from assistant.index.indexer import Indexer, IngestReport
from assistant.index.store import ArticleStore
from assistant.ingest.entities import entities
from assistant.retrieve.hybrid import Filters
from assistant.types import Answer, Article

T = TypeVar("T")
log = logging.getLogger("assistant.serve")
DEFAULT_PROFILE = "default"
EXTRACTIVE_PROFILE = "extractive"
LLAMACPP_PROFILE = "llamacpp"


class AssistantService:
    """Answers, articles and ingest for the web page; safe to call from any thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="assistant-index")
        self._chains: dict[str, AnswerChain] = {}
        self._writing = threading.Lock()  # held by the caller's thread across an ingest's steps
        self.model_problem: str | None = None  # why the default model cannot run, if it cannot
        self._parts = self.call(self._open)
        # Queued behind nothing, ahead of the first question: the spaCy pipelines and the
        # embedder load once here (about a second) instead of inside the first answer.
        self._worker.submit(self._warm_up)

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the worker thread and return its result (or raise its error)."""
        return self._worker.submit(fn).result()

    def close(self) -> None:
        for chain in self._chains.values():
            if chain.model is not None:
                self.call(chain.model.close)
        self.call(self._parts.index.close)
        self._worker.shutdown()

    def _open(self) -> Parts:
        # Held until close: uploads and deletes write, so no other writer may share data_dir.
        return open_parts(self.settings, writer="serve")

    def _warm_up(self) -> None:
        try:
            question_info("Who is the head of the agency?")
            entities(["The agency said on Monday that it would open in Paris."])
            self._parts.embedder.get_text_embedding_batch(["warm up"])
            if self._parts.index.scorer is not self._parts.embedder:  # beside a server
                self._parts.index.scorer.get_text_embedding_batch(["warm up"])
        except AssistantError as exc:  # the first question reports it, with what to do
            log.warning("warm-up failed: %s", exc)

    def check_model(self) -> str | None:
        """Probe the default llama.cpp model once (one token in its child process); if it
        cannot run, the default profile quotes the sources instead. Returns why, or None."""
        if self.settings.llm.provider == "llamacpp":
            self.model_problem = self.call(self._probe_default)
        return self.model_problem

    def _probe_default(self) -> str | None:
        try:
            model = self._chain(DEFAULT_PROFILE).model
            if isinstance(model, ModelProcess):  # an in-process model that loaded is up
                model.probe()
            return None
        except AssistantError as exc:
            reason = str(exc)
        failed = self._chains.pop(DEFAULT_PROFILE, None)
        if failed is not None and failed.model is not None:
            failed.model.close()
        log.error("the answer model cannot run (%s); answers quote the sources instead", reason)
        self._chains[DEFAULT_PROFILE] = self._parts.chain(LLMSettings(provider="extractive"))
        return reason

    # --- answers ---------------------------------------------------------------------

    def profiles(self) -> dict[str, str]:
        """``{name: description}`` of the answer models configured, default first."""
        llm = self.settings.llm
        found = {DEFAULT_PROFILE: _describe(llm)}
        if self.model_problem:
            found[DEFAULT_PROFILE] = "extractive (the answer model cannot run here)"
        found.update({name: _describe(m) for name, m in self.settings.models.items()})
        if llm.provider != "extractive":
            found.setdefault(EXTRACTIVE_PROFILE, "extractive (quotes, no model)")
        if llm.provider != "llamacpp":
            found.setdefault(LLAMACPP_PROFILE, _describe(self._llm(LLAMACPP_PROFILE)))
        return found

    def _llm(self, profile: str) -> LLMSettings:
        if profile == DEFAULT_PROFILE:
            return self.settings.llm
        if profile in self.settings.models:
            return self.settings.models[profile]
        if profile == EXTRACTIVE_PROFILE:
            return LLMSettings(provider="extractive")
        if profile == LLAMACPP_PROFILE:  # llm.model: a GGUF path, or empty for the bundled one
            return self.settings.llm.model_copy(update={"provider": "llamacpp"})
        raise ConfigError(
            f"no answer model named {profile!r}; choose one of {list(self.profiles())}"
        )

    def _chain(self, profile: str) -> AnswerChain:
        if profile not in self._chains:
            self._chains[profile] = self._parts.chain(self._llm(profile))
        return self._chains[profile]

    def stream(
        self,
        question: str,
        history: list[Message],
        filters: Filters,
        k: int | None = None,
        profile: str = DEFAULT_PROFILE,
    ) -> Iterator[Answer]:
        """The answer chain's checked answers, produced on the worker and handed over as they
        come (the last is final)."""
        events: queue.Queue[Answer | BaseException | None] = queue.Queue()

        def produce() -> None:
            try:
                for event in self._chain(profile).stream(question, history, filters, k):
                    events.put(event)
            except BaseException as exc:  # noqa: BLE001 (raised again in the caller's thread)
                events.put(exc)
            events.put(None)

        self._worker.submit(produce)
        while (event := events.get()) is not None:
            if isinstance(event, BaseException):
                raise event
            yield event

    # --- library ---------------------------------------------------------------------

    def articles(self) -> list[Article]:
        with self._reader() as store:
            return store.articles()

    def article(self, article_id: str) -> Article | None:
        with self._reader() as store:
            return store.get(article_id)

    @contextmanager
    def _reader(self) -> Iterator[ArticleStore]:
        """A connection of the caller's own: reads need not wait behind an answer (WAL)."""
        store = ArticleStore(self._parts.index.store.path)
        try:
            yield store
        finally:
            store.close()

    def ingest(self, paths: list[Path], prune: bool = False) -> IngestReport:
        """Add or update the articles in ``paths``; with ``prune``, drop the articles of those
        files that are no longer in them (a replaced upload). Each batch written is a task
        of its own on the worker, so questions asked meanwhile are answered between batches
        (from the articles already ready) instead of waiting for a long upload to finish."""
        with self._writing:  # one ingest or delete at a time; questions need not wait for it
            steps = Indexer(self.settings, self._parts.embedder, self._parts.index).steps(
                paths, prune=prune, progress=False
            )

            def step() -> IngestReport | None:
                with storage_errors("adding the articles"):
                    return next(steps)

            while (report := self.call(step)) is None:
                pass
            return report

    def delete(self, article_id: str) -> Article:
        """Remove one article from the index; returns it (its file is the caller's business)."""

        def remove() -> Article:
            p = self._parts
            article = p.index.store.get(article_id, ready_only=False)
            if article is None:
                raise ConfigError(f"no article {article_id!r}; it may have been deleted already")
            with storage_errors("deleting the article"):
                Indexer(self.settings, p.embedder, p.index).remove([article_id])
            return article

        with self._writing:
            return self.call(remove)


def _describe(llm: LLMSettings) -> str:
    match llm.provider:
        case "llamacpp":
            return f"llamacpp ({Path(llm.model).name if llm.model else 'bundled SmolLM2-135M'})"
        case "openai":
            return f"openai ({llm.model} at {llm.base_url or 'api.openai.com'})"
        case "extractive":
            return "extractive (quotes, no model)"
