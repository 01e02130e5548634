"""BM25 keyword index over served chunks, kept in step with the article store incrementally.

Each saved index is tagged with the store's generation. Opening it compares the chunks it holds
(id and span, which fix the text) with the chunks the store serves, and only tokenizes what is
new: one upload into a large corpus costs that upload, not a rebuild. Saves are written to a
scratch folder, flushed to disk and renamed into place, so a reader never sees half of one;
an unreadable or too-new save is skipped, and the index is rebuilt from the store if need be.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import IO, Any

import numpy as np
from scipy import sparse

from assistant.index.bm25 import Bm25, tokenize
from assistant.index.store import ArticleStore, ChunkText
from assistant.index.vectors import published_number

MANIFEST = "manifest.json"
ARRAYS = "counts.npz"
TOKENIZE_BATCH = 10_000  # chunks tokenized at a time: bounds memory on a first build
SCRATCH_MAX_AGE_S = 3600  # leftovers of a killed save older than this are removed
_UNREADABLE = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile)


@dataclass(eq=False)
class KeywordIndex:
    """BM25 over served chunks plus, per chunk, its id, span, outlet and date for filtering.
    Treated as immutable: every change makes a new index."""

    generation: int
    ids: list[str]
    spans: list[tuple[int, int]]
    sources: list[str | None]
    published: list[int | None]
    bm25: Bm25

    @classmethod
    def empty(cls) -> KeywordIndex:
        """No chunks; older than any store generation."""
        return cls(-1, [], [], [], [], Bm25.empty())

    @classmethod
    def build(cls, store: ArticleStore) -> KeywordIndex:
        """Index every served chunk of ``store``."""
        return cls.empty().synced(store)[0]

    @classmethod
    def open(
        cls,
        directory: Path,
        store: ArticleStore,
        current: KeywordIndex | None = None,
        persist: bool = True,
    ) -> KeywordIndex:
        """The up-to-date index, from ``current`` or the newest usable save; with ``persist``,
        saved when its chunks changed (searches pass False: the ingest that changed the store
        saves, so readers never write)."""
        generation = store.generation()
        base = current or cls.load_latest(directory, generation) or cls.empty()
        if base.generation == generation:
            return base
        updated, changed = base.synced(store)
        if persist and changed:
            updated.save(directory)
        return updated

    def synced(self, store: ArticleStore) -> tuple[KeywordIndex, bool]:
        """This index brought in line with ``store`` (gone chunks dropped, new ones added),
        and whether that changed any chunk."""
        generation = store.generation()  # read first: the data below is at least this new
        served = store.ready_spans()
        pairs = enumerate(zip(self.ids, self.spans, strict=True))
        keep = [i for i, (cid, span) in pairs if served.get(cid) == span]
        held = {self.ids[i] for i in keep}
        new = [cid for cid in served if cid not in held]
        updated = self._subset(keep)
        for first in range(0, len(new), TOKENIZE_BATCH):
            updated = updated._plus(store.chunk_texts(new[first : first + TOKENIZE_BATCH]))
        changed = bool(new) or len(keep) < len(self.ids)
        return replace(updated, generation=generation), changed

    def _subset(self, keep: Sequence[int]) -> KeywordIndex:
        """Only the chunks at positions ``keep``."""
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

    def _plus(self, rows: Sequence[ChunkText]) -> KeywordIndex:
        """These chunks appended, their text tokenized."""
        if not rows:
            return self
        return KeywordIndex(
            self.generation,
            self.ids + [r.id for r in rows],
            self.spans + [(r.start, r.end) for r in rows],
            self.sources + [r.source.casefold() if r.source else None for r in rows],
            self.published + [published_number(r.published) for r in rows],
            self.bm25.added(tokenize([r.text for r in rows])),
        )

    # --- files -----------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        """Write ``directory/<generation>`` (unless a complete one exists); drop older saves."""
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / str(self.generation)
        if not _complete(target):
            scratch = Path(tempfile.mkdtemp(prefix=".tmp-", dir=directory))
            try:
                self._write(scratch)
                _publish(scratch, target)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        _prune(directory, self.generation)

    def _write(self, folder: Path) -> None:
        counts = self.bm25.counts
        with (folder / ARRAYS).open("wb") as fh:
            np.savez(
                fh,
                data=counts.data,
                indices=counts.indices,
                indptr=counts.indptr,
                shape=np.array(counts.shape),
                lengths=self.bm25.lengths,
            )
            _flush(fh)
        manifest = {
            "generation": self.generation,
            "ids": self.ids,
            "spans": self.spans,
            "sources": self.sources,
            "published": self.published,
            "vocab": sorted(self.bm25.vocab, key=self.bm25.vocab.__getitem__),
        }
        with (folder / MANIFEST).open("w", encoding="utf-8") as fh:
            fh.write(json.dumps(manifest))  # dumps uses the C encoder; dump(fh) does not
            _flush(fh)

    @classmethod
    def load_latest(cls, directory: Path, newest: int) -> KeywordIndex | None:
        """The newest readable save no newer than store generation ``newest`` (a newer one is
        left from an earlier store), or None."""
        for _ in range(2):  # a concurrent save may remove what we listed: list once more
            found = sorted(
                (int(p.name) for p in directory.glob("*") if p.name.isdigit()), reverse=True
            )
            for generation in (g for g in found if g <= newest):
                try:
                    return cls._load(directory / str(generation))
                except _UNREADABLE:
                    continue
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
            [(s[0], s[1]) for s in manifest["spans"]],
            manifest["sources"],
            manifest["published"],
            Bm25(vocab, counts, lengths),
        )

    # --- search ----------------------------------------------------------------------------

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


def _complete(folder: Path) -> bool:
    return (folder / ARRAYS).exists() and (folder / MANIFEST).exists()


def _flush(fh: IO[Any]) -> None:
    """To disk before the rename publishes it: a power cut must not leave a truncated save."""
    fh.flush()
    os.fsync(fh.fileno())


def _publish(scratch: Path, target: Path) -> None:
    """Rename ``scratch`` to ``target``; a ``target`` in the older (bm25s) format is moved
    aside first, one saved meanwhile by another process is kept."""
    for _ in range(2):
        try:
            scratch.rename(target)
            return
        except OSError:
            if _complete(target):
                return
            aside = target.with_name(f".old-{os.getpid()}-{target.name}")
            try:
                target.rename(aside)
            except OSError:
                continue  # someone else moved it: try again
            shutil.rmtree(aside, ignore_errors=True)


def _prune(directory: Path, generation: int) -> None:
    """Remove saves older than ``generation`` and scratch folders a killed save left behind."""
    stale_before = time.time() - SCRATCH_MAX_AGE_S
    for folder in directory.iterdir():
        older = folder.name.isdigit() and int(folder.name) < generation
        leftover = folder.name.startswith((".tmp-", ".old-"))
        try:
            if older or (leftover and folder.stat().st_mtime < stale_before):
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue  # removed by another process meanwhile
