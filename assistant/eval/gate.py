"""Thresholds (``--fail-under``/``--fail-over METRIC=VALUE``) and deltas against a baseline."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from assistant.errors import ConfigError
from assistant.eval.questions import EvalDataError
from assistant.eval.results import (
    HIGHER_IS_BETTER,
    LOWER_IS_BETTER,
    METRICS,
    ConfigSummary,
    QuestionResult,
    RunSummary,
    aggregate,
)


def parse_thresholds(specs: list[str], flag: str = "--fail-under") -> dict[str, float]:
    """``["accuracy=0.8", ...]`` as a dict; unknown metrics and bad numbers are errors.

    ``--fail-under`` sets floors on metrics where higher is better, ``--fail-over`` ceilings
    on the others (refusals, being misled, seconds): a floor on latency would mean nothing."""
    allowed, other = (
        (HIGHER_IS_BETTER, "--fail-over")
        if flag == "--fail-under"
        else (LOWER_IS_BETTER, "--fail-under")
    )
    out: dict[str, float] = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        name = name.strip()
        if not sep or name not in METRICS:
            raise ConfigError(
                f"{flag} {spec!r}: expected METRIC=VALUE with METRIC one of {', '.join(allowed)}"
            )
        if name not in allowed:
            raise ConfigError(f"{flag} {spec!r}: lower {name} is better; use {other}")
        try:
            out[name] = float(value)
        except ValueError as exc:
            raise ConfigError(f"{flag} {spec!r}: {value!r} is not a number") from exc
    return out


def failures(
    summary: RunSummary, floors: dict[str, float], ceilings: dict[str, float] | None = None
) -> list[str]:
    """One line per config and metric below its floor or above its ceiling (or not measured)."""
    limits = [(n, v, "below") for n, v in floors.items()]
    limits += [(n, v, "above") for n, v in (ceilings or {}).items()]
    out = []
    for config in summary.configs:
        for name, limit, side in limits:
            value = config.metrics.get(name)
            if value is None:
                out.append(f"{config.label}: {name} was not measured (needs other questions)")
            elif (value < limit) if side == "below" else (value > limit):
                out.append(f"{config.label}: {name} = {value:.4f} is {side} {limit:.4f}")
    return out


def load_summary(path: Path) -> RunSummary:
    """A ``summary.json`` written by an earlier run (e.g. ``evals/baseline/summary.json``)."""
    if not path.is_file():
        raise EvalDataError(f"--compare: {path} does not exist; pass a summary.json")
    try:
        return RunSummary.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        raise EvalDataError(f"--compare: {path} is not a summary.json of this eval") from exc


def same_questions(baseline: RunSummary, path: Path, dataset: str, ids: set[str]) -> RunSummary:
    """The baseline re-aggregated over this run's question ids, so deltas compare like with
    like; needs the baseline's ``per_question.jsonl`` beside ``path`` (else it is unchanged)."""
    rows_file = path.parent / "per_question.jsonl"
    if baseline.dataset != dataset or not rows_file.is_file():
        return baseline
    try:
        rows = [
            QuestionResult.model_validate_json(line)
            for line in rows_file.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
    except ValidationError as exc:
        raise EvalDataError(f"--compare: {rows_file} is not a per_question.jsonl") from exc
    configs = []
    for config in baseline.configs:
        kept = [r for r in rows if r.config == config.label and r.id in ids]
        if kept:
            configs.append(aggregate(config.label, config.provider, config.model, kept))
    if not configs:
        return baseline
    asked = {r.id for r in rows if r.id in ids}
    return baseline.model_copy(update={"configs": configs, "questions": len(asked)})


@dataclass(frozen=True)
class Delta:
    """One metric of one config, now and in the baseline."""

    label: str
    metric: str
    baseline: float | None
    now: float | None

    @property
    def change(self) -> float | None:
        if self.baseline is None or self.now is None:
            return None
        return self.now - self.baseline


def deltas(summary: RunSummary, baseline: RunSummary) -> list[Delta]:
    """Each config against the baseline config of the same label (else the first one)."""
    out = []
    for config in summary.configs:
        base = _counterpart(config, baseline)
        for name in METRICS:
            now, then = config.metrics.get(name), base.metrics.get(name)
            if now is not None or then is not None:
                out.append(Delta(config.label, name, then, now))
    return out


def _counterpart(config: ConfigSummary, baseline: RunSummary) -> ConfigSummary:
    for other in baseline.configs:
        if other.label == config.label:
            return other
    return baseline.configs[0]
