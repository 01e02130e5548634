"""Near-duplicate articles (the same wire story from two outlets) by MinHash over word shingles."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

NUM_PERM = 64
SHINGLE = 5
SCHEME = "affine32"
_WORD = re.compile(r"\w+")


def signature(text: str) -> bytes:
    """MinHash signature of the word 5-shingles of ``text``, as bytes for storage."""
    from datasketch import MinHash

    words = _WORD.findall(text.casefold())
    shingles = {" ".join(words[i : i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1))}
    mh = MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME)
    mh.update_batch([s.encode("utf-8") for s in shingles])
    return bytes(mh.hashvalues.astype(np.uint64).tobytes())


def _minhash(blob: bytes) -> object:
    """A stored signature, ready for LSH and Jaccard. ``LeanMinHash``: a plain ``MinHash``
    regenerates its permutations on every construction (2 s per ingest at 11k articles)."""
    from datasketch import LeanMinHash

    return LeanMinHash(seed=1, hashvalues=np.frombuffer(blob, dtype=np.uint64), scheme=SCHEME)


class DuplicateFinder:
    """Finds, for a new article, the canonical article it nearly duplicates (Jaccard ≥ threshold)."""

    def __init__(self, threshold: float, known: Iterable[tuple[str, str | None, bytes]]) -> None:
        from datasketch import MinHashLSH

        self._threshold = threshold
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._canonical: dict[str, str] = {}
        self._hashes: dict[str, object] = {}
        for article_id, dup_of, blob in known:
            self.add(article_id, dup_of, blob)

    def find(self, article_id: str, blob: bytes) -> str | None:
        """The canonical id of an existing near-duplicate, or None."""
        mh = _minhash(blob)
        best: tuple[float, str] | None = None
        for other in self._lsh.query(mh):
            if other == article_id:
                continue
            score = float(mh.jaccard(self._hashes[other]))  # type: ignore[attr-defined]
            if score >= self._threshold and (best is None or score > best[0]):
                best = (score, other)
        return self._canonical[best[1]] if best else None

    def add(self, article_id: str, dup_of: str | None, blob: bytes) -> None:
        """Remember an article so later ones can be matched against it."""
        if article_id in self._hashes:
            self._lsh.remove(article_id)
        mh = _minhash(blob)
        self._lsh.insert(article_id, mh)
        self._hashes[article_id] = mh
        self._canonical[article_id] = dup_of or article_id
