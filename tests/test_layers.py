"""Imports follow the data flow: config -> ingest -> index -> retrieve -> answer -> app ->
(ui | eval | doctor | cli); types, config, errors and small shared helpers from anywhere, and
the product never imports the benchmarks."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "assistant"
ANYWHERE = {"config", "types", "errors", "openai_client", "terminal"}
# A module may import stages of a lower rank only; ui and eval share one and stay apart.
RANK = {"ingest": 0, "index": 1, "retrieve": 2, "answer": 3, "app": 4, "eval": 5, "ui": 5,
        "doctor": 6, "cli": 7}  # fmt: skip
TOP = {"__init__", "__main__"}


def _stage(module: str) -> str | None:
    """The stage of ``assistant.X.Y`` (X), or None for the shared modules."""
    parts = module.split(".")
    if parts[0] != "assistant" or len(parts) < 2:
        return None
    return None if parts[1] in ANYWHERE | TOP else parts[1]


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names]
    return found


def test_imports_run_one_way() -> None:
    wrong = []
    for path in sorted(ROOT.rglob("*.py")):
        module = ".".join(("assistant", *path.relative_to(ROOT).with_suffix("").parts))
        here = _stage(module)
        for target in _imports(path):
            if target.split(".")[0] == "benchmarks":
                wrong.append(f"{module} imports {target} (the product never imports benchmarks)")
            there = _stage(target)
            if here is None or there is None or here == there:
                continue
            if RANK[there] >= RANK[here]:
                wrong.append(f"{module} ({here}) imports {target} ({there})")
    assert not wrong, "\n".join(wrong)


def test_the_check_sees_a_backward_import(tmp_path: Path) -> None:
    """The rule is not vacuous: an index module importing the answer stage is caught."""
    assert (
        RANK[_stage("assistant.answer.chain") or ""] > RANK[_stage("assistant.index.store") or ""]
    )
    bad = tmp_path / "bad.py"
    bad.write_text("from assistant.answer.chain import AnswerChain\n")
    assert _imports(bad) == ["assistant.answer.chain"]


def test_searching_loads_no_chunker() -> None:
    """Retrieval needs the index handle, not the ingest: no llama-index, NLTK or spaCy."""
    import subprocess
    import sys

    code = (
        "import sys, assistant.retrieve.hybrid; "
        "print(','.join(m for m in ('llama_index', 'nltk', 'spacy') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
