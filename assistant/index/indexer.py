"""Ingest orchestration: load files, chunk, embed, and write store + Chroma + BM25 crash-safely.

Order of writes for every batch of articles: chunks land in the store as ``pending``, then
vectors go to Chroma, then the articles turn ``ready``. ``reconcile`` runs first on every
ingest and repairs whatever a killed run left behind, so store and index always agree.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Never

from tqdm import tqdm

from assistant.config import Settings
from assistant.errors import InputFileError
from assistant.index.dedup import DuplicateFinder, signature
from assistant.index.embedding import Embedder
from assistant.index.handle import Index
from assistant.index.keyword import KeywordIndex
from assistant.ingest.chunking import Chunker
from assistant.ingest.loaders import LoadResult, discover, load_file
from assistant.types import Article, Chunk, LoadedArticle


def article_id(key: str) -> str:
    """Stable id of an article: the same url (or file path) always gives the same id."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def content_hash(loaded: LoadedArticle) -> str:
    """Changes whenever the text or any metadata changes."""
    payload = json.dumps([loaded.text, loaded.meta.model_dump()], sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def content_version(digest: str) -> str:
    """The short form of a content hash that chunk ids carry."""
    return digest[:8]


@dataclass
class IngestReport:
    """What one ingest did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    repaired: int = 0
    chunks: int = 0
    seconds: float = 0.0
    problems: list[InputFileError] = field(default_factory=list)
    # (article written, the earlier article it nearly repeats): a correction, or one wire story
    near_duplicates: list[tuple[str, str]] = field(default_factory=list)


class Indexer:
    """Brings the index in line with a set of article files."""

    def __init__(self, settings: Settings, embedder: Embedder, index: Index) -> None:
        self.settings = settings
        self.embedder = embedder
        self.index = index
        self.chunker = Chunker(
            embedder.tokenize,
            settings.chunking.chunk_tokens,
            settings.chunking.overlap_tokens,
            embedder.max_tokens,
        )

    def run(
        self,
        paths: Sequence[Path],
        prune: bool = False,
        reindex: bool = False,
        progress: bool = True,
    ) -> IngestReport:
        """Ingest ``paths`` (files or folders); with ``prune``, drop articles whose files are gone."""
        *_, report = self.steps(paths, prune, reindex, progress)
        assert isinstance(report, IngestReport)  # steps always ends with the report
        return report

    def steps(
        self,
        paths: Sequence[Path],
        prune: bool = False,
        reindex: bool = False,
        progress: bool = True,
    ) -> Iterator[IngestReport | None]:
        """``run`` in steps: None after each batch written (a point where the caller may
        serve questions: only ``ready`` articles are served), then the report."""
        started = time.perf_counter()
        report = IngestReport()
        if reindex:
            self.index.store.mark_all_pending()
        report.repaired = self.reconcile()
        loaded = self._load(paths, report)
        if prune:
            seen = {article_id(a.key) for a in loaded.articles}
            report.removed = self._prune(paths, seen, loaded.failed_files)
        todo, leftovers = self._plan(loaded.articles, report)
        for written in self._write(todo, leftovers, progress, report):
            report.chunks += written
            yield None
        KeywordIndex.open(self.index.bm25_dir, self.index.store)  # adds only what changed
        states = self.index.store.states().items()
        live = {f"{aid}-{content_version(digest)}" for aid, (digest, _) in states}
        self.index.sentences.prune(live)  # sentences of changed or removed articles
        report.seconds = time.perf_counter() - started
        yield report

    def _plan(
        self, articles: list[LoadedArticle], report: IngestReport
    ) -> tuple[list[tuple[LoadedArticle, str, str]], list[str]]:
        """What to (re-)embed: new and changed articles, plus any a killed run left pending."""
        states = self.index.store.states()
        todo: list[tuple[LoadedArticle, str, str]] = []
        for item in articles:
            aid, digest = article_id(item.key), content_hash(item)
            known = states.get(aid)
            if known == (digest, "ready"):
                report.unchanged += 1
                continue
            if known is None:
                report.added += 1
            elif known[0] != digest:
                report.updated += 1
            todo.append((item, aid, digest))
        todo_ids = {aid for _, aid, _ in todo}
        leftovers = [
            aid for aid, (_, state) in states.items() if state == "pending" and aid not in todo_ids
        ]
        return todo, leftovers

    def reconcile(self) -> int:
        """Repair what a killed ingest left: drop vectors the store does not serve; re-queue
        served articles whose vectors are missing. Returns how many records it touched."""
        store, vectors = self.index.store, self.index.vectors
        pending, ready_chunks = store.counts()
        if not pending and vectors.count() == ready_chunks:
            # Every write sequence cut short leaves pending articles (ingest, --reindex) or
            # fewer vectors than served chunks (remove): a clean index passes without listing
            # every vector id (1.5 s at 100k chunks).
            return 0
        in_index = vectors.ids()
        ready = store.chunk_ids("ready")
        orphans = sorted(in_index - store.chunk_ids())
        vectors.delete(orphans)
        missing = ready - in_index
        if missing:
            store.mark({cid.rsplit("-", 2)[0] for cid in missing}, "pending")
        return len(orphans) + len(missing)

    def _load(self, paths: Sequence[Path], report: IngestReport) -> LoadResult:
        files, problems = discover(paths)
        result = LoadResult(problems=problems)
        limit = self.settings.ingest.max_file_bytes
        first_origin: dict[str, str] = {}
        uploads = (self.settings.corpus_dir / self.settings.ui.upload_dir).resolve()
        for path in files:
            # An upload is keyed by its file, never by the url it claims (see loaders).
            own_key = path.resolve().is_relative_to(uploads)
            part = load_file(
                path, self._origin(path), limit, self.settings.ingest, key_by_url=not own_key
            )
            for article in part.articles:
                if article.key in first_origin:
                    result.problems.append(
                        InputFileError(
                            article.origin,
                            f"same url as an article read from {first_origin[article.key]}; "
                            "kept that one",
                        )
                    )
                    continue
                first_origin[article.key] = article.origin
                result.articles.append(article)
            result.problems.extend(part.problems)
            result.failed_files |= part.failed_files
        report.problems = result.problems
        return result

    def _origin(self, path: Path) -> str:
        corpus = self.settings.corpus_dir.resolve()
        resolved = path.resolve()
        if resolved.is_relative_to(corpus):
            return str(Path(self.settings.corpus_dir.name) / resolved.relative_to(corpus))
        return str(resolved)

    def _prune(self, paths: Sequence[Path], seen: set[str], failed: set[str]) -> int:
        roots = [self._origin(p) for p in paths]
        gone = [
            aid
            for aid, origin in self.index.store.origins().items()
            if aid not in seen
            and origin not in failed
            and any(origin == r or origin.startswith(r.rstrip("/") + "/") for r in roots)
        ]
        return self.remove(gone)

    def remove(self, article_ids: Sequence[str]) -> int:
        """Delete articles from the index: vectors first, so a crash leaves no served orphan."""
        store = self.index.store
        self.index.vectors.delete([c.id for aid in article_ids for c in store.chunks_of(aid)])
        store.delete(article_ids)
        KeywordIndex.open(self.index.bm25_dir, store)
        return len(article_ids)

    def _write(
        self,
        todo: list[tuple[LoadedArticle, str, str]],
        leftovers: list[str],
        progress: bool,
        report: IngestReport,
    ) -> Iterator[int]:
        """Stage, embed and publish the articles; yields the chunks written by each step.
        Near-duplicates of earlier articles are noted in ``report``."""
        store = self.index.store
        finder = DuplicateFinder(self.settings.ingest.near_duplicate_threshold, store.minhashes())
        articles_bar = tqdm(
            total=len(todo) + len(leftovers), unit="article", disable=not progress, position=0
        )
        chunks_bar = tqdm(unit="chunk", disable=not progress, position=1)
        batch: list[tuple[Article, list[Chunk]]] = []
        with articles_bar, chunks_bar:
            for article in self._articles(todo, leftovers):
                blob = signature(article.text)
                article.dup_of = finder.find(article.id, blob)
                if article.dup_of:
                    report.near_duplicates.append((article.id, article.dup_of))
                chunks = self.chunker.chunk(
                    article.id, content_version(article.content_hash), article.text
                )
                new_ids = {c.id for c in chunks}
                stale = [c.id for c in store.chunks_of(article.id) if c.id not in new_ids]
                store.stage(article, chunks, blob)
                self.index.vectors.delete(stale)
                finder.add(article.id, article.dup_of, blob)
                batch.append((article, chunks))
                if sum(len(c) for _, c in batch) >= self.settings.ingest.batch_chunks:
                    yield from self._flush(batch, articles_bar, chunks_bar)
                    batch = []
            yield from self._flush(batch, articles_bar, chunks_bar)

    def _articles(
        self, todo: list[tuple[LoadedArticle, str, str]], leftovers: list[str]
    ) -> list[Article]:
        out = [
            Article(
                id=aid,
                key=item.key,
                meta=item.meta,
                text=item.text,
                content_hash=digest,
                origin=item.origin,
            )
            for item, aid, digest in todo
        ]
        for aid in leftovers:
            stored = self.index.store.get(aid, ready_only=False)
            if stored is not None:
                out.append(stored)
        return out

    def _flush(
        self,
        batch: list[tuple[Article, list[Chunk]]],
        articles_bar: tqdm[Never],
        chunks_bar: tqdm[Never],
    ) -> Iterator[int]:
        """Embed and write ``batch``'s chunks, ``ingest.batch_chunks`` a step (one long article
        can have thousands), then mark its articles ready."""
        if not batch:
            return
        chunks = [c for _, cs in batch for c in cs]
        articles = {a.id: a for a, _ in batch}
        size = self.settings.ingest.batch_chunks
        parts = [chunks[lo : lo + size] for lo in range(0, len(chunks), size)]
        for i, part in enumerate(parts):
            vectors = self.embedder.get_text_embedding_batch([c.text for c in part])
            self.index.vectors.upsert(part, articles, vectors)
            if self.settings.evidence.precompute:
                self.index.sentences.add_chunks(part)  # evidence ranking reads these
            chunks_bar.update(len(part))
            if i < len(parts) - 1:
                yield len(part)
        self.index.store.mark(list(articles), "ready")
        articles_bar.update(len(batch))
        yield len(parts[-1])
