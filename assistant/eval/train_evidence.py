"""Fit the evidence model on one dataset, calibrate its abstention threshold, report on others.

``python -m assistant.eval.train_evidence`` reads the datasets from ``../shared/datasets``,
derives sentence labels (``evidence_data``), fits a logistic regression on the ``--fit``
dataset only, picks the threshold that keeps abstention on that dataset's unanswerable
questions at ``--abstain``, and reports accuracy, false refusals and abstention per dataset
(cross-dataset: the others were never fitted to), with a reliability diagram. Reproducible:
same data, same code, same weights.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answer import evidence_model
from assistant.answer.features import FEATURES, feature_matrix, question_info
from assistant.config import Settings
from assistant.eval import evidence_data
from assistant.eval.evidence_data import Group
from assistant.index.embedding import build_embedder
from assistant.ingest.entities import Entity, entities

SHARED = Path("../shared/datasets")
ABSTAIN = 0.9  # the abstention on unanswerable questions the threshold aims at
# The datasets whose unanswerable questions set the threshold. The needle sets' are a detail
# the story's article does not give, which the features cannot yet tell from one it gives:
# held to 0.9 there, the chain would refuse most answerable questions everywhere
# (evals/README.md has the curve). They are fitted to and reported, not calibrated on.
CALIBRATE = ("realtimeqa-2025", "realtimeqa", "multihop-rag", "questions")
DATASETS = {
    "realtimeqa-2025": lambda n: evidence_data.realtimeqa(
        "realtimeqa-2025", SHARED / "realtimeqa_2025", n, shift=7
    ),
    "realtimeqa": lambda n: evidence_data.realtimeqa(
        "realtimeqa", SHARED / "realtimeqa_2024jan_sample", n, shift=2
    ),
    "multihop-rag": lambda n: evidence_data.multihop(SHARED / "multihop_rag_sample500", n),
    "questions": lambda n: evidence_data.ours(Path("evals/questions.jsonl"), Path("corpus"), n),
    "needles": lambda n: evidence_data.needles(
        Path("evals/needles.jsonl"), SHARED / "realtimeqa_2024jan_sample", n
    ),
    "needles-2025": lambda n: evidence_data.needles(
        Path("evals/needles_2025.jsonl"), SHARED / "realtimeqa_2025", n
    ),
}


def _key(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def _embed(texts: list[str], cache: Path) -> dict[str, np.ndarray]:
    """Embeddings of ``texts`` by text, cached in ``cache`` across runs."""
    known: dict[str, np.ndarray] = {}
    if cache.exists():
        with np.load(cache) as data:
            known = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
    missing = sorted({_key(t): t for t in texts if _key(t) not in known}.items())
    if missing:
        embedder = build_embedder(Settings().embedding)
        vectors = embedder.get_text_embedding_batch([t for _, t in missing], show_progress=True)
        known.update(
            {k: np.array(v, dtype=np.float32) for (k, _), v in zip(missing, vectors, strict=False)}
        )
        np.savez(cache, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
    return {t: known[_key(t)] for t in texts}


def annotate(groups: list[Group], scratch: Path) -> list[Group]:
    """``groups`` with each candidate's entities and ``cosines`` (question vs sentence) filled
    in; entities are cached in ``scratch`` by text, embeddings too."""
    texts = sorted({c.text for g in groups for c in g.candidates} | {g.question for g in groups})
    vectors = _embed(texts, scratch / "embeddings.npz")
    cache = scratch / "entities.json"
    known: dict[str, list[list[Any]]] = (
        json.loads(cache.read_text(encoding="utf-8")) if cache.exists() else {}
    )
    missing = [t for t in texts if _key(t) not in known]
    for text, ents in zip(missing, entities(missing), strict=True):
        known[_key(text)] = [[e.text, e.label, e.start, e.end] for e in ents]
    if missing:
        cache.write_text(json.dumps(known), encoding="utf-8")
    for g in groups:
        g.candidates = [
            replace(c, entities=tuple(Entity(*e) for e in known[_key(c.text)]))
            for c in g.candidates
        ]
        g.cosines = [max(0.0, float(vectors[g.question] @ vectors[c.text])) for c in g.candidates]
    return groups


def matrix(groups: list[Group]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, labels and group numbers of every candidate of ``groups``."""
    blocks = [feature_matrix(question_info(g.question), g.candidates, g.cosines) for g in groups]
    labels = [label for g in groups for label in g.labels]
    owners = [i for i, g in enumerate(groups) for _ in g.candidates]
    return np.vstack(blocks), np.array(labels), np.array(owners)


Data = dict[str, tuple[list[Group], np.ndarray, np.ndarray, np.ndarray]]


# Signs the weights must keep, whatever one dataset's quirks suggest: more overlap or a closer
# embedding never makes a sentence less likely to answer, a gap to the best never more likely.
POSITIVE = ("cosine", "overlap", "overlap_context", "overlap_title", "bigrams", "names",
            "names_context", "numbers", "typed_answer", "typed_near", "all_words")  # fmt: skip
NEGATIVE = ("missing", "fragment", "is_title", "cosine_gap", "overlap_gap", "context_gap")  # fmt: skip
L2 = 1.0  # ridge penalty on the standardised weights


def fit(data: Data, names: Sequence[str]) -> evidence_model.EvidenceModel:
    """A standardised logistic regression over the datasets ``names``, each weighing the same
    however many sentences it has (so no one dataset's habits dominate), with the signs of
    ``POSITIVE`` and ``NEGATIVE`` weights fixed (a bounded L-BFGS fit)."""
    from scipy.optimize import minimize

    x = np.vstack([data[n][1] for n in names])
    y = np.concatenate([data[n][2] for n in names]).astype(float)
    weight = np.concatenate([np.full(len(data[n][2]), 1 / len(data[n][2])) for n in names])
    weight /= weight.sum()
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        logits = z @ theta[:-1] + theta[-1]
        p = 1 / (1 + np.exp(-logits))
        nll = np.logaddexp(0, logits) - y * logits
        grad = (p - y) * weight
        value = float(weight @ nll) + L2 / len(y) * float(theta[:-1] @ theta[:-1])
        gradient = np.append(z.T @ grad + 2 * L2 / len(y) * theta[:-1], grad.sum())
        return value, gradient

    bounds = [
        (0, None) if f in POSITIVE else (None, 0) if f in NEGATIVE else (None, None)
        for f in FEATURES
    ] + [(None, None)]
    theta = minimize(loss, np.zeros(len(FEATURES) + 1), jac=True, bounds=bounds).x
    fitted = evidence_model.EvidenceModel(
        mean, scale, theta[:-1], float(theta[-1]), 0.0, "+".join(names)
    )
    calibrate = [n for n in names if n in CALIBRATE] or list(names)
    return replace(fitted, threshold=threshold(data, calibrate, fitted))


def threshold(data: Data, names: Sequence[str], model: evidence_model.EvidenceModel) -> float:
    """The lowest best P that still abstains on ``ABSTAIN`` of the unanswerable questions of
    every dataset in ``names`` (the highest of their quantiles): abstention must hold on each,
    not on average."""
    levels = []
    for name in names:
        groups, x, y, owners = data[name]
        best, _ = best_per_group(model.probability(x), y, owners, len(groups))
        unanswerable = [b for b, g in zip(best, groups, strict=True) if not g.answerable]
        if unanswerable:
            levels.append(float(np.quantile(unanswerable, ABSTAIN)))
    return max(levels, default=0.5)


def best_per_group(
    p: np.ndarray, y: np.ndarray, owners: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per group: the best P, and whether its best sentence is a positive one."""
    best = np.full(n, -1.0)
    hit = np.zeros(n, dtype=bool)
    for i in range(len(p)):
        g = owners[i]
        if p[i] > best[g]:
            best[g], hit[g] = p[i], bool(y[i])
    return best, hit


def metrics(best: np.ndarray, hit: np.ndarray, groups: list[Group], tau: float) -> dict[str, float]:
    answerable = np.array([g.answerable for g in groups])
    answered = best >= tau
    out = {"questions": float(len(groups)), "answerable": float(answerable.sum())}
    if answerable.any():
        out["accuracy"] = float((answered & hit)[answerable].mean())
        out["false_refusals"] = float((~answered)[answerable].mean())
        out["ranking_hit@1"] = float(hit[answerable].mean())
    if (~answerable).any():
        out["abstain_rate"] = float((~answered)[~answerable].mean())
    return {k: round(v, 3) for k, v in out.items()}


def reliability(p: np.ndarray, y: np.ndarray, path: Path, title: str) -> list[list[float]]:
    """Mean predicted vs observed positive rate in ten bins; saved as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bins = np.clip((p * 10).astype(int), 0, 9)
    table = [
        [float(p[bins == b].mean()), float(y[bins == b].mean()), int((bins == b).sum())]
        for b in range(10)
        if (bins == b).any()
    ]
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.plot([0, 1], [0, 1], "--", color="grey")
    ax.plot([r[0] for r in table], [r[1] for r in table], "o-")
    ax.set(xlabel="predicted P(answers)", ylabel="observed share", title=title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return [[round(a, 3), round(b, 3), n] for a, b, n in table]


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.eval.train_evidence")
    parser.add_argument("--datasets", nargs="*", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--candidates", type=int, default=30, help="sentences per question")
    parser.add_argument("--scratch", type=Path, default=Path("data/train-evidence"))
    parser.add_argument("--out", type=Path, default=evidence_model.DEFAULT_WEIGHTS)
    parser.add_argument("--report-dir", type=Path, default=Path("evals/evidence"))
    args = parser.parse_args(argv)
    args.scratch.mkdir(parents=True, exist_ok=True)
    args.report_dir.mkdir(parents=True, exist_ok=True)
    data: Data = {}
    for name in args.datasets:
        groups = annotate(DATASETS[name](args.candidates), args.scratch)
        data[name] = (groups, *matrix(groups))
        print(f"{name}: {len(groups)} questions, {len(data[name][2])} sentences", flush=True)
    report: dict[str, object] = {}
    for name in data:  # cross-dataset: fitted on the others, threshold from the others
        held_out = fit(data, [n for n in data if n != name])
        groups, x, y, owners = data[name]
        p = held_out.probability(x)
        best, hit = best_per_group(p, y, owners, len(groups))
        png = args.report_dir / f"reliability-{name}.png"
        report[name] = metrics(best, hit, groups, held_out.threshold) | {
            "threshold": round(held_out.threshold, 4),
            "reliability": reliability(p, y, png, f"{name} (not fitted to)"),
        }
        print(name, json.dumps(report[name]), flush=True)
    final = fit(data, list(data))
    version = f"{'+'.join(data)}@{_commit()}"
    out = {
        "features": list(FEATURES), "mean": final.mean.tolist(), "scale": final.scale.tolist(),
        "coef": final.coef.tolist(), "intercept": final.intercept,
        "threshold": round(final.threshold, 4), "version": version,
        "abstain_target": ABSTAIN, "candidates": args.candidates,
    }  # fmt: skip
    args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    summary = {"version": version, "threshold": final.threshold, "cross_dataset": report}
    (args.report_dir / "report.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(f"wrote {args.out} (threshold {final.threshold:.3f}) and {args.report_dir}/report.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
