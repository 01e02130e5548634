"""Question sets and their corpora: ours (evals/questions.jsonl) and three public benchmarks.

Public datasets are read at run time from ``--path`` and converted into article files in a
scratch directory; their text never enters the repository.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from assistant.eval import multihop, realtimeqa, rgb
from assistant.eval.benchmark import Benchmark
from assistant.eval.questions import EvalDataError, load_questions

SHARED = Path("../shared/datasets")
DEFAULT_PATHS = {
    "multihop-rag": SHARED / "multihop_rag_sample500",
    "realtimeqa": SHARED / "realtimeqa_2024jan_sample",
    "realtimeqa-2025": SHARED / "realtimeqa_2025",
    "rgb-fact": SHARED / "rgb_en_fact",
}


def ours(questions: Path, corpus: list[Path]) -> Benchmark:
    """Our question set over ``corpus/`` (or the given corpus paths)."""
    source = "questions:" + ";".join(str(p.resolve()) for p in corpus)
    return Benchmark("questions", corpus, load_questions(questions), source=source)


def public(name: str, path: Path | None, scratch: Path) -> Benchmark:
    """Load the public benchmark ``name`` from ``path`` (default under ../shared/datasets)."""
    loaders: dict[str, Callable[[Path, Path], Benchmark]] = {
        "multihop-rag": multihop.load, "realtimeqa": realtimeqa.load,
        "realtimeqa-2025": realtimeqa.load, "rgb-fact": rgb.load,
    }  # fmt: skip
    folder = path or DEFAULT_PATHS[name]
    if not folder.is_dir():
        raise EvalDataError(f"dataset folder {folder} does not exist; pass --path DIR")
    bench = loaders[name](folder, scratch / name)
    bench.source = f"{name}:{folder.resolve()}"
    return bench
