"""Answer quality and latency on our question set: ``python -m benchmarks.answer``.

For each provider: share of answerable questions whose answer contains a gold answer, share
of unanswerable ones that abstain, citation validity (quote == article_text[start:end]),
supported sentences that fail the checker (must be 0), time to first token and total time
(p50/p95), and the share of time spent outside embedding and generation.
The corpus is corpus/ plus RealTimeQA's articles (read from ../shared at run time).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assistant.answer.chain import AnswerChain, Delta
from assistant.answer.llm import build_model, bundled_gguf
from assistant.answer.prompts import PromptLibrary
from assistant.answer.verify import SupportChecker
from assistant.config import Settings
from assistant.index.embedding import Embedder, build_embedder
from assistant.index.indexer import Index, Indexer, IngestReport
from assistant.retrieve.hybrid import HybridRetriever
from assistant.types import Answer
from benchmarks import servers
from benchmarks.common import percentile, provenance, write_report
from benchmarks.realtimeqa import DEFAULT_DATASET, write_corpus

REPO = Path(__file__).resolve().parent.parent


class TimedEmbedder:
    """Wraps an embedder and adds up the seconds spent in it."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_name = inner.model_name
        self.max_tokens = inner.max_tokens
        self.dimension = inner.dimension
        self.seconds = 0.0

    def tokenize(self, text: str) -> list[int]:
        return self.inner.tokenize(text)

    def get_query_embedding(self, query: str) -> list[float]:
        started = time.perf_counter()
        try:
            return self.inner.get_query_embedding(query)
        finally:
            self.seconds += time.perf_counter() - started

    def get_text_embedding_batch(
        self, texts: list[str], show_progress: bool = False
    ) -> list[list[float]]:
        started = time.perf_counter()
        try:
            return self.inner.get_text_embedding_batch(texts)
        finally:
            self.seconds += time.perf_counter() - started


def questions(path: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def build_index(settings: Settings, dataset: Path, scratch: Path) -> IngestReport:
    """Ingest corpus/ and RealTimeQA into ``settings.data_dir`` (incremental)."""
    write_corpus(dataset, scratch / "realtimeqa")
    embedder = build_embedder(settings.embedding)
    index = Index.open(settings, embedder)
    try:
        report = Indexer(settings, embedder, index).run(
            [REPO / "corpus", scratch / "realtimeqa"], progress=False
        )
    finally:
        index.close()
    print(
        f"index: {report.added} added, {report.unchanged} unchanged, {report.chunks} chunks embedded"
    )
    return report


def evaluate(settings: Settings, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Run every question through the chain of ``settings``; return the figures."""
    embedder = TimedEmbedder(build_embedder(settings.embedding))
    index = Index.open(settings, embedder)
    checker = SupportChecker(embedder, settings.answer.support_threshold)
    chain = AnswerChain(
        settings.answer, HybridRetriever(settings.retrieval, embedder, index), checker,
        build_model(settings.llm), PromptLibrary(settings.answer.prompts_dir), settings.llm.provider,
    )  # fmt: skip
    figures: dict[str, Any] = {"answered": 0, "answerable": 0, "abstained": 0, "unanswerable": 0}
    figures |= {"citations": 0, "exact_citations": 0, "supported_failing_check": 0}
    ttft, total, outside, failures = [], [], [], []
    try:
        chain.answer("warm-up question about the talks in Rome")
        for row in rows:
            embedder.seconds = 0.0
            answer, first, seconds = _timed(chain, row)
            ttft.append(first)
            total.append(seconds)
            generation = answer.timings.get("first_token", 0.0) + answer.timings.get(
                "generate", 0.0
            )
            outside.append(max(0.0, seconds - embedder.seconds - generation))
            ok = _score(chain, checker, row, answer, figures)
            if not ok:
                failures.append({"id": row["id"], "answer": answer.text[:160]})
    finally:
        chain.close()
    figures |= {
        "answer_contains_gold": figures["answered"] / max(1, figures["answerable"]),
        "abstain_rate_unanswerable": figures["abstained"] / max(1, figures["unanswerable"]),
        "citation_validity": figures["exact_citations"] / max(1, figures["citations"]),
        "ttft_p50_s": percentile(ttft, 50), "ttft_p95_s": percentile(ttft, 95),
        "total_p50_s": percentile(total, 50), "total_p95_s": percentile(total, 95),
        "share_outside_embedding_and_generation": sum(outside) / sum(total),
        "failures": failures,
    }  # fmt: skip
    return figures


def _timed(chain: AnswerChain, row: dict[str, Any]) -> tuple[Answer, float, float]:
    started = time.perf_counter()
    first = None
    for event in chain.stream(row["question"], row.get("history")):
        if first is None:
            first = time.perf_counter() - started  # first streamed token, or the whole answer
        if isinstance(event, Answer):
            return event, first, time.perf_counter() - started
        assert isinstance(event, Delta)
    raise AssertionError("no answer")


def _score(
    chain: AnswerChain,
    checker: SupportChecker,
    row: dict[str, Any],
    answer: Answer,
    figures: dict[str, Any],
) -> bool:
    for citation in answer.citations:
        article = chain.store.get(citation.article_id)
        figures["citations"] += 1
        figures["exact_citations"] += bool(
            article and article.text[citation.start : citation.end] == citation.quote
        )
    quotes = {c.n: c.quote for c in answer.citations}
    for sentence in answer.sentences:
        if sentence.supported and not checker.supported(
            checker.check(sentence.text, [quotes[n] for n in sentence.citations])
        ):
            figures["supported_failing_check"] += 1
    if row["answerable"]:
        figures["answerable"] += 1
        ok = any(str(a).casefold() in answer.text.casefold() for a in row["answers"])
        figures["answered"] += ok
        return ok
    figures["unanswerable"] += 1
    figures["abstained"] += answer.abstained
    return answer.abstained


@contextmanager
def llama_server(port: int) -> Iterator[str]:
    """The bundled model behind llama-cpp-python's OpenAI-compatible server on 127.0.0.1."""
    command = servers.llama_server(str(bundled_gguf()), port, "--n_ctx", "4096")
    with servers.running(command, f"http://127.0.0.1:{port}/v1/models", seconds=120):
        yield f"http://127.0.0.1:{port}/v1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", type=Path, default=REPO / DEFAULT_DATASET)
    parser.add_argument("--questions", type=Path, default=REPO / "evals" / "questions.jsonl")
    parser.add_argument(
        "--data-dir", type=Path, help="reuse this index (default: a fresh temp dir)"
    )
    parser.add_argument("--providers", default="llamacpp,extractive,openai")
    parser.add_argument(
        "--port", type=int, default=0, help="for the local llama.cpp server (0: a free port)"
    )
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "answer.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = args.data_dir or Path(scratch) / "data"
        base = Settings(data_dir=data_dir, corpus_dir=REPO / "corpus")
        build_index(base, args.dataset, Path(scratch))
        rows = questions(args.questions)
        results: dict[str, Any] = {}
        for provider in args.providers.split(","):
            llm: dict[str, Any] = {"provider": provider}
            if provider == "openai":
                with llama_server(args.port or servers.free_port()) as url:
                    llm |= {"model": "smollm2", "base_url": url, "structured": "json_object"}
                    results[provider] = evaluate(_with_llm(base, llm), rows)
            else:
                results[provider] = evaluate(_with_llm(base, llm), rows)
            _print(provider, results[provider])
    write_report(args.out, results | provenance())


def _with_llm(settings: Settings, llm: dict[str, Any]) -> Settings:
    from assistant.config import LLMSettings

    return settings.model_copy(
        update={"llm": LLMSettings.model_validate(settings.llm.model_dump() | llm)}
    )


def _print(provider: str, f: dict[str, Any]) -> None:
    print(
        f"{provider:>10}: gold in answer {f['answered']}/{f['answerable']} ({f['answer_contains_gold']:.0%}), "
        f"abstained {f['abstained']}/{f['unanswerable']} ({f['abstain_rate_unanswerable']:.0%}), "
        f"citations exact {f['citation_validity']:.0%} of {f['citations']}, "
        f"supported-but-failing {f['supported_failing_check']}, "
        f"TTFT p50 {f['ttft_p50_s']:.2f}s p95 {f['ttft_p95_s']:.2f}s, "
        f"total p50 {f['total_p50_s']:.2f}s p95 {f['total_p95_s']:.2f}s, "
        f"outside embed+gen {f['share_outside_embedding_and_generation']:.1%}"
    )
    print("  misses:", ", ".join(x["id"] for x in f["failures"]) or "none")


if __name__ == "__main__":
    main()
