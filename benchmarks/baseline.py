"""Our pipeline against a plain llama-index pipeline: ``python -m benchmarks.baseline``.

Why: someone choosing a citing news assistant would otherwise take llama-index's
``VectorStoreIndex`` + ``CitationQueryEngine``. This measures what ours costs in latency and
what it gains in quality against that, on one machine, in one run.

Both pipelines get the same everything that is not the pipeline itself:
- the same chunks: the baseline indexes the chunk texts our indexer stored (``ArticleStore``),
  in Chroma through ``ChromaVectorStore``, embedded by our embedder (a llama-index
  ``BaseEmbedding``), and retrieves ``answer.retrieve_k`` of them, as our chain does;
- the same model: the GGUF of ``llm.model`` (default the bundled SmolLM2-135M), loaded by
  llama-cpp-python with our ``llm`` settings (n_ctx, threads, temperature, max_tokens) and the
  GGUF's chat template, through a small ``CustomLLM`` adapter;
- the same questions (``evals/questions.jsonl``), run interleaved after one untimed warm-up
  each, and the same scoring: ``assistant.eval``'s ``score`` and ``aggregate``.

The baseline's response becomes our ``Answer``: its sentences keep their [n] markers; a marker
n cites the engine's "Source n", whose text is located verbatim in the stored article for exact
offsets. A source not found verbatim, or a marker with no such source, is kept as a citation
that cannot be valid (an empty span), so span validity counts it. ``supported`` comes from our
``SupportChecker``. The baseline never abstains: it has no such logic, and the eval counts an
answer as an abstention only when ``Answer.abstained`` is set.

Latency is the whole question: our ``chain.stream`` (retrieval, generation, checking) and the
baseline's ``engine.query`` (retrieval, generation; turning its response into an ``Answer``
for scoring is not timed). Time to first token: ours is the first streamed event (as in the
eval); the baseline's is the first token of its last model call, the first text a streaming
llama-index app would show (a refine step's earlier calls are consumed internally).
Printed as a table and written as JSON to ``--out``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from llama_index.core.base.response.schema import Response
from tqdm import tqdm

from assistant.answer.chain import AnswerChain
from assistant.answer.question import standalone
from assistant.app import open_chain, with_provider
from assistant.config import Settings, load_settings
from assistant.errors import AssistantError, ConfigError
from assistant.eval.machine import package_version
from assistant.eval.questions import QuestionRow, load_questions, select
from assistant.eval.runner import TOP_K, _timed, build_index, resolve_gold
from assistant.eval.scoring import Gold, score
from assistant.eval.settings import ensure_local, index_dir
from assistant.types import Article, Hit
from benchmarks.baseline_report import (
    BASELINE,
    OURS,
    Record,
    per_question,
    ratios,
    summarise,
    table,
)
from benchmarks.common import code_version, from_root, peak_rss_mb, provenance, write_report
from benchmarks.llamaindex_pipeline import (
    CHAT_TEMPLATE_RESERVE,
    Baseline,
    build_baseline,
    to_answer,
)

DEFAULT_QUESTIONS = Path("evals/questions.jsonl")
DEFAULT_OUT = Path("benchmarks/results/baseline.json")
WARM_UP = QuestionRow(id="warm-up", question="What is the news?", answerable=False)
NOTES = [
    "Both pipelines search the same chunks with the same embedder and answer with the same "
    "GGUF model and llama.cpp settings; they differ in everything else: ours fuses dense and "
    "BM25 retrieval, shows the model ranked sentences (answer.evidence_sentences) instead of "
    "whole chunks, constrains its output to JSON, checks every sentence and abstains; the "
    "baseline sends the retrieved chunks as 'Source n' and takes the model's text as it is.",
    "The baseline has no abstention: its abstain rate on unanswerable questions is 0 by "
    "construction, and its false refusal rate too.",
    "Follow-up questions: both pipelines search with the same standalone question (the "
    "previous user question prepended, our 'concat' condensing); a plain query engine would "
    "get the follow-up alone.",
    "Time to first token: ours is the first streamed answer text (the answer itself when it "
    "abstains); the baseline's is the first token of its last model call, the first text a "
    "streaming llama-index app would show. Each pipeline has its own llama.cpp instance, so "
    "each reuses only its own cached prompt prefix.",
    "Citation recall/precision and faithfulness use our SupportChecker as the judge for both "
    "pipelines; our chain filters its own sentences with that checker, so it is not an "
    "independent judge of ours.",
]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.baseline",
        description="Our pipeline against llama-index VectorStoreIndex + CitationQueryEngine.",
    )
    add = parser.add_argument
    add("--limit", type=int, metavar="N", help="only the first N questions")
    add("--provider", choices=["llamacpp"], default="llamacpp",
        help="llm.provider of both pipelines; only llamacpp runs the same model in both "
             "(extractive has no model, openai is not the in-process GGUF)")  # fmt: skip
    add("--questions", type=Path, default=DEFAULT_QUESTIONS,
        help="question file (relative paths are from the repository root)")  # fmt: skip
    add("--out", type=Path, default=DEFAULT_OUT,
        help="JSON results file (relative paths are from the repository root)")  # fmt: skip
    add("--data-dir", type=Path, help="keep our index here and reuse it (default: a temp dir)")
    add("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    return args


def bench_settings(provider: str, data_root: Path) -> Settings:
    """The effective settings with ``provider``, the repository's corpus, an embedded Chroma,
    and a data dir under ``data_root`` named as the eval names it."""
    base = with_provider(load_settings(), provider)
    chroma = base.chroma.model_copy(update={"host": None})
    settings = base.model_copy(update={"chroma": chroma, "corpus_dir": from_root(Path("corpus"))})
    ensure_local(provider, settings)
    source = f"questions:{settings.corpus_dir.resolve()}"  # as the eval keys our question set
    return settings.model_copy(update={"data_dir": index_dir(data_root, settings, source)})


# --- asking and scoring -----------------------------------------------------------------------


def ask_ours(chain: AnswerChain, row: QuestionRow, gold: list[Gold]) -> Record:
    """Our chain, timed and scored exactly as ``python -m assistant.eval`` does it."""
    answer, ttft, seconds = _timed(chain, row)
    hits = chain.retriever.search(answer.standalone_question, TOP_K, None)
    result = score(row, answer, hits, gold, chain)
    return Record(
        result.model_copy(update={"config": OURS, "seconds": seconds, "ttft": ttft}), answer
    )


def baseline_query(chain: AnswerChain, row: QuestionRow) -> str:
    """The standalone question our chain searches with (condense 'concat': no model call)."""
    history = [t.model_dump() for t in row.history]
    return standalone(" ".join(row.question.split()), history, None, chain.prompts)


def baseline_hits(baseline: Baseline, query: str) -> list[Hit]:
    """The baseline retriever's top TOP_K as our ``Hit``s, for the retrieval metrics."""
    hits = []
    for found in baseline.retriever.retrieve(query):
        chunk, article = baseline.chunks[found.node.node_id]
        hits.append(Hit.of(chunk, article, found.score or 0.0, dense_score=found.score))
    return hits


def ask_baseline(
    baseline: Baseline, chain: AnswerChain, row: QuestionRow, gold: list[Gold],
    articles: Mapping[str, Article],
) -> Record:  # fmt: skip
    """The baseline, timed over ``engine.query`` alone, then scored like ours."""
    query = baseline_query(chain, row)
    baseline.llm.take_calls()
    started = time.perf_counter()
    response = baseline.engine.query(query)
    seconds = time.perf_counter() - started
    calls = baseline.llm.take_calls()
    last_first = calls[-1] if calls else None
    ttft = last_first - started if last_first is not None else seconds
    assert isinstance(response, Response), "the engine was built without streaming"
    answer = to_answer(
        row.question, query, response, articles, chain.checker, baseline.llm.model_name
    )
    result = score(row, answer, baseline_hits(baseline, query), gold, chain)
    update = {"config": BASELINE, "seconds": seconds, "ttft": ttft}
    return Record(result.model_copy(update=update), answer, llm_calls=len(calls))


def run_both(
    chain: AnswerChain, baseline: Baseline, rows: Sequence[QuestionRow], progress: bool
) -> dict[str, list[Record]]:
    """Every row through both pipelines, alternating which goes first, after one untimed
    warm-up question each (not one of the rows: llama.cpp would keep its prompt cached)."""
    gold = resolve_gold(chain.store, rows)
    articles = {a.id: a for a in chain.store.articles()}
    ask_ours(chain, WARM_UP, [])
    ask_baseline(baseline, chain, WARM_UP, [], articles)
    records: dict[str, list[Record]] = {OURS: [], BASELINE: []}
    for i, row in enumerate(tqdm(rows, desc="questions", unit="q", disable=not progress)):
        for name in (OURS, BASELINE) if i % 2 == 0 else (BASELINE, OURS):
            if name == OURS:
                records[OURS].append(ask_ours(chain, row, gold[row.id]))
            else:
                records[BASELINE].append(ask_baseline(baseline, chain, row, gold[row.id], articles))
    return records


# --- main -------------------------------------------------------------------------------------


def load_rows(path: Path, limit: int | None) -> list[QuestionRow]:
    rows = select(load_questions(from_root(path)), [], limit)
    filtered = [r.id for r in rows if r.source]
    if filtered:
        raise ConfigError(
            f"questions {', '.join(filtered)} restrict retrieval to an outlet; the baseline has "
            "no such filter, so they would not be compared fairly"
        )
    return rows


def corpus_notes(chunks: int, retrieve_k: int) -> list[str]:
    if chunks > retrieve_k:
        return []
    return [
        f"The corpus has {chunks} chunks and both pipelines retrieve {retrieve_k}: each sees "
        "every chunk, so retrieval quality cannot differ here (hits@k are trivially 100 %)."
    ]


def run(args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    settings = bench_settings(args.provider, args.data_dir or scratch / "data")
    rows = load_rows(args.questions, args.limit)
    report = build_index(settings, [settings.corpus_dir], progress=False)
    chain = open_chain(settings)
    try:
        baseline = build_baseline(
            settings, chain.store, chain.retriever.embedder, scratch / "chroma"
        )
        records = run_both(chain, baseline, rows, progress=not args.quiet)
        ours_model = chain.model.name if chain.model is not None else "none"
    finally:
        chain.close()
    ours = summarise(OURS, ours_model, records[OURS])
    theirs = summarise(BASELINE, baseline.llm.model_name, records[BASELINE])
    return {
        "questions": len(rows),
        "question_file": str(args.questions),
        "ratios": ratios(ours, theirs),
        "pipelines": {OURS: ours, BASELINE: theirs},
        "index": {
            "articles": len({a.id for _, a in baseline.chunks.values()}),
            "chunks": len(baseline.chunks),
            "our_ingest_s": report.seconds,
            "baseline_index_s": baseline.index_seconds,
        },
        "settings": {
            "retrieve_k": settings.answer.retrieve_k,
            "evidence_sentences": settings.answer.evidence_sentences,
            "llm": settings.llm.model_dump(mode="json"),
            "embedding_model": settings.embedding.model,
            "chunk_tokens": settings.chunking.chunk_tokens,
            "chat_template_reserve": CHAT_TEMPLATE_RESERVE,
        },
        "notes": NOTES + corpus_notes(len(baseline.chunks), settings.answer.retrieve_k),
        "per_question": per_question(records),
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    load_before = os.getloadavg()
    code = code_version()  # before the run: the commit it starts on is the one measured
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(
            prefix="baseline-bench-", ignore_cleanup_errors=True
        ) as tmp:
            results = run(args, Path(tmp))
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    results["elapsed_s"] = time.perf_counter() - started
    results |= provenance(load_before)
    results["machine"] |= {
        "llama_index_vector_stores_chroma": package_version("llama-index-vector-stores-chroma"),
        "peak_rss_mb": peak_rss_mb(),
    }
    results["code"] = code | {"commit_after": results["code"]["commit"]}
    print(table(results))
    write_report(args.out, results)
    print(f"commit {results['code']['commit']}; {results['elapsed_s']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
