"""``python -m assistant.eval`` end to end: the real pipeline (real embedder, Chroma, BM25).

Uses the ``extractive`` provider (no generative model) to stay fast; the CI gate in .ci/run
runs the bundled model.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.eval import benchmark
from assistant.eval.benchmark import write_articles
from assistant.eval.command import main
from assistant.eval.results import RunSummary
from tests.conftest import REPO

QUESTIONS = REPO / "evals" / "questions.jsonl"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "assistant.eval", "--quiet", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=REPO)


def _only_run(out: Path) -> Path:
    (folder,) = out.iterdir()
    return folder


@pytest.mark.slow
def test_eval_runs_the_pipeline_and_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "results"
    done = _run(
        "--provider", "extractive", "--questions", str(QUESTIONS), "--corpus", str(REPO / "corpus"),
        "--only", "seed-0*", "--only", "none-0[1-4]", "--only", "seed-33",
        "--out", str(out), "--fail-under", "span_validity=1", "--fail-under", "abstain_rate=0.75",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "span_validity" in done.stdout and "100.0 %" in done.stdout
    folder = _only_run(out)
    summary = RunSummary.model_validate_json((folder / "summary.json").read_text())
    (config,) = summary.configs
    assert config.label == "extractive" and summary.questions == 14
    assert config.counts["answerable"] == 10 and config.counts["unanswerable"] == 4
    assert config.metrics["span_validity"] == 1.0
    assert config.metrics["hits@10"] == 1.0  # the seed article is the only article
    assert config.metrics["accuracy"] is not None and config.metrics["accuracy"] >= 0.5
    rows = [json.loads(line) for line in (folder / "per_question.jsonl").read_text().splitlines()]
    by_id = {r["id"]: r for r in rows}
    assert len(rows) == 14 and by_id["seed-33"]["correct"] is True  # follow-up, with its history
    assert sum(by_id[f"none-0{i}"]["abstained"] for i in range(1, 5)) >= 3  # 83 % on all 12
    assert "## Misses" in (folder / "report.md").read_text()
    assert (folder / "chart.png").read_bytes().startswith(b"\x89PNG")

    # The same run against itself as baseline: zero deltas; an impossible floor fails it.
    again = _run(
        "--provider", "extractive", "--questions", str(QUESTIONS), "--corpus", str(REPO / "corpus"),
        "--only", "seed-01", "--out", str(tmp_path / "second"),
        "--compare", str(folder / "summary.json"), "--fail-under", "accuracy=1.01",
    )  # fmt: skip
    assert again.returncode == 1
    assert re.search(r"extractive +span_validity +100.0 % +100.0 % +\+0.0 pt", again.stdout)
    # the baseline is cut down to seed-01 through its per_question.jsonl: like for like
    assert re.search(r"extractive +accuracy +100.0 % +100.0 % +\+0.0 pt", again.stdout)
    assert "mix question sets" not in again.stdout
    assert "accuracy = 1.0000 is below 1.0100" in again.stderr


def test_counterfactual_benchmark_on_a_tiny_dataset(tmp_path: Path) -> None:
    """The rgb-fact loader and runner on two hand-made records (not RGB's text)."""
    records = [
        {"id": 0, "query": "Where did the 2031 chess final take place?", "answer": "Oslo",
         "fakeanswer": "Lima", "positive_wrong": ["The 2031 chess final took place in Lima, Peru."],
         "positive": [], "negative": ["Chess clubs grew in popularity across Europe."]},
        {"id": 1, "query": "Who won the 2031 rowing cup?", "answer": [["Team Blue", "Blue"]],
         "fakeanswer": "Team Red", "positive_wrong": ["Team Red won the 2031 rowing cup by a length."],
         "positive": [], "negative": ["Rowing is a popular sport at universities."]},
    ]  # fmt: skip
    data = tmp_path / "rgb"
    data.mkdir()
    (data / "en_fact.json").write_text("\n".join(json.dumps(r) for r in records))
    out = tmp_path / "results"
    code = main(["--quiet", "--dataset", "rgb-fact", "--path", str(data), "--provider",
                 "extractive", "--out", str(out)])  # fmt: skip
    assert code == 0
    summary = RunSummary.model_validate_json((_only_run(out) / "summary.json").read_text())
    metrics = summary.configs[0].metrics
    assert summary.questions == 2 and metrics["span_validity"] == 1.0
    assert metrics["misled_rate"] == 1.0 and metrics["accuracy"] == 0.0  # it repeats its sources


def test_one_data_dir_keeps_datasets_apart(tmp_path: Path) -> None:
    """Two datasets through one --data-dir get an index each (ingest is incremental and would
    mix them), and results written in the same second do not overwrite each other."""
    data_dir, out = tmp_path / "indexes", tmp_path / "results"
    for name, city in [("a", "Oslo"), ("b", "Lima")]:
        folder = tmp_path / name
        folder.mkdir()
        record = {"id": 0, "query": f"Where is the {name} final?", "answer": city,
                  "fakeanswer": "Rome", "positive_wrong": [f"The {name} final is in Rome."],
                  "positive": [], "negative": [f"Finals of type {name} are popular."]}  # fmt: skip
        (folder / "en_fact.json").write_text(json.dumps(record))
        code = main(["--quiet", "--dataset", "rgb-fact", "--path", str(folder), "--provider",
                     "extractive", "--data-dir", str(data_dir), "--out", str(out)])  # fmt: skip
        assert code == 0
    assert len(list(data_dir.glob("index-*"))) == 2
    runs = sorted(out.iterdir())
    assert len(runs) == 2
    for run in runs:
        summary = RunSummary.model_validate_json((run / "summary.json").read_text())
        assert summary.corpus["articles"] == 2 and summary.machine["cpu_count"]
        assert str(summary.corpus["source"]).startswith("rgb-fact:")
        assert "- Corpus: 2 articles" in (run / "report.md").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--questions", "missing.jsonl"], "question file missing.jsonl does not exist"),
        (["--fail-under", "speed=1"], "expected METRIC=VALUE"),
        (
            ["--dataset", "multihop-rag", "--path", "nowhere"],
            "dataset folder nowhere does not exist",
        ),
        (["--compare", "nowhere.json"], "--compare: nowhere.json does not exist"),
        (["--limit", "0"], "--limit must be at least 1"),
    ],
)
def test_bad_input_is_one_line_and_status_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--provider", "extractive", "--corpus", str(REPO / "corpus"), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_a_corpus_too_big_for_one_file_is_written_in_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [{"title": f"T{i}", "text": f"Article {i}.", "url": f"u{i}"} for i in range(5)]
    assert {p.name for p in write_articles(tmp_path / "one", "news", rows).iterdir()} == {
        "news.jsonl"
    }
    monkeypatch.setattr(benchmark, "PER_FILE", 2)
    folder = write_articles(tmp_path / "parts", "news", rows)
    files = sorted(folder.iterdir())
    assert [p.name for p in files] == ["news-1.jsonl", "news-2.jsonl", "news-3.jsonl"]
    read = [json.loads(line) for p in files for line in p.read_text().splitlines()]
    assert read == rows


def test_a_corpus_that_ingests_nothing_stops_the_eval(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "empty.md").write_text("", encoding="utf-8")
    args = ["--provider", "extractive", "--questions", str(QUESTIONS), "--corpus", str(corpus)]
    assert main([*args, "--limit", "1", "--quiet", "--data-dir", str(tmp_path / "data")]) == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.startswith("error: nothing was ingested") and "empty.md: file is empty" in last


def _rtqa_week(folder: Path, week: str, questions: list[str]) -> None:
    rows = [
        {"question_id": f"{week}_{i}", "question_sentence": q, "choices": ["a", "b", "c", "d"],
         "answer": ["0"]}
        for i, q in enumerate(questions)
    ]  # fmt: skip
    (folder / f"{week}_qa.jsonl").write_text("\n".join(json.dumps(r) for r in rows))


def test_unseen_questions_are_asked_as_unanswerable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--unseen adds another dataset's questions (spread over its weeks) as unanswerable rows of
    their own type; naming the dataset whose articles are indexed is an error."""
    from assistant.eval import datasets, realtimeqa

    weeks = tmp_path / "weeks"
    weeks.mkdir()
    _rtqa_week(weeks, "20300104", ["Which bank raised its rates this week?", "Who won the cup?"])
    _rtqa_week(weeks, "20300111", ["Which city hosted the summit?", "Who resigned on Monday?"])
    picked = realtimeqa.unseen(weeks, 2)
    assert [r.id for r in picked] == ["unseen-20300104_0", "unseen-20300111_0"]
    assert all(not r.answerable and r.type == "other-weeks" and not r.answers for r in picked)
    assert len(realtimeqa.unseen(weeks, 10)) == 4

    monkeypatch.setitem(datasets.DEFAULT_PATHS, "realtimeqa-2025", weeks)
    args = ["--quiet", "--provider", "extractive", "--questions", str(QUESTIONS), "--corpus",
            str(REPO / "corpus"), "--only", "seed-01", "--only", "unseen-*"]  # fmt: skip
    out = tmp_path / "results"
    assert (
        main([*args, "--unseen", "realtimeqa-2025", "--unseen-count", "3", "--out", str(out)]) == 0
    )
    summary = RunSummary.model_validate_json((_only_run(out) / "summary.json").read_text())
    (config,) = summary.configs
    assert summary.questions == 4 and config.counts["unanswerable"] == 3
    assert config.by_type["other-weeks"]["n"] == 3
    assert config.by_type["other-weeks"]["abstain_rate"] == 1.0  # the seed has no such news

    capsys.readouterr()
    (weeks / "20300104_gcs.jsonl").write_text("")
    distractors = [*args, "--distractors", "realtimeqa-2025", "--unseen", "realtimeqa-2025"]
    assert main(distractors) == 2
    assert "its articles are in this index" in capsys.readouterr().err
