"""The evidence model's training: sentence labels from question files, the constrained fit and
the abstention threshold (synthetic data; the real run is ``python -m
assistant.eval.train_evidence``, reported in evals/README.md)."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import numpy as np

from assistant.answer.features import FEATURES
from assistant.eval import evidence_data, train_evidence
from assistant.eval.evidence_data import Group
from assistant.eval.questions import load_questions
from tests.conftest import REPO

ARTICLE = (
    "The city council met on Tuesday. Mayor Jane Ortiz said the new bridge will open in "
    "March. Work on the bridge began in 2023. Critics said the project cost too much."
)
OTHER = "A storm hit the coast on Monday. Thousands of homes lost power, officials said."


def _dataset(folder: Path) -> None:
    record = {"question_id": "q1", "search_result": [
        {"url": "https://a.example/bridge", "title": "Bridge to open", "text": ARTICLE},
        {"url": "https://b.example/storm", "title": "Storm", "text": OTHER},
    ]}  # fmt: skip
    (folder / "20250101_gcs.jsonl").write_text(json.dumps(record) + "\n")


def test_needle_labels_mark_the_gold_sentence_of_the_gold_article(tmp_path: Path) -> None:
    _dataset(tmp_path)
    start = ARTICLE.index("Mayor")
    rows = [
        {"id": "n-1", "week": "20250101", "question": "When will the bridge open, says the mayor?",
         "answers": ["March"], "answerable": True,
         "evidence": [{"article": "https://a.example/bridge", "start": start,
                       "end": ARTICLE.index("Work")}]},
        {"id": "n-2", "question": "How much did the storm cost insurers?", "answers": [],
         "answerable": False, "evidence": []},
    ]  # fmt: skip
    questions = tmp_path / "needles.jsonl"
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows))
    answerable, unanswerable = evidence_data.needles(questions, tmp_path, count=10)
    positives = [c.text for c, y in zip(answerable.candidates, answerable.labels, strict=True) if y]
    assert positives == [ARTICLE[start : ARTICLE.index(" Work")]]
    assert answerable.answerable and not unanswerable.answerable
    assert unanswerable.candidates and not any(unanswerable.labels)


def _synthetic(
    name: str, seed: int, n: int = 60
) -> tuple[list[Group], np.ndarray, np.ndarray, np.ndarray]:
    """``n`` answerable and ``n`` unanswerable questions of 5 sentences; the answering
    sentence has a higher cosine and overlap."""
    rng = np.random.default_rng(seed)
    groups, rows, labels, owners = [], [], [], []
    for g in range(2 * n):
        answerable = g < n
        groups.append(Group(name, str(g), "q", answerable))
        for k in range(5):
            x = rng.normal(0.3, 0.1, len(FEATURES))
            positive = answerable and k == 0
            x[FEATURES.index("cosine")] += 0.4 if positive else 0.0
            x[FEATURES.index("overlap")] += 0.3 if positive else 0.0
            rows.append(x)
            labels.append(int(positive))
            owners.append(g)
    return groups, np.array(rows), np.array(labels), np.array(owners)


def test_fit_keeps_signs_and_the_threshold_abstains_on_each_dataset() -> None:
    data = {"a": _synthetic("a", 1), "b": _synthetic("b", 2)}
    model = train_evidence.fit(data, ["a", "b"])
    for name in train_evidence.POSITIVE:
        assert model.coef[FEATURES.index(name)] >= 0
    for name in train_evidence.NEGATIVE:
        assert model.coef[FEATURES.index(name)] <= 0
    assert model.coef[FEATURES.index("cosine")] > 0.5
    for name in data:
        groups, x, y, owners = data[name]
        best, hit = train_evidence.best_per_group(model.probability(x), y, owners, len(groups))
        scores = train_evidence.metrics(best, hit, groups, model.threshold)
        assert scores["abstain_rate"] >= train_evidence.ABSTAIN
        assert scores["accuracy"] > 0.8  # separable data: the answer sentence wins and passes
    again = train_evidence.fit(data, ["a", "b"])
    assert np.array_equal(again.coef, model.coef) and again.threshold == model.threshold


def test_the_held_out_seed_questions_are_never_fitted_to() -> None:
    """evals/heldout_seed.jsonl measures the chain on seed questions the model never saw; no
    training dataset may read it, or its figure stops predicting new users' questions."""
    held_out = Path("evals/heldout_seed.jsonl")
    source = "\n".join(inspect.getsource(m) for m in (train_evidence, evidence_data))
    assert "heldout" not in source
    rows = load_questions(REPO / held_out)
    assert sum(r.answerable for r in rows) == 26 and sum(not r.answerable for r in rows) == 8
