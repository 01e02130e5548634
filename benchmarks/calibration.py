"""Calibrating a score threshold against binary labels: ROC AUC with a bootstrap interval, the
operating point at a threshold, the best threshold by balanced accuracy, and its honest
cross-validated figure. The positive class ("unfaithful") is flagged when ``score < t``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FOLDS = 5
SEED = 0

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Operating:
    """The checker at one threshold, flagging what scores below it as unfaithful."""

    threshold: float
    balanced_accuracy: float
    precision: float
    recall: float
    specificity: float
    flagged: int


def average_ranks(values: Floats) -> Floats:
    """1-based ranks of ``values``, ties sharing the mean of the ranks they span."""
    order = np.argsort(values, kind="mergesort")
    _, first, counts = np.unique(values[order], return_index=True, return_counts=True)
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.repeat(first + (counts + 1) / 2, counts)
    return ranks


def roc_auc(scores: Floats, unfaithful: Bools) -> float:
    """P(an unfaithful item scores below a faithful one), ties counting half.

    The Mann-Whitney U of the unfaithful items' ranks by descending score, over n+ * n-.
    """
    positives = int(unfaithful.sum())
    negatives = len(unfaithful) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = average_ranks(-scores)
    u = float(ranks[unfaithful].sum()) - positives * (positives + 1) / 2
    return u / (positives * negatives)


def bootstrap_auc(scores: Floats, unfaithful: Bools, rounds: int) -> list[float]:
    """A 95% percentile bootstrap interval for the AUC (fixed seed)."""
    rng = np.random.default_rng(SEED)
    values = []
    for _ in range(rounds):
        pick = rng.integers(0, len(scores), len(scores))
        value = roc_auc(scores[pick], unfaithful[pick])
        if not np.isnan(value):
            values.append(value)
    if not values:
        return [float("nan"), float("nan")]
    return [round(float(v), 4) for v in np.percentile(values, [2.5, 97.5])]


def operating_point(scores: Floats, unfaithful: Bools, threshold: float) -> Operating:
    """Balanced accuracy, precision, recall and specificity of flagging ``score < threshold``."""
    flagged = scores < threshold
    tp = int((flagged & unfaithful).sum())
    fp = int((flagged & ~unfaithful).sum())
    positives = int(unfaithful.sum())
    negatives = len(unfaithful) - positives
    recall = tp / positives if positives else 0.0
    specificity = (negatives - fp) / negatives if negatives else 0.0
    return Operating(
        threshold=round(threshold, 4),
        balanced_accuracy=round((recall + specificity) / 2, 4),
        precision=round(tp / (tp + fp), 4) if tp + fp else 0.0,
        recall=round(recall, 4),
        specificity=round(specificity, 4),
        flagged=int(flagged.sum()),
    )


def candidate_thresholds(scores: Floats) -> list[float]:
    """Midpoints between consecutive distinct scores, plus one below and one above them all."""
    distinct = np.unique(scores)
    mids = (distinct[:-1] + distinct[1:]) / 2
    return [float(distinct[0]), *map(float, mids), float(distinct[-1]) + 1e-4]


def best_threshold(scores: Floats, unfaithful: Bools) -> Operating:
    """The threshold with the highest balanced accuracy (the lowest such, on ties)."""
    points = [operating_point(scores, unfaithful, t) for t in candidate_thresholds(scores)]
    return max(points, key=lambda p: p.balanced_accuracy)


def cross_validated(scores: Floats, unfaithful: Bools, groups: Ints) -> dict[str, Any]:
    """Balanced accuracy of thresholds chosen on the other folds; folds split by source, so no
    source lends its summaries to both sides."""
    flagged = np.zeros(len(scores), dtype=np.bool_)
    thresholds = []
    for fold in range(FOLDS):
        test = groups % FOLDS == fold
        if test.all() or not test.any():
            continue
        chosen = best_threshold(scores[~test], unfaithful[~test]).threshold
        thresholds.append(chosen)
        flagged[test] = scores[test] < chosen
    recall = float((flagged & unfaithful).sum()) / max(int(unfaithful.sum()), 1)
    specificity = float((~flagged & ~unfaithful).sum()) / max(int((~unfaithful).sum()), 1)
    return {
        "folds": len(thresholds),
        "thresholds": thresholds,
        "balanced_accuracy": round((recall + specificity) / 2, 4),
    }
