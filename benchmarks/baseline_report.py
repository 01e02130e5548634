"""The figures of ``python -m benchmarks.baseline``: each pipeline's aggregate, the latency
ratios, every scored answer, and the printed table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant.eval.report import fmt
from assistant.eval.results import TIME_METRICS, QuestionResult, aggregate
from assistant.types import Answer
from benchmarks.llamaindex_pipeline import NO_SOURCE

OURS, BASELINE = "ours", "llama-index"
TABLE = (
    *TIME_METRICS, "accuracy", "citation_precision",
    "citation_recall", "faithfulness", "span_validity", "abstain_rate", "false_refusal_rate",
)  # fmt: skip


@dataclass
class Record:
    """One pipeline's scored answer to one question."""

    result: QuestionResult
    answer: Answer
    llm_calls: int | None = None  # the baseline's model calls (a refine step adds calls)


def summarise(name: str, model: str, records: list[Record]) -> dict[str, Any]:
    """The eval's aggregate of one pipeline, plus what only this comparison shows."""
    summary = aggregate(name, "llamacpp", model, [r.result for r in records])
    calls = [r.llm_calls for r in records if r.llm_calls is not None]
    extra = {
        "citations": summary.counts["citations"],
        "invalid_citations": sum(r.result.citations - r.result.valid_citations for r in records),
        "markers_without_source": sum(
            c.title == NO_SOURCE for r in records for c in r.answer.citations
        ),
        "answers_without_citations": sum(not r.answer.citations for r in records),
        "llm_calls_per_question": sum(calls) / len(calls) if calls else None,
    }
    return summary.model_dump() | {"extra": extra}


def ratios(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, float | None]:
    """Ours / baseline of the latency figures."""
    out: dict[str, float | None] = {}
    for name in TIME_METRICS:
        mine, other = ours["metrics"][name], theirs["metrics"][name]
        out[name] = mine / other if mine is not None and other else None
    return out


def per_question(records: dict[str, list[Record]]) -> list[dict[str, Any]]:
    """Every scored answer with its citations (article, offsets, quote) and model calls."""
    return [
        r.result.model_dump()
        | {
            "citation_spans": [
                c.model_dump(include={"n", "article_id", "start", "end", "quote"})
                for c in r.answer.citations
            ],
            "llm_calls": r.llm_calls,
        }
        for rows in records.values()
        for r in rows
    ]


def table(results: dict[str, Any]) -> str:
    """Metrics down; ours, the baseline and ours/baseline across."""
    ours, theirs = results["pipelines"][OURS], results["pipelines"][BASELINE]
    rows = [["metric", OURS, BASELINE, "ours/baseline"]]
    for name in TABLE:
        ratio = results["ratios"].get(name)
        shown = f"{ratio:.2f}x" if ratio is not None else ""
        rows.append(
            [name, fmt(name, ours["metrics"][name]), fmt(name, theirs["metrics"][name]), shown]
        )
    for name in ("citations", "invalid_citations", "llm_calls_per_question"):
        mine, other = ours["extra"][name], theirs["extra"][name]
        rows.append([name, _count(mine), _count(other), ""])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]
    counts = ours["counts"]
    head = f"{counts['questions']} questions ({counts['answerable']} answerable, {counts['unanswerable']} unanswerable)"
    return "\n".join([head, lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def _count(value: float | int | None) -> str:
    if value is None:
        return "–"
    return f"{value:.2f}" if isinstance(value, float) else str(value)
