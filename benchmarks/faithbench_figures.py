"""FaithBench's figures: every calibration figure at summary and claim level under each label
scheme, recall by kind of error, and the upstream detectors on the same summaries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from benchmarks.calibration import (
    Floats,
    Ints,
    best_threshold,
    bootstrap_auc,
    cross_validated,
    operating_point,
    roc_auc,
)
from benchmarks.faithbench_data import DETECTORS, SCHEMES, SEVERITY, Annotation, Sample
from benchmarks.faithbench_scoring import SIGNALS, Claim, Scored

# Fixed thresholds reported for comparison, besides the best and the default.
SWEEP = (0.3, 0.4, 0.5, 0.6, 0.7)
BOOTSTRAP = 1000


def claim_label(claim: Claim, annotations: Sequence[Annotation]) -> str:
    """The worst label of the annotated spans overlapping the claim; Consistent if none."""
    overlapping = [a.label for a in annotations if a.start < claim.end and claim.start < a.end]
    return max(overlapping, key=SEVERITY.index, default="Consistent")


def evaluate(
    signals: dict[str, Floats], labels: Sequence[str], groups: Ints, scheme: str, default: float
) -> dict[str, Any]:
    """Every figure for one set of scored items under one label scheme."""
    unfaithful_labels, excluded = SCHEMES[scheme]
    keep = np.array([label not in excluded for label in labels], dtype=np.bool_)
    unfaithful = np.array([label in unfaithful_labels for label in labels], dtype=np.bool_)[keep]
    scores = signals["score"][keep]
    if not len(scores):
        return {"items": 0}
    return {
        "items": len(scores),
        "unfaithful": int(unfaithful.sum()),
        "faithful": int((~unfaithful).sum()),
        "auc": round(roc_auc(scores, unfaithful), 4),
        "auc_ci95": bootstrap_auc(scores, unfaithful, BOOTSTRAP),
        "auc_signal": {n: round(roc_auc(signals[n][keep], unfaithful), 4) for n in SIGNALS[1:]},
        "mean_score": {
            "faithful": round(float(scores[~unfaithful].mean()), 4)
            if (~unfaithful).any()
            else None,
            "unfaithful": round(float(scores[unfaithful].mean()), 4) if unfaithful.any() else None,
        },
        "best": asdict(best_threshold(scores, unfaithful)),
        "default": asdict(operating_point(scores, unfaithful, default)),
        "sweep": [asdict(operating_point(scores, unfaithful, t)) for t in SWEEP],
        "cross_validated": cross_validated(scores, unfaithful, groups[keep]),
    }


def summary_level(
    scored: list[Scored], samples: list[Sample], scheme: str, default: float
) -> dict[str, Any]:
    signals = {n: np.array([getattr(x, n) for x in scored], dtype=np.float64) for n in SIGNALS}
    groups = np.array([s.source_id for s in samples], dtype=np.int64)
    return evaluate(signals, [s.label for s in samples], groups, scheme, default)


def claim_level(
    scored: list[Scored], samples: list[Sample], scheme: str, default: float
) -> dict[str, Any]:
    """Claim sentences of the annotated samples, labelled by the spans they overlap."""
    claims = [
        (c, claim_label(c, s.release.annotations), s.source_id)
        for s, x in zip(samples, scored, strict=True)
        if s.release is not None
        for c in x.claims
    ]
    signals = {
        n: np.array([getattr(c, n) for c, _, _ in claims], dtype=np.float64) for n in SIGNALS
    }
    groups = np.array([g for _, _, g in claims], dtype=np.int64)
    out = evaluate(signals, [label for _, label, _ in claims], groups, scheme, default)
    if out["items"]:
        unwanted = [
            (c.score, claim_kind(c, s.release.annotations))
            for s, x in zip(samples, scored, strict=True)
            if s.release is not None
            for c in x.claims
            if claim_label(c, s.release.annotations) == "Unwanted"
        ]
        out["recall_by_kind"] = recall_by_kind(unwanted, out["best"]["threshold"], default)
    return out


def claim_kind(claim: Claim, annotations: Sequence[Annotation]) -> str:
    """Which kinds of Unwanted span overlap the claim: intrinsic, extrinsic, both or unknown."""
    kinds: set[str] = set()
    for a in annotations:
        if a.label == "Unwanted" and a.start < claim.end and claim.start < a.end:
            kinds |= a.kinds
    if len(kinds) > 1:
        return "both"
    return kinds.pop().casefold() if kinds else "unknown"


def recall_by_kind(
    unwanted: list[tuple[float, str]], best: float, default: float
) -> dict[str, dict[str, Any]]:
    """For Unwanted claims of each kind: how many, their mean score, and the share flagged."""
    out: dict[str, dict[str, Any]] = {}
    for kind in sorted({k for _, k in unwanted}):
        scores = np.array([score for score, k in unwanted if k == kind], dtype=np.float64)
        out[kind] = {
            "items": len(scores),
            "mean_score": round(float(scores.mean()), 4),
            "recall_best": round(float((scores < best).mean()), 4),
            "recall_default": round(float((scores < default).mean()), 4),
        }
    return out


def compare_detectors(
    scored: list[Scored], samples: list[Sample], scheme: str, thresholds: dict[str, float]
) -> dict[str, Any]:
    """Upstream detectors and this checker on the annotated samples that carry predictions.

    A detector's prediction (a probability for HHEM, else 0/1) is higher for consistent; it
    flags a summary below 0.5. The checker is shown at each of ``thresholds``.
    """
    unfaithful_labels, excluded = SCHEMES[scheme]
    annotated = {
        i: s.release for i, s in enumerate(samples) if s.release and s.label not in excluded
    }
    rows: dict[str, dict[str, Any]] = {}

    def add(name: str, items: list[int], values: list[float], threshold: float) -> None:
        labels = np.array([samples[i].label in unfaithful_labels for i in items], dtype=np.bool_)
        scores = np.array(values, dtype=np.float64)
        rows[name] = {
            "items": len(items),
            "auc": round(roc_auc(scores, labels), 4),
            "balanced_accuracy": operating_point(scores, labels, threshold).balanced_accuracy,
        }

    if annotated:
        for name in DETECTORS:
            have = [i for i, r in annotated.items() if name in r.predictions]
            add(name, have, [annotated[i].predictions[name] for i in have], 0.5)
        keep = list(annotated)
        for label, t in thresholds.items():
            add(f"this checker @ {label} {t:.4f}", keep, [scored[i].score for i in keep], t)
    return {"items": len(annotated), "detectors": rows}
