"""Sentence-level training data for the evidence model, derived from the question sets.

For each question, candidate sentences are drawn from a pool of articles: its own articles
(answerable when a gold answer or gold fact is in them) or another week's (unanswerable: the
index lacks the news asked about). The best ``per_question`` sentences by word overlap stand in
for what retrieval returns. A sentence is positive when it holds a gold alias (whole words) or a
gold evidence fact. The datasets are read from ``../shared`` at run time; nothing is copied.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.answer.features import (
    Candidate,
    QuestionInfo,
    can_answer,
    context_stems,
    lexical_score,
    question_info,
)
from assistant.eval.metrics import contains_alias
from assistant.eval.multihop import articles as multihop_articles
from assistant.ingest.chunking import sentence_spans


@dataclass(frozen=True)
class PoolArticle:
    title: str
    text: str
    url: str = ""


@dataclass
class Group:
    """One question with its candidate sentences and their labels."""

    dataset: str
    qid: str
    question: str
    answerable: bool
    candidates: list[Candidate] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    cosines: list[float] = field(default_factory=list)  # filled in by train_evidence.annotate


@dataclass
class _Sentences:
    """The sentences of a pool of articles, with their stems, computed once per pool."""

    items: list[Candidate]
    stems: list[set[str]]
    urls: list[str]  # the article each sentence is from

    @classmethod
    def of(cls, articles: Iterable[PoolArticle]) -> _Sentences:
        items, stems, urls = [], [], []
        for article in articles:
            previous = ""
            for start, end in sentence_spans(article.text):
                text = article.text[start:end]
                if can_answer(text):
                    items.append(Candidate(text, previous, article.title, start, ()))
                    stems.append(context_stems(items[-1]))
                    urls.append(article.url)
                previous = text
        return cls(items, stems, urls)

    def best(self, q: QuestionInfo, count: int) -> list[tuple[Candidate, str]]:
        """The ``count`` sentences with the most question words, each with its article's url."""
        scored = [(lexical_score(q, stems), i) for i, stems in enumerate(self.stems)]
        scored.sort(key=lambda x: (-x[0], x[1]))
        return [(self.items[i], self.urls[i]) for _, i in scored[:count]]


def _label(text: str, aliases: list[str], facts: list[str]) -> int:
    flat = " ".join(text.split())
    return int(
        contains_alias(flat, aliases)
        or any(f and (f in flat or (len(flat) > 40 and flat in f)) for f in facts)
    )


def _group(
    dataset: str, qid: str, question: str, pool: _Sentences, count: int,
    aliases: list[str], facts: list[str], answerable: bool,
) -> Group:  # fmt: skip
    q = question_info(question)
    chosen = [c for c, _ in pool.best(q, count)]
    labels = [_label(c.text, aliases, facts) if answerable else 0 for c in chosen]
    return Group(dataset, qid, question, answerable, chosen, labels)


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def realtimeqa(name: str, folder: Path, count: int, shift: int) -> list[Group]:
    """Each week's answerable questions against their own articles, and every question
    against the articles of the week ``shift`` weeks on (unanswerable there)."""
    weeks = sorted(p.name.removesuffix("_qa.jsonl") for p in folder.glob("*_qa.jsonl"))
    pools: dict[str, _Sentences] = {}
    questions: dict[str, list[tuple[dict[str, Any], list[PoolArticle]]]] = {}
    for week in weeks:
        gcs = {g["question_id"]: g for g in _read_jsonl(folder / f"{week}_gcs.jsonl")}
        seen: dict[str, PoolArticle] = {}
        rows = []
        for q in _read_jsonl(folder / f"{week}_qa.jsonl"):
            own = [
                PoolArticle(r.get("title") or "", r["text"])
                for r in gcs.get(q["question_id"], {}).get("search_result", [])
                if r.get("text")
            ]
            for r in gcs.get(q["question_id"], {}).get("search_result", []):
                if r.get("text"):
                    seen.setdefault(r["url"], PoolArticle(r.get("title") or "", r["text"]))
            rows.append((q, own))
        pools[week] = _Sentences.of(seen.values())
        questions[week] = rows
    groups = []
    for i, week in enumerate(weeks):
        other = pools[weeks[(i + shift) % len(weeks)]]
        for q, own in questions[week]:
            gold = q["choices"][int(q["answer"][0])]
            text = q["question_sentence"]
            if gold.casefold() in "\n".join(a.text for a in own).casefold():
                pool = _Sentences.of(own)
                groups.append(_group(name, q["question_id"], text, pool, count, [gold], [], True))
            groups.append(
                _group(name, q["question_id"] + "-other", text, other, count, [], [], False)
            )
    return groups


def multihop(folder: Path, count: int) -> list[Group]:
    """MultiHop-RAG over its evidence-fact articles; null queries are the unanswerable ones."""
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    queries = json.loads((folder / "queries.json").read_text(encoding="utf-8"))["queries"]
    pool = _Sentences.of(PoolArticle(a["title"], a["text"]) for a in multihop_articles(truth))
    groups = []
    for q in queries:
        gold = truth[str(q["id"])]
        null = q["question_type"] == "null_query"
        facts = [" ".join(ev["fact"].split()) for ev in gold["evidence_list"]]
        groups.append(
            _group("multihop-rag", str(q["id"]), q["question"], pool, count, [], facts, not null)
        )
    return groups


def _body(text: str) -> str:
    """The text after a YAML front matter block, if there is one."""
    if text.startswith("---"):
        end = text.find("\n---", 3)
        return text[end + 4 :] if end > 0 else text
    return text


def ours(questions: Path, corpus: Path, count: int) -> list[Group]:
    """Our question set over the files of ``corpus`` (plain text articles)."""
    pool = _Sentences.of(
        PoolArticle(p.stem, _body(p.read_text(encoding="utf-8")))
        for p in sorted(corpus.glob("*.txt"))
    )
    groups = []
    for row in _read_jsonl(questions):
        if row.get("history"):
            continue  # follow-ups are scored through the chain, not here
        facts = [" ".join(e["quote"].split()) for e in row.get("evidence", []) if e.get("quote")]
        groups.append(
            _group("questions", row["id"], row["question"], pool, count,
                   row.get("answers", []), facts, row["answerable"])
        )  # fmt: skip
    return groups


def needles(questions: Path, folder: Path, count: int) -> list[Group]:
    """Questions written in a reader's words about single RealTimeQA articles
    (``evals/needles*.jsonl``), over the articles of the row's ``week`` or of the whole dataset.
    A sentence is positive when it is in the gold article and holds a gold alias or overlaps the
    gold sentence (offsets into the dataset's text, so no text is copied into the project)."""
    from assistant.eval.realtimeqa import articles

    every = [PoolArticle(a["title"], a["text"], a["url"]) for a in articles(folder)]
    by_url = {a.url: a for a in every}
    pools: dict[str, _Sentences] = {}
    groups = []
    for row in _read_jsonl(questions):
        week = row.get("week", "")
        if week not in pools:
            pools[week] = _Sentences.of(_week(folder, week, by_url) if week else every)
        gold = {ev["article"]: (ev["start"], ev["end"]) for ev in row["evidence"]}
        q = question_info(row["question"])
        chosen = pools[week].best(q, count)
        labels = [
            int(url in gold and (_label(c.text, row["answers"], []) or _overlaps(c, gold[url])))
            for c, url in chosen
        ]
        groups.append(Group(questions.stem, row["id"], row["question"], row["answerable"],
                            [c for c, _ in chosen], labels))  # fmt: skip
    return groups


def _overlaps(c: Candidate, span: tuple[int, int]) -> bool:
    return c.start < span[1] and span[0] < c.start + len(c.text)


def _week(folder: Path, week: str, by_url: dict[str, PoolArticle]) -> list[PoolArticle]:
    """The articles retrieved for one week's questions (``<week>_gcs.jsonl``)."""
    urls = dict.fromkeys(
        r["url"] for g in _read_jsonl(folder / f"{week}_gcs.jsonl") for r in g["search_result"]
    )
    return [by_url[u] for u in urls if u in by_url]
