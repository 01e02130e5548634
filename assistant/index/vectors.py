"""Chroma holds chunk vectors: embedded (``PersistentClient``) or a server (``HttpClient``).

The collection records which embedder built it; opening it with another is refused, because
vectors from two models cannot be compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from assistant.config import ChromaSettings
from assistant.errors import IndexMismatchError, StoreError
from assistant.types import Article, Chunk

SIGNATURE_KEY = "embedding_signature"
_PAGE = 5000  # Chroma caps how many records one call may return or write.


def published_number(published: str | None) -> int | None:
    """``2025-05-27...`` as 20250527, because Chroma compares numbers, not strings."""
    if not published or len(published) < 10:
        return None
    return int(published[:10].replace("-", ""))


class VectorIndex:
    """The chunk-vector collection, checked against the embedder's signature."""

    def __init__(
        self, settings: ChromaSettings, data_dir: Path, signature: str, reindex: bool = False
    ) -> None:
        self._client = _client(settings, data_dir)
        self.signature = signature
        name = settings.collection
        try:
            existing = {c.name for c in self._client.list_collections()}
        except (ValueError, httpx.HTTPError) as exc:
            raise StoreError(_unreachable(settings, exc)) from exc
        if name in existing:
            found = (self._client.get_collection(name).metadata or {}).get(SIGNATURE_KEY)
            if found != signature:
                if not reindex:
                    raise IndexMismatchError(
                        f"the index was built with embedder {found!r}, but the settings now ask "
                        f"for {signature!r}. Run `python -m assistant ingest --reindex` to "
                        "re-embed every article, or restore the old embedding settings"
                    )
                self._client.delete_collection(name)
        self.collection = self._client.get_or_create_collection(
            name,
            metadata={SIGNATURE_KEY: signature},
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=None,
        )

    def ids(self) -> set[str]:
        """Every chunk id in the collection."""
        out: set[str] = set()
        offset = 0
        while True:
            page = self.collection.get(include=[], limit=_PAGE, offset=offset)["ids"]
            out.update(page)
            if len(page) < _PAGE:
                return out
            offset += _PAGE

    def count(self) -> int:
        return int(self.collection.count())

    def upsert(
        self,
        chunks: Sequence[Chunk],
        article: dict[str, Article],
        vectors: Sequence[Sequence[float]],
    ) -> None:
        """Write chunk vectors with the metadata retrieval filters on."""
        for begin in range(0, len(chunks), _PAGE):
            part = chunks[begin : begin + _PAGE]
            self.collection.upsert(
                ids=[c.id for c in part],
                embeddings=[list(v) for v in vectors[begin : begin + _PAGE]],
                metadatas=[_metadata(c, article[c.article_id]) for c in part],
            )

    def delete(self, ids: Sequence[str]) -> None:
        for begin in range(0, len(ids), _PAGE):
            self.collection.delete(ids=list(ids[begin : begin + _PAGE]))

    def query(
        self, vector: Sequence[float], k: int, where: dict[str, Any] | None
    ) -> list[tuple[str, float]]:
        """``(chunk_id, cosine similarity)`` of the ``k`` nearest chunks that pass ``where``."""
        n = min(k, self.count())
        if n == 0:
            return []
        result = self.collection.query(
            query_embeddings=[list(vector)], n_results=n, where=where, include=["distances"]
        )
        ids = result["ids"][0]
        distances = (result.get("distances") or [[]])[0]
        return [(i, 1.0 - float(d)) for i, d in zip(ids, distances, strict=True)]


def _metadata(chunk: Chunk, article: Article) -> dict[str, str | int]:
    meta: dict[str, str | int] = {
        "article_id": chunk.article_id,
        "start": chunk.start,
        "end": chunk.end,
    }
    if article.meta.source:
        meta["source"] = article.meta.source.casefold()
    day = published_number(article.meta.published)
    if day is not None:
        meta["published"] = day
    return meta


def _client(settings: ChromaSettings, data_dir: Path) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaClientSettings

    client_settings = ChromaClientSettings(anonymized_telemetry=False)
    if settings.host:
        try:
            return chromadb.HttpClient(
                host=settings.host, port=settings.port, settings=client_settings
            )
        except ValueError as exc:  # chromadb's "Could not connect to a Chroma server"
            raise StoreError(_unreachable(settings, exc)) from exc
    path = data_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=client_settings)


def _unreachable(settings: ChromaSettings, exc: Exception) -> str:
    return (
        f"cannot reach the Chroma server at {settings.host}:{settings.port} ({exc}). "
        "Start it with `chroma run --path DIR --host 127.0.0.1 --port PORT`, "
        "or unset chroma.host to use the embedded store"
    )
