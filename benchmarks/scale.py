"""Retrieval latency as the index grows: ``python -m benchmarks.scale``.

Builds corpora of about 1k, 10k and 100k chunks from RealTimeQA's articles (read from
``../shared`` at run time, never copied here): a prefix of the articles, all of them, and all of
them plus sentence-shuffled variants with new urls. Each is ingested by the real indexer into
an embedded Chroma; with ``--server`` its vectors are also copied into a ``chroma run`` server on
127.0.0.1. Then ``HybridRetriever.search(q, k=5)`` (query embedding, Chroma, BM25, fusion,
hydration from SQLite) is timed over 200 queries, with each stage timed on its own too, and
so is ingesting one more article into the built index (what one upload costs at that size).

Embedding 100k chunks with the real model takes over an hour on 2 cores and says nothing about
search speed, so chunk vectors here are *composed*: each distinct sentence is embedded once by
the real model, and a chunk's vector is the normalised mean of its sentences' vectors. Query
vectors are real. Search cost depends on the number and dimension of the vectors, not on how
they were made; retrieval quality is the eval suite's business, not this benchmark's.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from assistant.app import open_parts, run_ingest
from assistant.config import Settings
from assistant.eval.realtimeqa import articles
from assistant.index.embedding import Embedder, build_embedder
from assistant.index.handle import Index
from assistant.index.keyword import KeywordIndex
from assistant.ingest.chunking import sentence_spans
from assistant.retrieve.hybrid import Filters
from benchmarks.common import bench_settings, from_root, percentile, provenance, write_report
from benchmarks.realtimeqa import DEFAULT_DATASET, benchmark_queries
from benchmarks.servers import free_port, running

DEFAULT_OUT = Path("benchmarks/results/scale.json")
TOP_K = 5
QUERIES = 200
WARMUP = 5
ARTICLES_PER_FILE = 500
VARIANT_SHARE = 0.75  # of an article's sentences a variant keeps
CHUNKS_PER_ARTICLE = 11.6  # RealTimeQA's articles average this many chunks (9,575 / 828)


class ComposedEmbedder:
    """The real embedder for queries; chunk vectors composed from cached sentence vectors."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_name = inner.model_name
        self.max_tokens = inner.max_tokens
        self.dimension = inner.dimension
        self.sentences: dict[str, np.ndarray] = {}

    def tokenize(self, text: str) -> list[int]:
        return self.inner.tokenize(text)

    def get_query_embedding(self, query: str) -> list[float]:
        return self.inner.get_query_embedding(query)

    def get_text_embedding_batch(
        self, texts: list[str], show_progress: bool = False
    ) -> list[list[float]]:
        parts = [[text[s:e] for s, e in sentence_spans(text)] or [text] for text in texts]
        # by length, so each model batch pads little
        missing = sorted({p for ps in parts for p in ps if p not in self.sentences}, key=len)
        for begin in range(0, len(missing), 256):
            batch = missing[begin : begin + 256]
            for sentence, vector in zip(
                batch, self.inner.get_text_embedding_batch(batch), strict=True
            ):
                self.sentences[sentence] = np.asarray(vector, dtype=np.float32)
        out = []
        for ps in parts:
            mean = np.mean([self.sentences[p] for p in ps], axis=0)
            out.append((mean / (np.linalg.norm(mean) or 1.0)).tolist())
        return out


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__)
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument(
        "--sizes", default="1000,10000,100000", help="target chunk counts (comma-separated)"
    )
    parser.add_argument("--server", action="store_true", help="also time a Chroma server")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    return parser.parse_args(argv)


def variant(row: dict[str, Any], n: int) -> dict[str, Any]:
    """Article ``row`` with its sentences shuffled and about a quarter dropped, under a new url."""
    text = str(row["text"])
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    rng = random.Random(f"{row['url']}#{n}")
    rng.shuffle(sentences)
    kept = sentences[: max(1, round(len(sentences) * VARIANT_SHARE))]
    return {
        **row,
        "title": f"{row['title']} (variant {n})",
        "url": f"{row['url']}#variant-{n}",
        "text": "\n".join(kept),
    }


def corpus_rows(base: list[dict[str, Any]], chunks: int) -> list[dict[str, Any]]:
    """About ``chunks`` chunks' worth of articles: a prefix of ``base``, or all of it plus
    as many rounds of variants as it takes (a variant keeps three quarters of the sentences,
    so it counts for three quarters of an article's chunks)."""
    originals = min(len(base), max(1, round(chunks / CHUNKS_PER_ARTICLE)))
    rows = list(base[:originals])
    missing = chunks - originals * CHUNKS_PER_ARTICLE
    variants = max(0, round(missing / (CHUNKS_PER_ARTICLE * VARIANT_SHARE)))
    for i in range(variants):
        rows.append(variant(base[i % len(base)], 1 + i // len(base)))
    return rows


def build(settings: Settings, embedder: ComposedEmbedder, rows: list[dict[str, Any]]) -> float:
    """Ingest ``rows`` into ``settings.data_dir``; returns the seconds it took."""
    settings.corpus_dir.mkdir(parents=True, exist_ok=True)
    # files of ARTICLES_PER_FILE articles: one file of 100k chunks' text would pass ingest.max_file_mb
    for begin in range(0, len(rows), ARTICLES_PER_FILE):
        path = settings.corpus_dir / f"articles-{begin // ARTICLES_PER_FILE:04d}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for row in rows[begin : begin + ARTICLES_PER_FILE]:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    started = time.perf_counter()
    report = run_ingest(settings, [settings.corpus_dir], embedder, progress=True)
    if report.problems:  # a benchmark of a smaller corpus than it says would mislead
        raise SystemExit(f"ingest skipped {len(report.problems)} file(s): {report.problems[0]}")
    return time.perf_counter() - started


def copy_vectors(source: Index, target: Index) -> None:
    """Every vector, with its metadata, from one Chroma collection to another."""
    page, offset = 2000, 0
    while True:
        got = source.vectors.collection.get(
            include=["embeddings", "metadatas"], limit=page, offset=offset
        )
        if not got["ids"]:
            return
        target.vectors.collection.upsert(
            ids=got["ids"], embeddings=got["embeddings"], metadatas=got["metadatas"]
        )
        offset += page


def timed_ms(fn: Callable[[str], object], queries: list[str]) -> list[float]:
    for query in queries[:WARMUP]:
        fn(query)
    out = []
    for query in queries:
        started = time.perf_counter()
        fn(query)
        out.append((time.perf_counter() - started) * 1000)
    return out


def latencies(settings: Settings, embedder: Embedder, queries: list[str]) -> dict[str, Any]:
    """p50/p95 of a whole hybrid search and of each of its stages, plus the BM25 build time."""
    parts = open_parts(settings, embedder)
    index, retriever = parts.index, parts.retriever
    try:
        shutil.rmtree(index.bm25_dir, ignore_errors=True)
        started = time.perf_counter()
        keyword = KeywordIndex.open(index.bm25_dir, index.store)
        bm25_build_s = time.perf_counter() - started
        n = settings.retrieval.candidates
        vectors = {q: embedder.get_query_embedding(q) for q in queries}
        mask = keyword.mask((), None, None)
        stages = {
            "hybrid": timed_ms(lambda q: retriever.search(q, k=TOP_K, filters=Filters()), queries),
            "query_embedding": timed_ms(embedder.get_query_embedding, queries),
            "dense": timed_ms(lambda q: index.vectors.query(vectors[q], n, None), queries),
            "bm25": timed_ms(lambda q: keyword.query(q, n, mask), queries),
        }
        chunks = index.vectors.count()
    finally:
        parts.close()
    figures: dict[str, Any] = {"chunks": chunks, "bm25_build_s": round(bm25_build_s, 2)}
    for name, values in stages.items():
        figures[f"{name}_p50_ms"] = round(percentile(values, 50), 2)
        figures[f"{name}_p95_ms"] = round(percentile(values, 95), 2)
    return figures


@contextmanager
def chroma_server(folder: Path) -> Iterator[int]:
    port = free_port()
    chroma = str(Path(sys.executable).parent / "chroma")
    command = [chroma, "run", "--path", str(folder), "--host", "127.0.0.1", "--port", str(port)]
    with running(command, f"http://127.0.0.1:{port}/api/v2/heartbeat", seconds=60):
        yield port


def run(args: argparse.Namespace, scratch: Path) -> list[dict[str, Any]]:
    dataset = from_root(args.dataset)
    base = articles(dataset)
    queries = benchmark_queries(dataset, QUERIES)
    embedder = ComposedEmbedder(build_embedder(bench_settings(scratch, scratch).embedding))
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        settings = bench_settings(scratch / f"data-{size}", scratch / f"corpus-{size}")
        build_s = build(settings, embedder, corpus_rows(base, size))
        row = {"target_chunks": size, "chroma": "embedded", "build_s": round(build_s, 1)}
        rows = [row | latencies(settings, embedder.inner, queries)]
        if args.server:
            rows.append(server_row(settings, embedder, queries, size, scratch))
        # last: the extra article would otherwise be in the server's copy but not timed locally
        rows[0]["ingest_one_s"] = round(ingest_one(settings, embedder, base[0]), 2)
        for done in rows:
            print(json.dumps(done), flush=True)
        results.extend(rows)
    return results


def ingest_one(settings: Settings, embedder: ComposedEmbedder, row: dict[str, Any]) -> float:
    """Seconds to ingest one more article into the built index: what one upload costs."""
    path = settings.corpus_dir / "one-more.jsonl"
    path.write_text(json.dumps(variant(row, 10**6)) + "\n", encoding="utf-8")
    started = time.perf_counter()
    report = run_ingest(settings, [path], embedder)
    if report.added != 1:
        raise SystemExit(f"the extra article was not added: {report}")
    return time.perf_counter() - started


def server_row(
    settings: Settings, embedder: ComposedEmbedder, queries: list[str], size: int, scratch: Path
) -> dict[str, Any]:
    """The same index with its vectors in a ``chroma run`` server on 127.0.0.1."""
    with chroma_server(scratch / f"server-{size}") as port:
        served = settings.model_copy(
            update={
                "chroma": settings.chroma.model_copy(update={"host": "127.0.0.1", "port": port})
            }
        )
        local, remote = Index.open(settings, embedder), Index.open(served, embedder)
        try:
            copy_vectors(local, remote)
        finally:
            local.close()
            remote.close()
        row = {"target_chunks": size, "chroma": "server"}
        return row | latencies(served, embedder.inner, queries)


def print_table(results: list[dict[str, Any]]) -> None:
    columns = ["chunks", "chroma", "hybrid_p50_ms", "hybrid_p95_ms", "query_embedding_p50_ms",
               "dense_p50_ms", "bm25_p50_ms", "bm25_build_s", "ingest_one_s"]  # fmt: skip
    print(" | ".join(columns))
    for row in results:
        print(" | ".join(str(row.get(c, "")) for c in columns))


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="scale-bench-", ignore_cleanup_errors=True) as tmp:
        results = run(args, Path(tmp))
    print_table(results)
    write_report(args.out, {"results": results} | provenance())
    return 0


if __name__ == "__main__":
    sys.exit(main())
