"""Result shapes (per question, per config, per run) and the aggregation between them."""

from __future__ import annotations

from collections import defaultdict
from statistics import fmean
from typing import Any

from pydantic import BaseModel, Field

from assistant.eval.metrics import percentile

# Rates in [0, 1]; the chart shows these.
RATE_METRICS = (
    "accuracy", "token_f1", "hits@1", "hits@4", "hits@10", "mrr@10", "map@10",
    "span_validity", "citation_recall", "citation_precision", "faithfulness",
    "abstain_rate", "false_refusal_rate", "misled_rate", "short_answer_rate", "short_answer_em",
)  # fmt: skip
TIME_METRICS = ("latency_p50_s", "latency_p95_s", "ttft_p50_s", "ttft_p95_s")
METRICS = RATE_METRICS + TIME_METRICS
# --fail-over takes these (a ceiling); --fail-under takes the rest (a floor).
LOWER_IS_BETTER = ("false_refusal_rate", "misled_rate", *TIME_METRICS)
HIGHER_IS_BETTER = tuple(m for m in METRICS if m not in LOWER_IS_BETTER)


class QuestionResult(BaseModel):
    """What one question scored under one config."""

    config: str
    id: str
    type: str
    question: str
    answerable: bool
    answer: str
    abstained: bool
    fallback: bool
    correct: bool | None = Field(description="answerable only: gold alias (or choice) matched")
    f1: float | None
    choice: int | None = None
    misled: bool | None = Field(default=None, description="repeats a planted false answer")
    gold_rank: int | None = Field(default=None, description="first relevant hit in the top 10")
    ap10: float | None = None
    retrieval_scored: bool = False
    citations: int
    valid_citations: int
    sentences: int
    supported_sentences: int
    citation_recall: float | None
    citation_precision: float | None
    seconds: float
    ttft: float = Field(description="seconds to the first shown (checked) answer")
    short_answer: str | None = None
    short_exact: bool | None = Field(
        default=None, description="correct answers: the short answer is a gold alias"
    )


class ConfigSummary(BaseModel):
    """Aggregated metrics of one config (settings file and provider)."""

    label: str
    provider: str
    model: str
    counts: dict[str, int]
    metrics: dict[str, float | None]
    by_type: dict[str, dict[str, float | int | None]]


class RunSummary(BaseModel):
    """Everything ``summary.json`` holds."""

    created: str
    dataset: str
    questions: int
    configs: list[ConfigSummary]
    reference: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    # what was searched and where it ran, so a saved summary can be read on its own
    corpus: dict[str, str | int] = Field(default_factory=dict)
    machine: dict[str, Any] = Field(default_factory=dict)


def _mean(values: list[float]) -> float | None:
    return fmean(values) if values else None


def _rate(flags: list[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def aggregate(label: str, provider: str, model: str, rows: list[QuestionResult]) -> ConfigSummary:
    """Per-config metrics from per-question results (formulas in evals/README.md)."""
    answerable = [r for r in rows if r.answerable]
    unanswerable = [r for r in rows if not r.answerable]
    scored = [r for r in answerable if r.retrieval_scored]
    with_sentences = [r for r in rows if r.citation_recall is not None]
    planted = [r for r in rows if r.misled is not None]
    correct = [r for r in answerable if r.correct]
    citations = sum(r.citations for r in rows)
    sentences = sum(r.sentences for r in rows)
    ranks = [r.gold_rank for r in scored]
    metrics: dict[str, float | None] = {
        "accuracy": _rate([bool(r.correct) for r in answerable]),
        "token_f1": _mean([r.f1 or 0.0 for r in answerable]),
        "hits@1": _rate([k is not None and k <= 1 for k in ranks]),
        "hits@4": _rate([k is not None and k <= 4 for k in ranks]),
        "hits@10": _rate([k is not None for k in ranks]),
        "mrr@10": _mean([1 / k if k else 0.0 for k in ranks]),
        "map@10": _mean([r.ap10 or 0.0 for r in scored]),
        "span_validity": sum(r.valid_citations for r in rows) / citations if citations else None,
        "citation_recall": _mean([r.citation_recall or 0.0 for r in with_sentences]),
        "citation_precision": _mean([r.citation_precision or 0.0 for r in with_sentences]),
        "faithfulness": sum(r.supported_sentences for r in rows) / sentences if sentences else None,
        "abstain_rate": _rate([r.abstained for r in unanswerable]),
        "false_refusal_rate": _rate([r.abstained for r in answerable]),
        "misled_rate": _rate([bool(r.misled) for r in planted]),
        "short_answer_rate": _rate([r.short_answer is not None for r in correct]),
        "short_answer_em": _rate([bool(r.short_exact) for r in correct if r.short_answer]),
        "latency_p50_s": percentile([r.seconds for r in rows], 50),
        "latency_p95_s": percentile([r.seconds for r in rows], 95),
        "ttft_p50_s": percentile([r.ttft for r in rows], 50),
        "ttft_p95_s": percentile([r.ttft for r in rows], 95),
    }
    counts = {
        "questions": len(rows), "answerable": len(answerable), "unanswerable": len(unanswerable),
        "retrieval_scored": len(scored), "citations": citations, "sentences": sentences,
        "answers_with_sentences": len(with_sentences), "planted": len(planted),
    }  # fmt: skip
    return ConfigSummary(
        label=label, provider=provider, model=model, counts=counts, metrics=metrics,
        by_type=by_type(rows),
    )  # fmt: skip


def by_type(rows: list[QuestionResult]) -> dict[str, dict[str, float | int | None]]:
    """Accuracy (answerable) or abstain rate (unanswerable) per question type."""
    groups: dict[str, list[QuestionResult]] = defaultdict(list)
    for r in rows:
        groups[r.type].append(r)
    out: dict[str, dict[str, float | int | None]] = {}
    for name, group in sorted(groups.items()):
        answerable = [r for r in group if r.answerable]
        out[name] = {
            "n": len(group),
            "accuracy": _rate([bool(r.correct) for r in answerable]),
            "abstain_rate": _rate([r.abstained for r in group if not r.answerable]),
            "false_refusal_rate": _rate([r.abstained for r in answerable]),
        }
    return out
