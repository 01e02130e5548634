"""Ingest and retrieval benchmark on RealTimeQA's news articles: ``python -m benchmarks.ingest``.

Everything runs in a fresh temporary directory (converted corpus and data directory alike), so
no dataset text lands in the repository. Measured, in order:

1. a from-scratch ingest with the real pipeline (articles/s, chunks/s);
2. the raw embedder on exactly the same chunk texts, in the indexer's batch sizes, and the
   ratio end-to-end chunks/s / raw chunks/s (how much the pipeline costs beyond embedding);
3. a second ingest of the unchanged corpus (nothing to embed);
4. hybrid-retrieval latency (p50/p95) over 200 queries;
5. the process's peak resident memory.

The figures are printed as a table and written as JSON to ``--out``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.app import Parts, ingest_into, open_parts
from assistant.config import Settings
from assistant.index.embedding import Embedder, build_embedder
from assistant.index.handle import Index
from assistant.index.indexer import IngestReport, article_id
from assistant.ingest.loaders import discover, load_file
from assistant.retrieve.hybrid import HybridRetriever
from benchmarks.common import (
    REPO_ROOT,
    bench_settings,
    from_root,
    peak_rss_mb,
    percentile,
    provenance,
    write_report,
)
from benchmarks.realtimeqa import benchmark_queries, write_corpus

DEFAULT_DATASET = Path("../shared/datasets/realtimeqa_2024jan_sample")
DEFAULT_OUT = Path("benchmarks/results/ingest.json")
SEED_ARTICLE = Path("corpus/us-israel-iran-talks.txt")
QUERY_COUNT = 200
WARMUP_QUERIES = 2
TOP_K = 5


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.ingest",
        description="Time ingest, raw embedding, re-ingest and retrieval on RealTimeQA articles.",
    )
    parser.add_argument(
        "--dataset",
        type=Path,
        default=DEFAULT_DATASET,
        help="RealTimeQA sample folder (relative paths are from the repository root)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="JSON results file (relative paths are from the repository root)",
    )
    parser.add_argument(
        "--limit", type=int, default=None, metavar="N", help="ingest only the first N articles"
    )
    parser.add_argument(
        "--raw-sample",
        type=int,
        default=None,
        metavar="N",
        help="time the raw embedder on about N chunks (whole indexer batches; default all)",
    )
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    if args.raw_sample is not None and args.raw_sample < 1:
        parser.error("--raw-sample must be at least 1")
    return args


# --- setup -----------------------------------------------------------------------------------


def prepare_corpus(dataset: Path, corpus_dir: Path, limit: int | None) -> int:
    """Convert RealTimeQA (first ``limit`` articles) into ``corpus_dir`` and add the seed
    article; returns how many RealTimeQA articles the corpus holds."""
    count = write_corpus(dataset, corpus_dir)
    if limit is not None and limit < count:
        path = corpus_dir / "realtimeqa.jsonl"
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        path.write_text("".join(lines[:limit]), encoding="utf-8")
        count = limit
    shutil.copy(REPO_ROOT / SEED_ARTICLE, corpus_dir / SEED_ARTICLE.name)
    return count


# --- ingest ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Elapsed:
    """Wall-clock seconds and this process's CPU seconds (all threads) of one step. CPU time
    barely changes when other programs compete for the cores; wall-clock time does."""

    wall: float
    cpu: float


def since(wall: float, cpu: float) -> Elapsed:
    return Elapsed(time.perf_counter() - wall, time.process_time() - cpu)


def timed_ingest(parts: Parts, paths: list[Path]) -> tuple[IngestReport, Elapsed]:
    """One ingest into the open index of ``parts`` and how long it took."""
    wall, cpu = time.perf_counter(), time.process_time()
    report = ingest_into(parts.settings, parts.embedder, parts.index, paths)
    return report, since(wall, cpu)


def ingest_order(settings: Settings, paths: list[Path]) -> list[str]:
    """Article ids in the order the indexer meets them (first of each key kept). Files under
    ``corpus_dir`` get the indexer's origin, which is the key of articles without a url."""
    files, _ = discover(paths)
    limit = settings.ingest.max_file_bytes
    corpus = settings.corpus_dir.resolve()
    seen: set[str] = set()
    order: list[str] = []
    for path in files:
        resolved = path.resolve()
        origin = (
            str(Path(settings.corpus_dir.name) / resolved.relative_to(corpus))
            if resolved.is_relative_to(corpus)
            else str(resolved)
        )
        for loaded in load_file(path, origin, limit).articles:
            if loaded.key not in seen:
                seen.add(loaded.key)
                order.append(article_id(loaded.key))
    return order


def stored_chunks(index: Index) -> dict[str, list[str]]:
    """Texts of the served chunks, per article, in chunk order."""
    out: dict[str, list[str]] = {}
    for _chunk_id, owner, _source, _published, text in index.store.ready_chunks():
        out.setdefault(owner, []).append(text)
    return out


def flush_batches(chunks: dict[str, list[str]], order: list[str], size: int) -> list[list[str]]:
    """The chunk texts grouped as the indexer hands them to the embedder: whole articles,
    flushed once a batch holds at least ``size`` chunks, embedded ``size`` at a time."""
    known = set(order)
    order = order + sorted(aid for aid in chunks if aid not in known)  # none expected
    batches: list[list[str]] = []
    batch: list[str] = []
    for aid in order:
        batch.extend(chunks.get(aid, []))
        if len(batch) >= size:
            batches += [batch[lo : lo + size] for lo in range(0, len(batch), size)]
            batch = []
    if batch:
        batches.append(batch)
    return batches


def sample_batches(batches: list[list[str]], want: int | None) -> list[list[str]]:
    """Whole batches spread evenly over the run, until about ``want`` chunks (all when None)."""
    total = sum(len(b) for b in batches)
    if want is None or want >= total:
        return batches
    average = total / len(batches)
    count = max(1, round(want / average))
    step = len(batches) / count
    return [batches[int(i * step)] for i in range(count)]


def raw_embedding_time(embedder: Embedder, batches: list[list[str]]) -> Elapsed:
    """How long the embedder alone needs for ``batches``, called as the indexer calls it."""
    wall, cpu = time.perf_counter(), time.process_time()
    for batch in batches:
        embedder.get_text_embedding_batch(batch)
    return since(wall, cpu)


# --- retrieval -------------------------------------------------------------------------------


def query_latencies_ms(retriever: HybridRetriever, queries: list[str]) -> list[float]:
    """Milliseconds per ``search(q, k=5)``, after a few untimed warm-up queries."""
    for query in queries[:WARMUP_QUERIES]:
        retriever.search(query, k=TOP_K)
    out: list[float] = []
    for query in queries:
        started = time.perf_counter()
        retriever.search(query, k=TOP_K)
        out.append((time.perf_counter() - started) * 1000)
    return out


def print_table(figures: dict[str, Any]) -> None:
    width = max(len(name) for name in figures)
    for name, value in figures.items():
        shown = f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"
        print(f"{name:<{width}}  {shown:>12}")


# --- main ------------------------------------------------------------------------------------


def run(args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    dataset = from_root(args.dataset)
    corpus_dir, data_dir = scratch / "corpus", scratch / "data"
    converted = prepare_corpus(dataset, corpus_dir, args.limit)
    settings = bench_settings(data_dir, corpus_dir)
    paths = [corpus_dir]

    started = time.perf_counter()
    embedder = build_embedder(settings.embedding)
    parts = open_parts(settings, embedder)
    startup_s = time.perf_counter() - started
    try:
        first, first_t = timed_ingest(parts, paths)
        chunks = stored_chunks(parts.index)
        batches = flush_batches(chunks, ingest_order(settings, paths), settings.ingest.batch_chunks)
        measured = sample_batches(batches, args.raw_sample)
        raw_chunks = sum(len(b) for b in measured)
        raw_t = raw_embedding_time(embedder, measured)
        second, second_t = timed_ingest(parts, paths)
        queries = benchmark_queries(dataset, QUERY_COUNT)
        latencies = query_latencies_ms(parts.retriever, queries)
        index_chunks = parts.index.vectors.count()
    finally:
        parts.close()

    articles_in = first.added + first.updated
    e2e_cps = first.chunks / first_t.wall
    raw_cps = raw_chunks / raw_t.wall
    e2e_cpu_cps = first.chunks / first_t.cpu
    raw_cpu_cps = raw_chunks / raw_t.cpu
    figures: dict[str, Any] = {
        "realtimeqa_articles": converted,
        "articles_ingested": articles_in,
        "chunks_embedded": first.chunks,
        "ingest_problems": len(first.problems),
        "startup_s (model + index open)": startup_s,
        "ingest_s": first_t.wall,
        "ingest_cpu_s": first_t.cpu,
        "ingest_articles_per_s": articles_in / first_t.wall,
        "ingest_chunks_per_s": e2e_cps,
        "raw_embed_chunks": raw_chunks,
        "raw_embed_batches": len(measured),
        "raw_embed_s": raw_t.wall,
        "raw_embed_cpu_s": raw_t.cpu,
        "raw_embed_chunks_per_s": raw_cps,
        "ratio_e2e_to_raw": e2e_cps / raw_cps,
        "ingest_chunks_per_cpu_s": e2e_cpu_cps,
        "raw_embed_chunks_per_cpu_s": raw_cpu_cps,
        "ratio_e2e_to_raw_cpu": e2e_cpu_cps / raw_cpu_cps,
        "reingest_s": second_t.wall,
        "reingest_unchanged": second.unchanged,
        "reingest_chunks_embedded": second.chunks,
        "index_chunks": index_chunks,
        "queries": len(latencies),
        "query_p50_ms": percentile(latencies, 50),
        "query_p95_ms": percentile(latencies, 95),
        "peak_rss_mb": peak_rss_mb(),
    }
    return {
        "figures": figures,
        "settings": {
            "embedding_model": settings.embedding.model,
            "embedding_batch_size": settings.embedding.batch_size,
            "embedding_threads": settings.embedding.threads or os.cpu_count(),
            "chunk_tokens": settings.chunking.chunk_tokens,
            "overlap_tokens": settings.chunking.overlap_tokens,
            "indexer_batch_chunks": settings.ingest.batch_chunks,
            "retrieval_candidates": settings.retrieval.candidates,
            "top_k": TOP_K,
            "limit": args.limit,
            "raw_sample": args.raw_sample,
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="ingest-bench-", ignore_cleanup_errors=True) as tmp:
        results = run(args, Path(tmp))
    print_table(results["figures"])
    write_report(args.out, results | provenance(load_before))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
