"""BM25 keyword index over served chunks, kept in step with the article store incrementally.

Each saved index is tagged with the store's generation. Opening it compares the chunks it holds
(id and span, which fix the text) with the chunks the store serves, and only tokenizes what is
new: one upload into a large corpus costs that upload, not a rebuild. A half-written save is
never read (the manifest is written last, and a folder appears by an atomic rename).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from scipy import sparse

from assistant.index.bm25 import Bm25, tokenize
from assistant.index.store import ArticleStore
from assistant.index.vectors import published_number

MANIFEST = "manifest.json"
ARRAYS = "counts.npz"


@dataclass
class KeywordIndex:
    """BM25 over served chunks plus, per chunk, its id, span, outlet and date for filtering."""

    generation: int
    ids: list[str]
    spans: list[tuple[int, int]]
    sources: list[str | None]
    published: list[int | None]
    bm25: Bm25

    @classmethod
    def empty(cls) -> KeywordIndex:
        return cls(-1, [], [], [], [], Bm25.empty())

    @classmethod
    def build(cls, store: ArticleStore) -> KeywordIndex:
        """Index every served chunk of ``store``."""
        return cls.empty().synced(store)

    def synced(self, store: ArticleStore) -> KeywordIndex:
        """This index brought in line with ``store``: gone chunks dropped, new ones added."""
        generation = store.generation()
        served = store.ready_spans()
        pairs = enumerate(zip(self.ids, self.spans, strict=True))
        keep = [i for i, (cid, span) in pairs if served.get(cid) == span]
        base = self._subset(keep)
        held = set(base.ids)
        rows = store.chunk_texts(cid for cid in served if cid not in held)
        return base._plus(generation, rows)

    def _subset(self, keep: Sequence[int]) -> KeywordIndex:
        if len(keep) == len(self.ids):
            return self
        return KeywordIndex(
            self.generation,
            [self.ids[i] for i in keep],
            [self.spans[i] for i in keep],
            [self.sources[i] for i in keep],
            [self.published[i] for i in keep],
            self.bm25.kept(np.array(keep, np.int64)),
        )

    def _plus(
        self, generation: int, rows: Sequence[tuple[str, int, int, str | None, str | None, str]]
    ) -> KeywordIndex:
        bm25 = self.bm25.added(tokenize([r[5] for r in rows])) if rows else self.bm25
        return KeywordIndex(
            generation,
            self.ids + [r[0] for r in rows],
            self.spans + [(r[1], r[2]) for r in rows],
            self.sources + [r[3].casefold() if r[3] else None for r in rows],
            self.published + [published_number(r[4]) for r in rows],
            bm25,
        )

    def save(self, directory: Path) -> None:
        """Write ``directory/<generation>`` through a temporary folder; drop older generations."""
        target = directory / str(self.generation)
        if (target / ARRAYS).exists() and (target / MANIFEST).exists():
            return  # another process saved this generation already
        shutil.rmtree(target, ignore_errors=True)  # an earlier version's format
        scratch = directory / f".tmp-{os.getpid()}-{self.generation}"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        counts = self.bm25.counts
        np.savez(
            scratch / ARRAYS,
            data=counts.data,
            indices=counts.indices,
            indptr=counts.indptr,
            shape=np.array(counts.shape),
            lengths=self.bm25.lengths,
        )
        manifest = {
            "generation": self.generation,
            "ids": self.ids,
            "spans": self.spans,
            "sources": self.sources,
            "published": self.published,
            "vocab": list(self.bm25.vocab),
        }
        (scratch / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
        try:
            scratch.rename(target)
        except OSError:  # lost a race with another process saving the same generation
            shutil.rmtree(scratch, ignore_errors=True)
        for old in directory.iterdir():
            if old.name.isdigit() and int(old.name) < self.generation:
                shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load_latest(cls, directory: Path) -> KeywordIndex | None:
        """The newest complete saved index, or None when there is none."""
        saved = sorted((int(p.name) for p in directory.glob("*") if p.name.isdigit()), reverse=True)
        for generation in saved:
            try:
                return cls._load(directory / str(generation))
            except (OSError, ValueError, KeyError):
                continue  # incomplete, or removed by a newer save while we read it
        return None

    @classmethod
    def _load(cls, folder: Path) -> KeywordIndex:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        with np.load(folder / ARRAYS) as arrays:
            counts = sparse.csc_matrix(
                (arrays["data"], arrays["indices"], arrays["indptr"]),
                shape=tuple(arrays["shape"]),
            )
            lengths = arrays["lengths"]
        vocab = {term: i for i, term in enumerate(manifest["vocab"])}
        return cls(
            manifest["generation"],
            manifest["ids"],
            [tuple(s) for s in manifest["spans"]],
            manifest["sources"],
            manifest["published"],
            Bm25(vocab, counts, lengths),
        )

    @classmethod
    def open(
        cls, directory: Path, store: ArticleStore, current: KeywordIndex | None = None
    ) -> KeywordIndex:
        """The up-to-date index, starting from ``current`` or the newest save; saved when changed."""
        base = current or cls.load_latest(directory) or cls.empty()
        if base.generation == store.generation():
            return base
        updated = base.synced(store)
        updated.save(directory)
        return updated

    @cached_property
    def _filter_columns(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Outlets (distinct), each chunk's outlet code and day (NaN when undated), for masks."""
        outlets, codes = np.unique(np.array([s or "" for s in self.sources]), return_inverse=True)
        days = np.array([np.nan if d is None else d for d in self.published], dtype=np.float64)
        return [str(o) for o in outlets], codes, days

    def mask(
        self, sources: Sequence[str] | None, since: int | None, until: int | None
    ) -> np.ndarray | None:
        """1 for documents that pass the filters, 0 otherwise; None when nothing is filtered."""
        if not sources and since is None and until is None:
            return None
        outlets, codes, days = self._filter_columns
        keep = np.ones(len(self.ids), dtype=bool)
        if sources:
            wanted = {s.casefold() for s in sources}
            keep &= np.isin(codes, [i for i, o in enumerate(outlets) if o and o in wanted])
        if since is not None or until is not None:
            keep &= ~np.isnan(days)  # an undated chunk cannot be shown to be in the range
        if since is not None:
            keep &= days >= since
        if until is not None:
            keep &= days <= until
        return keep.astype(np.float32)

    def query(self, text: str, k: int, mask: np.ndarray | None = None) -> list[tuple[str, float]]:
        """``(chunk_id, bm25 score)`` of up to ``k`` matching chunks, best first."""
        if not self.ids or not text.strip() or k <= 0:
            return []
        scores = self.bm25.scores(tokenize([text])[0])
        if mask is not None:
            scores *= mask
        k = min(k, len(self.ids))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]
