"""Reports: the terminal table, and summary.json, per_question.jsonl, report.md, chart.png."""

from __future__ import annotations

from pathlib import Path

from assistant.eval.gate import Delta
from assistant.eval.results import METRICS, RATE_METRICS, QuestionResult, RunSummary

CHART_METRICS = (
    "accuracy", "token_f1", "hits@4", "mrr@10", "span_validity", "citation_recall",
    "citation_precision", "faithfulness", "abstain_rate", "false_refusal_rate",
)  # fmt: skip
CHECKER_NOTE = (
    "Citation recall, citation precision and faithfulness use the answer chain's support "
    "checker (assistant.answer.verify.SupportChecker: content-word coverage, number and name "
    "anchors, MiniLM similarity; FaithBench claim-level ROC AUC about 0.64-0.67) in place of "
    "ALCE's NLI model. The chain filters its own sentences with the same checker, so these "
    "figures show that the filter holds, not an independent judgement of entailment."
)


def fmt(name: str, value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.2f} s" if name not in RATE_METRICS else f"{100 * value:.1f} %"


def _rows(summary: RunSummary) -> list[list[str]]:
    rows = [["metric", *(c.label for c in summary.configs)]]
    for name in METRICS:
        values = [c.metrics.get(name) for c in summary.configs]
        if any(v is not None for v in values):
            rows.append([name, *(fmt(name, v) for v in values)])
    return rows


def _align(rows: list[list[str]]) -> list[str]:
    """Rows as aligned text: first column left, the rest right, a rule under the header."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]
    return [lines[0], "  ".join("-" * w for w in widths), *lines[1:]]


def terminal_table(summary: RunSummary) -> str:
    """Metrics down, configs across, aligned for a terminal."""
    counts = ", ".join(
        f"{c.label}: {c.counts['answerable']} answerable + {c.counts['unanswerable']} unanswerable"
        for c in summary.configs
    )
    return "\n".join(
        [f"{summary.dataset}: {summary.questions} questions ({counts})", *_align(_rows(summary))]
    )


def delta_table(changes: list[Delta]) -> str:
    """Baseline, now and the change for every metric of every config."""
    rows = [["config", "metric", "baseline", "now", "change"]]
    for d in changes:
        change = (
            "–" if d.change is None else ("+" if d.change >= 0 else "") + _num(d.metric, d.change)
        )
        rows.append([d.label, d.metric, fmt(d.metric, d.baseline), fmt(d.metric, d.now), change])
    return "\n".join(_align(rows))


def _num(name: str, value: float) -> str:
    return f"{value:.2f} s" if name not in RATE_METRICS else f"{100 * value:.1f} pt"


def _md_table(rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * len(rows[0])]
    return out + ["| " + " | ".join(r) + " |" for r in rows[1:]]


def markdown(summary: RunSummary, results: list[QuestionResult], changes: list[Delta]) -> str:
    """report.md: metrics, per-type figures, references, deltas and the misses."""
    parts = [f"# Eval: {summary.dataset} ({summary.created})", "", *_setting(summary), ""]
    parts += [*_md_table(_rows(summary)), ""]
    for config in summary.configs:
        parts += [f"## By question type: {config.label}", ""]
        type_rows = [["type", "n", "accuracy", "abstain rate", "false refusals"]]
        for name, t in config.by_type.items():
            type_rows.append(
                [
                    name,
                    str(t["n"]),
                    *(
                        fmt("accuracy", _f(t[k]))
                        for k in ("accuracy", "abstain_rate", "false_refusal_rate")
                    ),
                ]
            )
        parts += [*_md_table(type_rows), ""]
    if summary.reference:
        parts += ["## Published reference", "", *(f"- {line}" for line in summary.reference), ""]
    if changes:
        parts += ["## Against the baseline", "", "```", delta_table(changes), "```", ""]
    parts += ["## Notes", "", f"- {CHECKER_NOTE}", *(f"- {n}" for n in summary.notes), ""]
    parts += ["## Misses", ""] + [_miss(r) for r in results if _missed(r)]
    return "\n".join(parts) + "\n"


def _setting(summary: RunSummary) -> list[str]:
    """Where the run's corpus came from and what it ran on, when the summary records it."""
    lines = []
    if summary.corpus:
        c = summary.corpus
        lines.append(f"- Corpus: {c.get('articles', '?')} articles from `{c.get('source', '?')}`")
    if summary.machine:
        m = summary.machine
        lines.append(
            f"- Machine: {m.get('cpu_count')} × {m.get('cpu_model')}, {m.get('memory_gib')} GiB, "
            f"Python {m.get('python')}, {m.get('platform')}"
        )
    return lines


def _f(value: float | int | None) -> float | None:
    return None if value is None else float(value)


def _missed(r: QuestionResult) -> bool:
    return (r.answerable and not r.correct) or (not r.answerable and not r.abstained)


def _miss(r: QuestionResult) -> str:
    answer = " ".join(r.answer.split())[:160]
    return f"- `{r.config}` {r.id} ({r.type}): {answer}"


def chart(path: Path, summary: RunSummary, baseline: RunSummary | None) -> None:
    """A grouped bar chart of the rate metrics, one bar per config (and baseline)."""
    import matplotlib

    matplotlib.use("Agg")  # no display: write the file only
    import matplotlib.pyplot as plt

    series = [(c.label, c.metrics) for c in summary.configs]
    if baseline is not None:
        series += [(f"baseline {c.label}", c.metrics) for c in baseline.configs]
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(12, 4.5))
    for i, (label, metrics) in enumerate(series):
        xs = [j + i * width for j in range(len(CHART_METRICS))]
        ax.bar(xs, [metrics.get(m) or 0.0 for m in CHART_METRICS], width, label=label)
    ax.set_xticks(
        [j + 0.4 - width / 2 for j in range(len(CHART_METRICS))],
        CHART_METRICS,
        rotation=30,
        ha="right",
    )
    ax.set_ylim(0, 1.05)
    ax.set_title(f"{summary.dataset} ({summary.questions} questions)")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_run(
    folder: Path, summary: RunSummary, results: list[QuestionResult],
    changes: list[Delta], baseline: RunSummary | None,
) -> None:  # fmt: skip
    """Write the four report files into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.json").write_text(summary.model_dump_json(indent=2) + "\n", encoding="utf-8")
    with (folder / "per_question.jsonl").open("w", encoding="utf-8") as fh:
        for r in results:
            fh.write(r.model_dump_json() + "\n")
    (folder / "report.md").write_text(markdown(summary, results, changes), encoding="utf-8")
    chart(folder / "chart.png", summary, baseline)
