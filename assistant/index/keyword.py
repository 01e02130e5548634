"""BM25 keyword index (``bm25s``) over served chunks, persisted beside the article store.

Each saved index is tagged with the store's generation; a stale or half-written one is never
used, it is rebuilt from the store, so BM25 and the store cannot drift apart.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.index.store import ArticleStore
from assistant.index.vectors import published_number

MANIFEST = "manifest.json"


def _tokenize(texts: list[str]) -> list[list[str]]:
    import bm25s
    import Stemmer

    tokens: list[list[str]] = bm25s.tokenize(
        texts,
        stopwords="en",
        stemmer=Stemmer.Stemmer("english").stemWords,
        return_ids=False,
        show_progress=False,
    )
    return tokens


@dataclass
class KeywordIndex:
    """A BM25 retriever plus, per document, its chunk id, outlet and date for filtering."""

    generation: int
    ids: list[str]
    sources: list[str | None]
    published: list[int | None]
    retriever: Any

    @classmethod
    def build(cls, store: ArticleStore) -> KeywordIndex:
        """Index every served chunk of ``store``."""
        import bm25s

        generation = store.generation()
        rows = list(store.ready_chunks())
        retriever = None
        if rows:
            retriever = bm25s.BM25()
            retriever.index(_tokenize([r[4] for r in rows]), show_progress=False)
        return cls(
            generation=generation,
            ids=[r[0] for r in rows],
            sources=[r[2].casefold() if r[2] else None for r in rows],
            published=[published_number(r[3]) for r in rows],
            retriever=retriever,
        )

    def save(self, directory: Path) -> None:
        """Write under ``directory/<generation>``; the manifest, written last, marks it complete."""
        target = directory / str(self.generation)
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        if self.retriever is not None:
            self.retriever.save(str(target), show_progress=False)
        manifest = {"ids": self.ids, "sources": self.sources, "published": self.published}
        (target / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
        for old in directory.iterdir():
            if old.name != target.name:
                shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path, generation: int) -> KeywordIndex | None:
        """The saved index for ``generation``, or None if there is none (or it is incomplete)."""
        import bm25s

        target = directory / str(generation)
        manifest_path = target / MANIFEST
        if not manifest_path.exists():
            return None
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        retriever = None
        if manifest["ids"]:
            retriever = bm25s.BM25.load(str(target), show_progress=False)
        return cls(
            generation, manifest["ids"], manifest["sources"], manifest["published"], retriever
        )

    @classmethod
    def open(cls, directory: Path, store: ArticleStore) -> KeywordIndex:
        """The up-to-date index: loaded when current, else rebuilt and saved."""
        loaded = cls.load(directory, store.generation())
        if loaded is not None:
            return loaded
        built = cls.build(store)
        built.save(directory)
        return built

    def mask(
        self, sources: Sequence[str] | None, since: int | None, until: int | None
    ) -> np.ndarray | None:
        """1 for documents that pass the filters, 0 otherwise; None when nothing is filtered."""
        if not sources and since is None and until is None:
            return None
        wanted = {s.casefold() for s in sources or ()}
        keep = np.ones(len(self.ids), dtype=np.float32)
        for i, (source, day) in enumerate(zip(self.sources, self.published, strict=True)):
            if (
                (wanted and source not in wanted)
                or ((since is not None or until is not None) and day is None)
                or (since is not None and day is not None and day < since)
                or (until is not None and day is not None and day > until)
            ):
                keep[i] = 0
        return keep

    def query(self, text: str, k: int, mask: np.ndarray | None = None) -> list[tuple[str, float]]:
        """``(chunk_id, bm25 score)`` of up to ``k`` matching chunks, best first."""
        if self.retriever is None or not text.strip():
            return []
        k = min(k, len(self.ids))
        docs, scores = self.retriever.retrieve(
            _tokenize([text]), k=k, show_progress=False, weight_mask=mask
        )
        return [
            (self.ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0
        ]
