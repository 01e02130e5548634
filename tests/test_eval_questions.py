"""Our question set (evals/questions.jsonl) meets the issue's bar, and bad files are refused."""

import json
from collections import Counter
from pathlib import Path

import pytest

from assistant.eval.questions import EvalDataError, load_questions, select
from assistant.ingest.loaders import load_file
from tests.conftest import REPO

QUESTIONS = REPO / "evals" / "questions.jsonl"


def test_question_set_has_the_required_mix() -> None:
    rows = load_questions(QUESTIONS)
    kinds = Counter(r.type for r in rows)
    assert len(rows) >= 40
    assert sum(not r.answerable for r in rows) >= 10
    for kind in ("factoid", "who-said", "date", "number", "multi", "followup"):
        assert kinds[kind] >= 1, kind
    for row in rows:
        assert row.answerable == bool(row.evidence), row.id
        assert (row.type == "followup") == bool(row.history), row.id


def test_every_gold_quote_is_verbatim_in_its_article() -> None:
    texts: dict[str, str] = {}
    for row in load_questions(QUESTIONS):
        for ev in row.evidence:
            assert ev.article and ev.quote, row.id
            if ev.article not in texts:
                loaded = load_file(REPO / ev.article, ev.article, 10_000_000)
                assert len(loaded.articles) == 1 and not loaded.problems
                texts[ev.article] = loaded.articles[0].text
            assert ev.quote in texts[ev.article], (row.id, ev.quote)
        quotes = " ".join(ev.quote or "" for ev in row.evidence).casefold()
        if row.answerable:  # the gold evidence states (at least) one gold alias
            assert any(a.casefold() in quotes for a in row.answers), row.id


def _write(tmp_path: Path, *rows: object) -> Path:
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows))
    return path


GOOD = {"id": "a", "question": "Who?", "answers": ["X"], "answerable": True,
        "evidence": [{"article": "corpus/x.txt", "quote": "X said"}]}  # fmt: skip


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["{not json"], "q.jsonl:1: not a valid question row"),
        ([GOOD, {**GOOD, "question": "Again?"}], "q.jsonl:2: duplicate id 'a'"),
        ([{**GOOD, "answers": []}], "needs at least one gold answer"),
        ([{**GOOD, "answerable": False}], "cannot have gold evidence"),
        ([{**GOOD, "evidence": [{"article": "corpus/x.txt"}]}], "needs a quote"),
        ([{**GOOD, "colour": "red"}], "colour"),
    ],
)
def test_malformed_question_files_are_refused(
    tmp_path: Path, rows: list[object], message: str
) -> None:
    with pytest.raises(EvalDataError, match=message):
        load_questions(_write(tmp_path, *rows))


def test_missing_file_and_unmatched_only_are_errors(tmp_path: Path) -> None:
    with pytest.raises(EvalDataError, match="does not exist"):
        load_questions(tmp_path / "nope.jsonl")
    rows = load_questions(_write(tmp_path, GOOD, {**GOOD, "id": "b"}))
    assert [r.id for r in select(rows, ["b*"], None)] == ["b"]
    assert [r.id for r in select(rows, [], 1)] == ["a"]
    with pytest.raises(EvalDataError, match="no question id matches zz"):
        select(rows, ["zz"], None)
