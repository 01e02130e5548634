"""RealTimeQA (Kasai et al., NeurIPS 2023; no licence stated): 120 multiple-choice questions.

The corpus is the 828 unique articles Google search returned for them. A question counts as
answerable when its gold choice occurs in one of its own returned articles (58 of 120).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from assistant.eval.benchmark import Benchmark, read_jsonl, write_articles
from assistant.eval.questions import EvalDataError, GoldEvidence, QuestionRow

NOTES = [
    "Answers are mapped to a choice: the choice named in the answer (earliest), else the "
    "choice with the best token F1; an abstention picks none.",
    "Answerable = the gold choice occurs in an article returned for that question; retrieval "
    "Hits@k count a retrieved chunk containing the gold choice text.",
]


def _texts(gcs: dict[str, Any]) -> str:
    return "\n".join(r.get("text") or "" for r in gcs["search_result"]).casefold()


def rows(qa: list[dict[str, Any]], gcs: dict[str, dict[str, Any]]) -> list[QuestionRow]:
    out = []
    for q in qa:
        gold = q["choices"][int(q["answer"][0])]
        found = gold.casefold() in _texts(gcs.get(q["question_id"], {"search_result": []}))
        out.append(
            QuestionRow(
                id=f"rtqa-{q['question_id']}",
                question=q["question_sentence"],
                answers=[gold],
                choices=q["choices"],
                answerable=found,
                type="in-articles" if found else "not-in-articles",
                evidence=[GoldEvidence(quote=gold)] if found else [],
            )
        )
    return out


def outlet(url: str) -> str:
    """The outlet of an article, from its url: ``https://www.cnn.com/...`` -> ``cnn.com``."""
    host = urlparse(url).hostname or "unknown"
    return host.removeprefix("www.")


def articles(dataset: Path) -> list[dict[str, Any]]:
    """Unique (by url) articles of every ``*_gcs.jsonl`` file, in file order."""
    files = sorted(dataset.glob("*_gcs.jsonl"))
    if not files:
        raise EvalDataError(f"no *_gcs.jsonl files in {dataset}; pass --path")
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for path in files:
        for record in read_jsonl(path):
            for result in record["search_result"]:
                url = result["url"]
                if url in seen or not result.get("text"):
                    continue
                seen.add(url)
                authors = result.get("authors") or []
                out.append({
                    "title": result.get("title") or url, "text": result["text"], "url": url,
                    "source": outlet(url), "authors": authors if isinstance(authors, list) else [],
                    "publish_date": result.get("publish_date"),
                })  # fmt: skip
    return out


def write_corpus(dataset: Path, target: Path) -> Path:
    """The dataset's articles as JSONL files in ``target`` (``write_articles``); returns it."""
    return write_articles(target, "realtimeqa", articles(dataset))


def unseen(path: Path, count: int) -> list[QuestionRow]:
    """``count`` of this dataset's questions, evenly spaced, as unanswerable rows for an index
    that lacks their weeks: the news they ask about is not there (held-out weeks, as a user
    asks of last month's news)."""
    qa = [q for f in sorted(path.glob("*_qa.jsonl")) for q in read_jsonl(f)]
    if not qa:
        raise EvalDataError(f"no *_qa.jsonl files in {path}; check --unseen's dataset folder")
    picked = [qa[i * len(qa) // count] for i in range(min(count, len(qa)))]
    return [_unseen_row(q) for q in picked]


def _unseen_row(q: dict[str, Any]) -> QuestionRow:
    return QuestionRow(
        id=f"unseen-{q['question_id']}", question=q["question_sentence"], answerable=False,
        type="other-weeks",
    )  # fmt: skip


def load(path: Path, scratch: Path) -> Benchmark:
    qa_files = sorted(path.glob("*_qa.jsonl"))
    if not qa_files or not list(path.glob("*_gcs.jsonl")):
        raise EvalDataError(f"no *_qa.jsonl / *_gcs.jsonl files in {path}; pass --path")
    qa = [q for f in qa_files for q in read_jsonl(f)]
    gcs = {g["question_id"]: g for f in sorted(path.glob("*_gcs.jsonl")) for g in read_jsonl(f)}
    return Benchmark("realtimeqa", [write_corpus(path, scratch)], rows(qa, gcs), [], NOTES)
