"""The article store (SQLite): articles with the exact text all offsets refer to, and chunk spans.

An article is ``pending`` from the moment its chunks are written until its vectors are in
Chroma; only ``ready`` articles are served. A crash leaves at most some ``pending`` rows,
which the next ingest finishes (see ``indexer.reconcile``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from assistant.errors import StoreError
from assistant.index.store_rows import ARTICLE_COLUMNS, SCHEMA, article_of, chunk_of
from assistant.types import Article, Chunk

# Ids per ``IN (...)`` query, well under SQLite's bound-variable limit.
_BATCH = 500


class ChunkText(NamedTuple):
    """A served chunk's text with what keyword search filters on."""

    id: str
    start: int
    end: int
    source: str | None
    published: str | None
    text: str


class ArticleStore:
    """Durable articles and chunk spans; every write is one transaction."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"cannot open the article store {path}: {exc}. If another program holds it, "
                f"wait and try again; if it is damaged, move {path.name} (and the chroma and "
                "bm25 folders beside it) aside and run `python -m assistant ingest` to rebuild "
                "them from the corpus (conversations.sqlite3 can stay)"
            ) from exc
        self.path = path

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: all of it lands, or none of it does. A locked or full database
        is a ``StoreError`` saying so."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                if self._db.in_transaction:  # SQLite may have rolled back already (disk full)
                    self._db.execute("ROLLBACK")
                raise
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreError(self._failed_write(exc)) from exc

    def _failed_write(self, exc: sqlite3.Error) -> str:
        reason = str(exc)
        if "locked" in reason or "busy" in reason:
            hint = "another program holds it; wait for it to finish and try again"
        elif "full" in reason:
            hint = "free disk space and try again"
        else:
            hint = "check the disk and the file's permissions, then try again"
        return (
            f"writing the article store {self.path} failed ({reason}): {hint}. Nothing of "
            "this write was kept; the next ingest finishes the work"
        )

    # --- reads -----------------------------------------------------------------

    def states(self) -> dict[str, tuple[str, str]]:
        """``{article_id: (content_hash, state)}`` for every stored article."""
        rows = self._db.execute("SELECT id, content_hash, state FROM articles")
        return {r[0]: (r[1], r[2]) for r in rows}

    def counts(self) -> tuple[int, int]:
        """``(pending articles, chunks of ready articles)``: what ``reconcile`` checks first."""
        row = self._db.execute(
            "SELECT (SELECT count(*) FROM articles WHERE state = 'pending'), "
            "(SELECT count(*) FROM chunks c JOIN articles a ON a.id = c.article_id "
            "WHERE a.state = 'ready')"
        ).fetchone()
        return int(row[0]), int(row[1])

    def origins(self) -> dict[str, str]:
        """``{article_id: origin file}`` for every stored article."""
        return dict(self._db.execute("SELECT id, origin FROM articles").fetchall())

    def get(self, article_id: str, ready_only: bool = True) -> Article | None:
        """One article, or None when there is no such (ready) article."""
        sql = f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = ?"
        if ready_only:
            sql += " AND state = 'ready'"
        row = self._db.execute(sql, (article_id,)).fetchone()
        return article_of(row) if row else None

    def articles(self, ready_only: bool = True) -> list[Article]:
        """All articles, newest first (undated last), then by title."""
        where = "WHERE state = 'ready'" if ready_only else ""
        rows = self._db.execute(
            f"SELECT {ARTICLE_COLUMNS} FROM articles {where} "
            "ORDER BY published IS NULL, published DESC, title"
        )
        return [article_of(r) for r in rows]

    def chunk_ids(self, state: str | None = None) -> set[str]:
        """Ids of chunks of articles in ``state`` (any state when None)."""
        sql = "SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article_id"
        rows = (
            self._db.execute(sql + " WHERE a.state = ?", (state,))
            if state
            else self._db.execute(sql)
        )
        return {r[0] for r in rows}

    def chunks_of(self, article_id: str) -> list[Chunk]:
        """The chunks of one article, in order."""
        article = self.get(article_id, ready_only=False)
        if article is None:
            return []
        rows = self._db.execute(
            'SELECT id, ordinal, start, "end", sentences FROM chunks '
            "WHERE article_id = ? ORDER BY ordinal",
            (article_id,),
        )
        return [chunk_of(article, r) for r in rows]

    def ready_chunks(self) -> Iterator[tuple[str, str, str | None, str | None, str]]:
        """``(chunk_id, article_id, source, published, chunk_text)`` of every served chunk."""
        rows = self._db.execute(
            'SELECT c.id, a.id, a.source, a.published, substr(a.text, c.start + 1, c."end" - c.start) '
            "FROM chunks c JOIN articles a ON a.id = c.article_id "
            "WHERE a.state = 'ready' ORDER BY c.id"
        )
        yield from rows

    def ready_spans(self) -> dict[str, tuple[int, int]]:
        """``chunk_id -> (start, end)`` of every served chunk; id and span fix a chunk's text."""
        rows = self._db.execute(
            'SELECT c.id, c.start, c."end" FROM chunks c JOIN articles a ON a.id = c.article_id '
            "WHERE a.state = 'ready' ORDER BY c.id"
        )
        return {r[0]: (r[1], r[2]) for r in rows}

    def chunk_texts(self, chunk_ids: Iterable[str]) -> list[ChunkText]:
        """Served chunks' text and filter fields, in the order asked; ids not served are left out."""
        ids = list(chunk_ids)
        found: dict[str, ChunkText] = {}
        for first in range(0, len(ids), _BATCH):
            part = ids[first : first + _BATCH]
            rows = self._db.execute(
                'SELECT c.id, c.start, c."end", a.source, a.published, '
                'substr(a.text, c.start + 1, c."end" - c.start) '
                "FROM chunks c JOIN articles a ON a.id = c.article_id "
                f"WHERE a.state = 'ready' AND c.id IN ({','.join('?' * len(part))})",
                part,
            )
            found.update((r[0], ChunkText(*r)) for r in rows)
        return [found[i] for i in ids if i in found]

    def chunk_rows(self, chunk_ids: Iterable[str]) -> dict[str, tuple[Chunk, Article]]:
        """Served chunks by id, each with its article."""
        ids = list(chunk_ids)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._db.execute(
            f'SELECT c.id, c.ordinal, c.start, c."end", c.sentences, c.article_id FROM chunks c '
            f"JOIN articles a ON a.id = c.article_id WHERE a.state = 'ready' AND c.id IN ({marks})",
            ids,
        ).fetchall()
        articles: dict[str, Article] = {}
        out = {}
        for row in rows:
            article_id = row[5]
            if article_id not in articles:
                found = self.get(article_id)
                if found is None:
                    continue
                articles[article_id] = found
            out[row[0]] = (chunk_of(articles[article_id], row[:5]), articles[article_id])
        return out

    def minhashes(self) -> Iterator[tuple[str, str | None, bytes]]:
        """``(article_id, dup_of, minhash)`` of served articles, for near-duplicate detection."""
        yield from self._db.execute(
            "SELECT id, dup_of, minhash FROM articles WHERE state = 'ready' AND minhash IS NOT NULL"
        )

    def generation(self) -> int:
        """A counter bumped by every change to what is served (keeps BM25 in step)."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    # --- writes ----------------------------------------------------------------

    def stage(self, article: Article, chunks: list[Chunk], minhash: bytes) -> None:
        """Write an article and its chunks as ``pending``, replacing any earlier version."""
        m = article.meta
        with self.transaction() as db:
            db.execute("DELETE FROM articles WHERE id = ? OR key = ?", (article.id, article.key))
            db.execute(
                "INSERT INTO articles (id, key, origin, title, source, url, author, published, "
                "text, content_hash, state, dup_of, minhash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                (
                    article.id, article.key, article.origin, m.title, m.source, m.url, m.author,
                    m.published, article.text, article.content_hash, article.dup_of, minhash,
                ),
            )  # fmt: skip
            db.executemany(
                'INSERT INTO chunks (id, article_id, ordinal, start, "end", sentences) '
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (c.id, c.article_id, c.ordinal, c.start, c.end, json.dumps(c.sentences))
                    for c in chunks
                ],
            )
            _bump(db)

    def mark(self, article_ids: Iterable[str], state: str) -> None:
        """Set the state of some articles in one transaction."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE articles SET state = ? WHERE id = ?", [(state, i) for i in article_ids]
            )
            _bump(db)

    def mark_all_pending(self) -> None:
        """Make every article due for re-embedding (used by ``--reindex``)."""
        with self.transaction() as db:
            db.execute("UPDATE articles SET state = 'pending'")
            _bump(db)

    def delete(self, article_ids: Iterable[str]) -> None:
        """Remove articles and their chunks."""
        with self.transaction() as db:
            db.executemany("DELETE FROM articles WHERE id = ?", [(i,) for i in article_ids])
            _bump(db)


def _bump(db: sqlite3.Connection) -> None:
    db.execute(
        "INSERT INTO meta (key, value) VALUES ('generation', '1') "
        "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
    )
