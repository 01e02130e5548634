"""Question sets and their corpora: ours (evals/questions.jsonl) and three public benchmarks.

Public datasets are read at run time from ``--path`` and converted into article files in a
scratch directory; their text never enters the repository.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.eval.questions import EvalDataError, QuestionRow, load_questions

SHARED = Path("../shared/datasets")
DEFAULT_PATHS = {
    "multihop-rag": SHARED / "multihop_rag_sample500",
    "realtimeqa": SHARED / "realtimeqa_2024jan_sample",
    "rgb-fact": SHARED / "rgb_en_fact",
}


@dataclass
class Benchmark:
    """What a run needs: the corpus to ingest, the questions, and what to print beside ours."""

    name: str
    corpus: list[Path]
    rows: list[QuestionRow]
    reference: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # where the corpus came from (stable across runs, unlike the scratch copy): keys its index
    source: str = ""


def ours(questions: Path, corpus: list[Path]) -> Benchmark:
    """Our question set over ``corpus/`` (or the given corpus paths)."""
    source = "questions:" + ";".join(str(p.resolve()) for p in corpus)
    return Benchmark("questions", corpus, load_questions(questions), source=source)


def read_json(path: Path) -> Any:
    """A dataset file as JSON, with an error that says which file and what to pass."""
    if not path.is_file():
        raise EvalDataError(f"{path} does not exist; pass --path to the dataset folder")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise EvalDataError(
            f"{path} is not valid JSON ({exc}); is --path the right folder?"
        ) from exc


def read_jsonl(path: Path) -> list[Any]:
    if not path.is_file():
        raise EvalDataError(f"{path} does not exist; pass --path to the dataset folder")
    try:
        return [
            json.loads(line)
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
    except json.JSONDecodeError as exc:
        raise EvalDataError(f"{path} is not JSON Lines ({exc})") from exc


def write_articles(folder: Path, name: str, articles: list[dict[str, Any]]) -> Path:
    """Articles as one JSONL file in ``folder`` (the corpus to ingest); returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
        for article in articles:
            fh.write(json.dumps(article, ensure_ascii=False) + "\n")
    return folder


def public(name: str, path: Path | None, scratch: Path) -> Benchmark:
    """Load the public benchmark ``name`` from ``path`` (default under ../shared/datasets)."""
    from assistant.eval import multihop, realtimeqa, rgb

    loaders: dict[str, Callable[[Path, Path], Benchmark]] = {
        "multihop-rag": multihop.load, "realtimeqa": realtimeqa.load, "rgb-fact": rgb.load,
    }  # fmt: skip
    folder = path or DEFAULT_PATHS[name]
    if not folder.is_dir():
        raise EvalDataError(f"dataset folder {folder} does not exist; pass --path DIR")
    bench = loaders[name](folder, scratch / name)
    bench.source = f"{name}:{folder.resolve()}"
    return bench
