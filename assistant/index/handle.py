"""The open index of one data directory: article store, Chroma, BM25 folder, sentence cache.

Kept apart from the ingest (``indexer.py``) so that searching and answering load nothing of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.config import Settings
from assistant.index.embedding import Embedder, index_signature, scoring_embedder
from assistant.index.lock import WriterLock, writer_lock
from assistant.index.sentences import SentenceCache
from assistant.index.store import ArticleStore
from assistant.index.vectors import VectorIndex


@dataclass
class Index:
    """The open article store, vector index and BM25 location for one data directory, and
    the ``scorer`` that embeds sentences for the evidence model (``scoring_embedder``)."""

    store: ArticleStore
    vectors: VectorIndex
    bm25_dir: Path
    sentences: SentenceCache
    scorer: Embedder
    lock: WriterLock | None = None

    @classmethod
    def open(
        cls,
        settings: Settings,
        embedder: Embedder,
        reindex: bool = False,
        writer: str | None = None,
        wait: bool = False,
    ) -> Index:
        """Open the index; a ``writer`` (``ingest``, ``serve``) first takes the data directory's
        writer lock (embedded Chroma only; ``wait`` blocks until it is free) until ``close``."""
        data = settings.data_dir
        lock = writer_lock(settings, writer, wait) if writer else None
        try:
            store = ArticleStore(data / "articles.sqlite3")
            sig = index_signature(embedder, settings.embedding.provider)
            vectors = VectorIndex(settings.chroma, data, sig, reindex=reindex)
            scorer = scoring_embedder(settings.embedding, embedder)
            sentences = SentenceCache(
                data / "sentences.sqlite3", scorer, index_signature(scorer, "onnx")
            )
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        return cls(store, vectors, data / "bm25", sentences, scorer, lock)

    def close(self) -> None:
        self.store.close()
        self.sentences.close()
        if self.lock is not None:
            self.lock.release()
