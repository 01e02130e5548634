"""Okapi BM25 over a term-count matrix that grows and shrinks without a rebuild.

``bm25s`` precomputes every document's score for every term, so adding one document means
re-indexing the whole corpus (14-17 s at 100k chunks, on every ingest). Here the matrix holds
raw term counts and scores are computed at query time for the query's terms only: adding or
removing documents splices rows, and only new text is tokenized. Scores are bm25s's own
(its default Lucene variant), and its tokenizer is used unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

K1 = 1.5
B = 0.75
# Terms of removed documents stay as empty columns; past this share they are dropped.
MAX_EMPTY_TERMS = 0.3


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, Snowball-stemmed word tokens (bm25s's tokenizer)."""
    import bm25s
    import Stemmer

    tokens: list[list[str]] = bm25s.tokenize(
        list(texts),
        stopwords="en",
        stemmer=Stemmer.Stemmer("english").stemWords,
        return_ids=False,
        show_progress=False,
    )
    return tokens


@dataclass(eq=False)
class Bm25:
    """Term counts (documents × terms, column-major so a term's postings are contiguous)."""

    vocab: dict[str, int]
    counts: sparse.csc_matrix
    lengths: np.ndarray  # tokens per document, the ``|d|`` of the formula
    _norm: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # k1 * (1 - b + b * |d| / avgdl): per document, shared by every query term.
        average = float(self.lengths.mean()) if len(self.lengths) else 0.0
        average = average or 1.0  # documents of no tokens match nothing anyway
        self._norm = (K1 * (1 - B + B * self.lengths / average)).astype(np.float32)

    @classmethod
    def empty(cls) -> Bm25:
        """No documents, no terms."""
        return cls({}, sparse.csc_matrix((0, 0), dtype=np.float32), np.zeros(0, np.float32))

    @property
    def size(self) -> int:
        """Number of documents."""
        return int(self.counts.shape[0])

    def added(self, documents: Sequence[Sequence[str]]) -> Bm25:
        """A copy with ``documents`` (token lists) appended as the last rows."""
        vocab = dict(self.vocab)
        rows: list[int] = []
        cols: list[int] = []
        for row, tokens in enumerate(documents):
            for token in tokens:
                cols.append(vocab.setdefault(token, len(vocab)))
            rows.extend([row] * len(tokens))
        width = len(vocab)
        new = sparse.csc_matrix(
            (np.ones(len(cols), np.float32), (np.array(rows, np.int64), np.array(cols, np.int64))),
            shape=(len(documents), width),
        )  # duplicate (row, term) pairs are summed into counts
        old = self.counts
        old = sparse.csc_matrix(
            (old.data, old.indices, np.pad(old.indptr, (0, width - old.shape[1]), mode="edge")),
            shape=(old.shape[0], width),
        )
        lengths = np.array([len(t) for t in documents], np.float32)
        return Bm25(
            vocab,
            sparse.vstack([old, new], format="csc", dtype=np.float32),
            np.concatenate([self.lengths, lengths]),
        )

    def kept(self, rows: np.ndarray) -> Bm25:
        """A copy holding only the documents at ``rows`` (in that order)."""
        kept = Bm25(self.vocab, self.counts[rows], self.lengths[rows])
        used = np.diff(kept.counts.indptr) > 0
        if used.size and 1 - used.mean() > MAX_EMPTY_TERMS:
            return kept._compacted(used)
        return kept

    def _compacted(self, used: np.ndarray) -> Bm25:
        """Without the terms that no document holds any more (a rolling corpus sheds words)."""
        terms = sorted(self.vocab, key=self.vocab.__getitem__)
        vocab = {t: i for i, t in enumerate(t for t, u in zip(terms, used, strict=True) if u)}
        return Bm25(vocab, self.counts[:, np.flatnonzero(used)], self.lengths)

    def scores(self, query: Sequence[str]) -> np.ndarray:
        """BM25 score of every document; a repeated query term counts each time, as in bm25s."""
        out = np.zeros(self.size, np.float32)
        n = self.size
        indptr, indices, data = self.counts.indptr, self.counts.indices, self.counts.data
        for token in query:
            term = self.vocab.get(token)
            if term is None:
                continue
            lo, hi = int(indptr[term]), int(indptr[term + 1])
            df = hi - lo
            if df == 0:
                continue
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            docs, tf = indices[lo:hi], data[lo:hi]
            out[docs] += idf * tf / (self._norm[docs] + tf)
        return out
