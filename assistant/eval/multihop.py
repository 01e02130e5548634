"""MultiHop-RAG (Tang & Yang, COLM 2024; ODC-BY 1.0): 500 sampled queries.

The sample lacks the 609-article corpus, so the corpus is built from the evidence facts
(verbatim article sentences), grouped by article url with title, outlet and date.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.eval.benchmark import Benchmark, read_json, write_articles
from assistant.eval.questions import GoldEvidence, QuestionRow

REFERENCE = [
    "MultiHop-RAG paper (Tang & Yang 2024), full 2,556 queries: GPT-4 answer accuracy 0.56 "
    "with retrieved chunks, 0.89 with the gold evidence.",
]
NOTES = [
    "Corpus: the evidence facts of the 500 sampled queries, grouped into one article per url "
    "(the upstream 609-article corpus is not available), so retrieval is easier than upstream.",
    "Null queries (gold 'Insufficient information.') are the unanswerable ones: abstain_rate.",
]


def articles(truth: dict[str, Any]) -> list[dict[str, Any]]:
    """One article per evidence url: its facts in first-seen order, joined by blank lines."""
    by_url: dict[str, dict[str, Any]] = {}
    for entry in truth.values():
        for ev in entry["evidence_list"]:
            article = by_url.setdefault(
                ev["url"],
                {
                    "title": ev["title"],
                    "source": ev["source"],
                    "author": ev.get("author"),
                    "published": ev.get("published_at"),
                    "url": ev["url"],
                    "facts": [],
                },
            )
            if ev["fact"] not in article["facts"]:
                article["facts"].append(ev["fact"])
    out = []
    for article in by_url.values():
        facts = article.pop("facts")
        out.append(article | {"text": "\n\n".join(facts)})
    return out


def rows(queries: list[dict[str, Any]], truth: dict[str, Any]) -> list[QuestionRow]:
    out = []
    for q in queries:
        gold = truth[str(q["id"])]
        kind = q["question_type"].removesuffix("_query")
        null = kind == "null"
        out.append(
            QuestionRow(
                id=f"mh-{q['id']}",
                question=q["question"],
                type=kind,
                answerable=not null,
                answers=[] if null else [str(gold["answer"])],
                evidence=[]
                if null
                else [
                    GoldEvidence(article=ev["url"], quote=ev["fact"])
                    for ev in gold["evidence_list"]
                ],
            )
        )
    return out


def load(path: Path, scratch: Path) -> Benchmark:
    queries = read_json(path / "queries.json")["queries"]
    truth = read_json(path / "ground_truth.json")
    corpus = write_articles(scratch, "multihop", articles(truth))
    return Benchmark("multihop-rag", [corpus], rows(queries, truth), REFERENCE, NOTES)
