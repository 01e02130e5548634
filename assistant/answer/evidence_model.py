"""The learned evidence model: P(this sentence answers the question), from a weights file.

A logistic regression over ``features.FEATURES``, fitted and calibrated by
``python -m assistant.eval.train_evidence`` and stored as a small JSON file in the repository
(``evidence_model.json`` beside this module), so answering needs numpy only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.answer.features import FEATURES
from assistant.errors import ConfigError

DEFAULT_WEIGHTS = Path(__file__).with_name("evidence_model.json")


@dataclass(frozen=True)
class EvidenceModel:
    """Standardise, weigh, squash: ``sigmoid(((x - mean) / scale) @ coef + intercept)``."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float  # the best sentence's P below which the chain abstains (calibrated)
    version: str

    @classmethod
    def load(cls, path: Path | None = None) -> EvidenceModel:
        path = path or DEFAULT_WEIGHTS
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(
                f"cannot read the evidence model {path} ({exc}); restore it from git or "
                "retrain it with `python -m assistant.eval.train_evidence`"
            ) from exc
        if tuple(data.get("features", ())) != FEATURES:
            raise ConfigError(
                f"{path} was trained on other features than this code computes; "
                "retrain it with `python -m assistant.eval.train_evidence`"
            )
        return cls(
            mean=np.array(data["mean"]), scale=np.array(data["scale"]),
            coef=np.array(data["coef"]), intercept=float(data["intercept"]),
            threshold=float(data["threshold"]), version=str(data["version"]),
        )  # fmt: skip

    def probability(self, x: np.ndarray) -> np.ndarray:
        """P(answers) for each row of the feature matrix ``x``."""
        z = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)
