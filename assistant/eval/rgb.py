"""RGB counterfactual robustness, ``en_fact`` (Chen et al., AAAI 2024; CC BY-NC-SA 4.0).

Each query gets its own outlet (``rgb-<id>``) holding the snippets with the planted false
answer plus the distractors; retrieval is restricted to it, as RGB hands each query its docs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.eval.benchmark import Benchmark, read_jsonl, write_articles
from assistant.eval.questions import QuestionRow

NOTES = [
    "misled_rate: answers that repeat the planted false answer; accuracy: answers that contain "
    "the true one (not in any supplied snippet). The assistant has no conflict flag: it "
    "reports what its sources say, with citations, so RGB's error-detection rate is 0 by "
    "design; abstaining (false_refusal_rate here) is the only way it declines.",
    "RGB reference (ChatGPT, counterfactual): error detection 9 %, error correction 57 % "
    "when told the documents may contain errors.",
]


def _aliases(answer: Any) -> list[str]:
    """RGB answers are a string or (nested) lists of alternative strings."""
    if isinstance(answer, str):
        return [answer]
    return [a for item in answer for a in _aliases(item)]


def articles(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for r in records:
        for j, text in enumerate(r["positive_wrong"] + r["negative"]):
            out.append(
                {"title": f"{r['query']} ({j + 1})", "text": text, "source": f"rgb-{r['id']}"}
            )
    return out


def rows(records: list[dict[str, Any]]) -> list[QuestionRow]:
    return [
        QuestionRow(
            id=f"rgb-{r['id']}",
            question=r["query"],
            answers=_aliases(r["answer"]),
            false_answers=[r["fakeanswer"]],
            answerable=True,
            type="counterfactual",
            source=f"rgb-{r['id']}",
        )
        for r in records
    ]


def load(path: Path, scratch: Path) -> Benchmark:
    records = read_jsonl(path / "en_fact.json")
    corpus = write_articles(scratch, "rgb_en_fact", articles(records))
    return Benchmark("rgb-fact", [corpus], rows(records), [], NOTES)
