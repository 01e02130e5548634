"""Per-sentence embeddings and named entities, computed once and kept beside the index.

Ranking evidence needs both for every candidate sentence of a question (about 80); computing
them at question time costs about half a second on two cores. The ingest fills this cache for
the sentences of every chunk it writes, and a question computes (and keeps) only what is
missing. Keys are ``{article id}-{content version}:{start}:{end}``, so a changed article's
sentences are never looked up again; ``prune`` drops them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.errors import StoreError
from assistant.index.embedding import Embedder
from assistant.ingest.entities import Entity, entities
from assistant.ingest.ids import article_version
from assistant.types import Chunk

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sentences (
    key TEXT PRIMARY KEY, vector BLOB NOT NULL, entities TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class SentenceData:
    """What the evidence ranker needs of one sentence."""

    vector: np.ndarray
    entities: tuple[Entity, ...]


def sentence_key(chunk_id: str, start: int, end: int) -> str:
    return f"{article_version(chunk_id)}:{start}:{end}"


class SentenceCache:
    """A SQLite file of sentence vectors and entities, for one embedder."""

    def __init__(self, path: Path, embedder: Embedder, signature: str) -> None:
        self.path = path
        self.embedder = embedder
        try:
            self._db = sqlite3.connect(path, timeout=30, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(SCHEMA)
            row = self._db.execute("SELECT value FROM meta WHERE name = 'embedder'").fetchone()
            if row is None or row[0] != signature:  # another embedder: nothing here is valid
                with self._db:
                    self._db.execute("DELETE FROM sentences")
                    self._db.execute("REPLACE INTO meta VALUES ('embedder', ?)", (signature,))
        except sqlite3.Error as exc:
            raise StoreError(
                f"cannot open the sentence cache {path} ({exc}); it only holds derived data: "
                "remove that file and run `python -m assistant ingest`"
            ) from exc

    def close(self) -> None:
        self._db.close()

    def get(self, keys: Sequence[str], texts: Sequence[str]) -> list[SentenceData]:
        """The data of each sentence (``texts[i]`` under ``keys[i]``); misses are computed
        and kept."""
        found = self._read(keys)
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            computed = self._compute([texts[i] for i in missing])
            self._write([(keys[i], d) for i, d in zip(missing, computed, strict=True)])
            found.update({keys[i]: d for i, d in zip(missing, computed, strict=True)})
        return [found[k] for k in keys]

    def add_chunks(self, chunks: Iterable[Chunk]) -> int:
        """Compute and keep every sentence of ``chunks`` not kept yet; returns how many."""
        wanted: dict[str, str] = {}
        for chunk in chunks:
            for start, end in chunk.sentences:
                text = chunk.text[start - chunk.start : end - chunk.start]
                if len(text) > 3:
                    wanted.setdefault(sentence_key(chunk.id, start, end), text)
        keys = list(wanted)
        self.get(keys, [wanted[k] for k in keys])
        return len(keys)

    def prune(self, live_versions: set[str]) -> int:
        """Drop the sentences of article versions not in ``live_versions``; returns how many."""
        rows = self._db.execute("SELECT key FROM sentences").fetchall()
        dead = [(k,) for (k,) in rows if k.split(":", 1)[0] not in live_versions]
        with self._db:
            self._db.executemany("DELETE FROM sentences WHERE key = ?", dead)
        return len(dead)

    def _compute(self, texts: list[str]) -> list[SentenceData]:
        vectors = self.embedder.get_text_embedding_batch(texts)
        named = entities(texts)
        return [
            SentenceData(np.asarray(v, dtype=np.float32), e)
            for v, e in zip(vectors, named, strict=True)
        ]

    def _read(self, keys: Sequence[str]) -> dict[str, SentenceData]:
        out: dict[str, SentenceData] = {}
        for first in range(0, len(keys), 500):
            part = list(keys[first : first + 500])
            marks = ",".join("?" * len(part))
            for key, blob, ents in self._db.execute(
                f"SELECT key, vector, entities FROM sentences WHERE key IN ({marks})", part
            ):
                named = tuple(Entity(*e) for e in json.loads(ents))
                out[key] = SentenceData(np.frombuffer(blob, dtype=np.float32), named)
        return out

    def _write(self, rows: list[tuple[str, SentenceData]]) -> None:
        try:
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO sentences VALUES (?, ?, ?)",
                    [
                        (
                            k,
                            d.vector.tobytes(),
                            json.dumps([[e.text, e.label, e.start, e.end] for e in d.entities]),
                        )
                        for k, d in rows
                    ],
                )
        except sqlite3.Error as exc:
            # Only derived data: a question still gets its answer; the next one recomputes.
            if "locked" not in str(exc) and "full" not in str(exc):
                raise StoreError(f"cannot write the sentence cache {self.path}: {exc}") from exc
