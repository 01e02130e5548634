"""FaithBench's rows, labels and span annotations, read from ``--path`` at run time.

The dataset is CC BY-NC-SA 4.0: it is read where it lies and never copied into the repository.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# Labels from least to most severe.
SEVERITY = ("Consistent", "Benign", "Questionable", "Unwanted")
# Label schemes: which labels are unfaithful, and which are left out.
SCHEMES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "questionable_excluded": (frozenset({"Unwanted"}), frozenset({"Questionable"})),
    "questionable_unfaithful": (frozenset({"Unwanted", "Questionable"}), frozenset()),
}
# Upstream's per-sample predictions (data_for_release metadata); higher means consistent.
DETECTORS = (
    "hhemv1",
    "hhem-2.1",
    "hhem-2.1-english",
    "trueteacher",
    "true_nli",
    "gpt-3.5-turbo",
    "gpt-4-turbo",
    "gpt_4o",
)


@dataclass(frozen=True)
class Annotation:
    """One annotator's span of a summary, with its most severe label and, for Unwanted, its
    kinds ("Intrinsic": distorts the source; "Extrinsic": adds what the source lacks)."""

    start: int
    end: int
    label: str
    kinds: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Release:
    """What ``data_for_release`` adds to a row: span annotations and detector predictions."""

    annotations: tuple[Annotation, ...]
    predictions: dict[str, float]


@dataclass(frozen=True)
class Sample:
    """One FaithBench row; ``source_id`` numbers distinct sources in file order."""

    row: int
    source_id: int
    source: str
    summary: str
    llm: str
    label: str
    release: Release | None = None


def severity(labels: Iterable[str]) -> str:
    """The most severe of an annotation's labels ("Unwanted.Intrinsic" is Unwanted)."""
    found = {label.split(".")[0] for label in labels}
    return max(found & set(SEVERITY), key=SEVERITY.index, default="Consistent")


def load_release(path: Path) -> dict[tuple[str, str], Release]:
    """Annotations and detector predictions per (source, summary), from ``data_for_release``."""
    out: dict[tuple[str, str], Release] = {}
    for batch in sorted((path / "data_for_release").glob("batch_*.json")):
        for sample in json.loads(batch.read_text(encoding="utf-8"))["samples"]:
            meta = sample["metadata"]
            out[(sample["source"], sample["summary"])] = Release(
                annotations=tuple(
                    Annotation(
                        a["summary_start"],
                        a["summary_end"],
                        severity(a["label"]),
                        frozenset(x.split(".", 1)[1] for x in a["label"] if "." in x),
                    )
                    for a in sample["annotations"]
                    if a.get("summary_start") is not None
                ),
                predictions={n: float(meta[n]) for n in DETECTORS if meta.get(n) is not None},
            )
    return out


def load_samples(path: Path, limit: int | None) -> list[Sample]:
    """The rows of ``FaithBench.csv`` (the first ``limit`` if given), in file order."""
    csv_path = path / "FaithBench.csv"
    if not csv_path.exists():
        raise SystemExit(f"{csv_path} not found; pass --path to the FaithBench folder")
    with csv_path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))[:limit]
    release = load_release(path)
    sources: dict[str, int] = {}
    return [
        Sample(
            row=i,
            source_id=sources.setdefault(r["source"], len(sources)),
            source=r["source"],
            summary=r["summary"],
            llm=r["LLM"],
            label=r["worst-label"],
            release=release.get((r["source"], r["summary"])),
        )
        for i, r in enumerate(rows)
    ]
