"""Convert RealTimeQA's retrieved news articles into the assistant's JSONL article format.

The dataset has no licence: it is read from ``../shared`` at run time and the converted file
goes to a scratch directory, never into the repository.
"""

from __future__ import annotations

import json
from pathlib import Path

from assistant.eval.benchmark import write_articles
from assistant.eval.realtimeqa import articles

DEFAULT_DATASET = Path("../shared/datasets/realtimeqa_2024jan_sample")


def benchmark_queries(dataset: Path, count: int) -> list[str]:
    """RealTimeQA's questions, then article titles, up to ``count`` distinct queries."""
    queries: list[str] = []
    for path in sorted(dataset.glob("*_qa.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                queries.append(str(json.loads(line)["question_sentence"]))
    seen = set(queries)
    for row in articles(dataset):
        if len(queries) >= count:
            break
        title = str(row["title"]).strip()
        if title and title not in seen:
            seen.add(title)
            queries.append(title)
    return queries[:count]


def write_corpus(dataset: Path, target: Path) -> int:
    """Write the articles as JSONL files in ``target`` (``write_articles``); returns how many."""
    rows = articles(dataset)
    write_articles(target, "realtimeqa", rows)
    return len(rows)
