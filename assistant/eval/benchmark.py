"""What a question set is (``Benchmark``) and the file helpers its loaders share."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.eval.questions import EvalDataError, QuestionRow


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


PER_FILE = 1000  # articles per corpus file: ~10 MB of news, under ingest.max_file_mb


def write_articles(folder: Path, name: str, articles: list[dict[str, Any]]) -> Path:
    """Articles as JSONL files in ``folder`` (the corpus to ingest); returns the folder.

    ``{name}.jsonl`` when they fit in one file of ``PER_FILE``, else ``{name}-1.jsonl`` and
    on: one file of RealTimeQA 2025's 3,854 articles would exceed the ingest's size limit."""
    folder.mkdir(parents=True, exist_ok=True)
    parts = [articles[i : i + PER_FILE] for i in range(0, len(articles), PER_FILE)] or [[]]
    for n, part in enumerate(parts, start=1):
        stem = name if len(parts) == 1 else f"{name}-{n}"
        with (folder / f"{stem}.jsonl").open("w", encoding="utf-8") as fh:
            for article in part:
                fh.write(json.dumps(article, ensure_ascii=False) + "\n")
    return folder
