"""Hybrid retrieval: Chroma (dense) and BM25 (keyword) fused by reciprocal rank fusion.

Filters by outlet and published-date range apply to both retrievers. Near-duplicate articles
(detected at ingest) are collapsed so one wire story cannot fill the top-k with copies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.config import RetrievalSettings
from assistant.index.embedding import Embedder
from assistant.index.handle import Index
from assistant.index.keyword import KeywordIndex
from assistant.ingest.dates import date_bounds
from assistant.types import Hit


@dataclass(frozen=True)
class Filters:
    """Which articles a search may return; empty means all."""

    sources: Sequence[str] = field(default_factory=tuple)
    since: str | None = None
    until: str | None = None

    def day_range(self) -> tuple[int | None, int | None]:
        """The date bounds as YYYYMMDD numbers (inclusive): "2025" as ``since`` is its first
        day, as ``until`` its last."""

        def number(value: str | None, end: bool) -> int | None:
            return int(date_bounds(value, end).replace("-", "")) if value else None

        since, until = number(self.since, False), number(self.until, True)
        if since is not None and until is not None and since > until:
            raise ValueError(
                f"{self.since} is after {self.until}, so no article can match; swap the two dates"
            )
        return since, until

    def chroma_where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if self.sources:
            clauses.append({"source": {"$in": [s.casefold() for s in self.sources]}})
        since, until = self.day_range()
        if since is not None:
            clauses.append({"published": {"$gte": since}})
        if until is not None:
            clauses.append({"published": {"$lte": until}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], k: int) -> list[tuple[str, float]]:
    """Fuse ranked id lists: score(d) = Σ 1 / (k + rank), rank counted from 1."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


class HybridRetriever:
    """Searches the index; keeps the BM25 index in step with the store between calls."""

    def __init__(self, settings: RetrievalSettings, embedder: Embedder, index: Index) -> None:
        self.settings = settings
        self.embedder = embedder
        self.index = index
        self._keyword: KeywordIndex | None = None

    def keyword_index(self) -> KeywordIndex:
        """The current BM25 index, brought up to date whenever the store has changed."""
        generation = self.index.store.generation()
        if self._keyword is None or self._keyword.generation != generation:
            # persist=False: the ingest that changed the store saves; searches only read
            self._keyword = KeywordIndex.open(
                self.index.bm25_dir, self.index.store, current=self._keyword, persist=False
            )
        return self._keyword

    def search(self, query: str, k: int | None = None, filters: Filters | None = None) -> list[Hit]:
        """The best ``k`` chunks for ``query``, best first, with article metadata and offsets."""
        filters = filters or Filters()
        k = k or self.settings.top_k
        n = max(self.settings.candidates, k)
        dense = self.index.vectors.query(
            self.embedder.get_query_embedding(query), n, filters.chroma_where()
        )
        keyword = self.keyword_index()
        since, until = filters.day_range()
        sparse = keyword.query(query, n, keyword.mask(filters.sources, since, until))
        fused = reciprocal_rank_fusion(
            [[i for i, _ in dense], [i for i, _ in sparse]], self.settings.rrf_k
        )
        return self._hydrate(fused, k, dict(dense), dict(sparse))

    def _hydrate(
        self,
        fused: list[tuple[str, float]],
        k: int,
        dense: dict[str, float],
        sparse: dict[str, float],
    ) -> list[Hit]:
        rows = self.index.store.chunk_rows(i for i, _ in fused)
        owner: dict[str, str] = {}  # near-duplicate group -> the article that represents it
        hits: list[Hit] = []
        for chunk_id, score in fused:
            if chunk_id not in rows:
                continue  # written to Chroma but not yet served, or removed since
            chunk, article = rows[chunk_id]
            group = article.dup_of or article.id
            if owner.setdefault(group, article.id) != article.id:
                continue
            hits.append(Hit.of(chunk, article, score, dense.get(chunk_id), sparse.get(chunk_id)))
            if len(hits) == k:
                break
        return hits
