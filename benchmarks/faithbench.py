"""Calibrate the support checker on FaithBench: ``python -m benchmarks.faithbench``.

FaithBench (Bao et al., NAACL 2025) pairs 80 source passages with summaries by 10 LLMs, each
labelled by humans; its samples were chosen where existing hallucination detectors disagree, so
it is hard by construction. Its licence is non-commercial (CC BY-NC-SA 4.0): it is read from
``--path`` at run time and only figures (and character offsets) are written, never its text.

How a summary is scored with ``SupportChecker.check`` (``assistant/answer/verify.py``):

1. the summary is split into claim sentences (``sentence_spans``); list markers such as "1."
   carry no content word and lead-ins ending in a colon ("Here is a concise summary of the
   passage:", "Key points:") only introduce what follows: neither asserts anything, so both
   are skipped (``--keep-lead-ins`` scores lead-ins too);
2. the source is split into sentences and grouped into sliding windows of ``--window``
   consecutive sentences (stride one), each shrunk until it fits the embedder's input, so the
   similarity signal always reads the whole window. The default, one sentence, is what the
   answer chain checks against: its evidence is single article sentences;
3. a claim's score is its best score over the windows (the span that supports it best);
4. the summary's score is its weakest claim's score: one unsupported sentence is enough, and
   ``score < t`` for the summary is exactly "the chain would drop or mark a sentence at t".

Summary level: faithful when the worst label is Consistent or Benign, unfaithful when it is
Unwanted; Questionable is reported both ways (excluded, and counted as unfaithful). Claim level
(the 750 samples with span annotations in ``data_for_release``): a claim sentence takes the
worst label of the annotated spans it overlaps, Consistent if none. The positive class is
"unfaithful", flagged when the score is below the threshold.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from assistant.answer.verify import SupportChecker
from assistant.config import AnswerSettings, EmbeddingSettings
from assistant.index.embedding import Embedder, build_embedder
from assistant.ingest.chunking import SPECIAL_TOKENS, Span, sentence_spans
from assistant.ingest.text import content_words

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATH = Path("../shared/datasets/faithbench")
DEFAULT_OUT = Path("benchmarks/results/faithbench.json")
DEFAULT_WINDOW = 1
# Labels from least to most severe.
SEVERITY = ("Consistent", "Benign", "Questionable", "Unwanted")
# Label schemes: which labels are unfaithful, and which are left out.
SCHEMES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "questionable_excluded": (frozenset({"Unwanted"}), frozenset({"Questionable"})),
    "questionable_unfaithful": (frozenset({"Unwanted", "Questionable"}), frozenset()),
}
SIGNALS = ("score", "coverage", "similarity", "anchors")
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
# Fixed thresholds reported for comparison, besides the best and the default.
SWEEP = (0.3, 0.4, 0.5, 0.6, 0.7)
FOLDS = 5
BOOTSTRAP = 1000
SEED = 0

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]


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


@dataclass(frozen=True)
class Claim:
    """One claim sentence (offsets into the summary) and its best support over the windows;
    ``anchors`` is 1.0 when some window holds every number and name of the claim."""

    start: int
    end: int
    score: float
    coverage: float
    similarity: float
    anchors: float


@dataclass(frozen=True)
class Scored:
    """A summary's scores: each signal is the minimum over its claims (0 without claims)."""

    score: float
    coverage: float
    similarity: float
    anchors: float
    claims: tuple[Claim, ...] = field(default=())


@dataclass(frozen=True)
class Operating:
    """The checker at one threshold, flagging what scores below it as unfaithful."""

    threshold: float
    balanced_accuracy: float
    precision: float
    recall: float
    specificity: float
    flagged: int


class CachedEmbedder:
    """An ``Embedder`` that embeds each distinct text once; ``warm`` batches the misses."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_name = inner.model_name
        self.max_tokens = inner.max_tokens
        self.dimension = inner.dimension
        self._cache: dict[str, list[float]] = {}

    def tokenize(self, text: str) -> list[int]:
        return self.inner.tokenize(text)

    def warm(self, texts: Iterable[str]) -> int:
        """Embed every text not yet cached in one batched call; returns how many."""
        missing = sorted({t for t in texts if t not in self._cache})
        if missing:
            vectors = self.inner.get_text_embedding_batch(missing)
            self._cache.update(zip(missing, vectors, strict=True))
        return len(missing)

    def get_query_embedding(self, query: str) -> list[float]:
        return self.get_text_embedding_batch([query])[0]

    def get_text_embedding_batch(
        self, texts: list[str], show_progress: bool = False
    ) -> list[list[float]]:
        self.warm(texts)
        return [self._cache[t] for t in texts]


# --- data -------------------------------------------------------------------------------------


def from_root(path: Path) -> Path:
    """Relative paths are taken from the repository root, wherever the command runs."""
    return path if path.is_absolute() else REPO_ROOT / path


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


def claim_label(claim: Claim, annotations: Sequence[Annotation]) -> str:
    """The worst label of the annotated spans overlapping the claim; Consistent if none."""
    overlapping = [a.label for a in annotations if a.start < claim.end and claim.start < a.end]
    return max(overlapping, key=SEVERITY.index, default="Consistent")


# --- scoring ----------------------------------------------------------------------------------


def sentences(text: str) -> list[str]:
    """The sentences of ``text``, as exact slices."""
    return [text[start:end] for start, end in sentence_spans(text)]


def claim_spans(summary: str, lead_ins: bool = False) -> list[Span]:
    """The summary's sentences that carry a content word, without lead-ins (ending in ":")
    unless ``lead_ins``."""
    return [
        (start, end)
        for start, end in sentence_spans(summary)
        if content_words(summary[start:end]) and (lead_ins or summary[end - 1] != ":")
    ]


def windows(parts: Sequence[str], size: int, budget: int, count: Callable[[str], int]) -> list[str]:
    """Runs of up to ``size`` consecutive sentences (stride one) of at most ``budget`` tokens.

    A run over budget loses sentences from its end (a lone over-long sentence is kept, and the
    embedder truncates it). ``size`` 0 means the whole text as one window, however long.
    """
    if size == 0 or len(parts) <= 1:
        return [" ".join(parts)] if parts else []
    out: list[str] = []
    for start in range(len(parts)):
        end = min(start + size, len(parts))
        while end - start > 1 and count(" ".join(parts[start:end])) > budget:
            end -= 1
        out.append(" ".join(parts[start:end]))
        if end == len(parts):
            break  # every later run lies inside this one
    return out


def source_windows(samples: list[Sample], embedder: Embedder, window: int) -> dict[str, list[str]]:
    """The windows of each distinct source, sized in the embedder's own word pieces."""
    budget = embedder.max_tokens - SPECIAL_TOKENS
    out: dict[str, list[str]] = {}
    for s in samples:
        if s.source not in out:
            out[s.source] = windows(
                sentences(s.source), window, budget, lambda t: len(embedder.tokenize(t))
            )
    return out


def score_claim(checker: SupportChecker, summary: str, span: Span, spans: list[str]) -> Claim:
    """The claim's best score, coverage and similarity over the windows, each on its own."""
    results = [checker.check(summary[span[0] : span[1]], [window]) for window in spans]
    return Claim(
        start=span[0],
        end=span[1],
        score=max(r.score for r in results),
        coverage=max(r.coverage for r in results),
        similarity=max(r.similarity for r in results),
        anchors=float(any(not r.missing for r in results)),
    )


def score_summary(
    checker: SupportChecker, summary: str, spans: list[str], lead_ins: bool
) -> Scored:
    """The weakest claim's scores; a summary without claims asserts nothing and scores 0."""
    if not spans:
        return Scored(0.0, 0.0, 0.0, 0.0)
    claims = tuple(score_claim(checker, summary, c, spans) for c in claim_spans(summary, lead_ins))
    if not claims:
        return Scored(0.0, 0.0, 0.0, 0.0)
    score, coverage, similarity, anchors = (
        min(getattr(c, name) for c in claims) for name in SIGNALS
    )
    return Scored(score, coverage, similarity, anchors, claims)


def score_all(
    samples: list[Sample], embedder: CachedEmbedder, window: int, lead_ins: bool, threshold: float
) -> tuple[list[Scored], dict[str, float]]:
    """Scores of every sample, and the time spent embedding and scoring."""
    spans = source_windows(samples, embedder, window)
    started = time.perf_counter()
    texts = [w for ws in spans.values() for w in ws]
    texts += [s.summary[a:b] for s in samples for a, b in claim_spans(s.summary, lead_ins)]
    embedded = embedder.warm(texts)
    embedding_s = time.perf_counter() - started
    checker = SupportChecker(embedder, threshold)
    started = time.perf_counter()
    scored = [score_summary(checker, s.summary, spans[s.source], lead_ins) for s in samples]
    scoring_s = time.perf_counter() - started
    return scored, {
        "texts_embedded": embedded,
        "embedding_s": round(embedding_s, 2),
        "scoring_s": round(scoring_s, 2),
        "windows_per_source_mean": round(float(np.mean([len(w) for w in spans.values()])), 2),
    }


# --- metrics ----------------------------------------------------------------------------------


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


# --- report -----------------------------------------------------------------------------------


def print_level(title: str, r: dict[str, Any]) -> None:
    if not r.get("items"):
        print(f"\n{title}: nothing to score")
        return
    print(f"\n{title}: {r['items']} items, {r['unfaithful']} unfaithful, {r['faithful']} faithful")
    low, high = r["auc_ci95"]
    print(f"  ROC AUC score          {r['auc']:.4f}  (95% CI {low:.4f}-{high:.4f})")
    for name, value in r["auc_signal"].items():
        print(f"  ROC AUC {name:<14} {value:.4f}")
    mean = r["mean_score"]
    print(f"  mean score             faithful {mean['faithful']}, unfaithful {mean['unfaithful']}")
    print(
        f"  {'':<10} {'t':>7} {'bal.acc':>8} {'prec':>7} {'recall':>7} {'spec':>7} {'flagged':>8}"
    )
    points = [("best", r["best"]), ("default", r["default"])]
    points += [("fixed", p) for p in r["sweep"] if p["threshold"] != r["default"]["threshold"]]
    for label, p in points:
        print(
            f"  {label:<10} {p['threshold']:>7.4f} {p['balanced_accuracy']:>8.4f} "
            f"{p['precision']:>7.4f} {p['recall']:>7.4f} {p['specificity']:>7.4f} "
            f"{p['flagged']:>8}"
        )
    cv = r["cross_validated"]
    print(f"  {FOLDS}-fold by source: bal.acc {cv['balanced_accuracy']:.4f}")
    print(f"  {'':<10} thresholds chosen per fold: {cv['thresholds']}")
    for kind, k in r.get("recall_by_kind", {}).items():
        print(
            f"  Unwanted {kind:<10} {k['items']:>5} claims, mean score {k['mean_score']:.4f}, "
            f"flagged at best {k['recall_best']:.4f}, at default {k['recall_default']:.4f}"
        )


def print_table(figures: dict[str, Any]) -> None:
    run = figures["run"]
    lead_ins = "kept" if run["keep_lead_ins"] else "skipped"
    print(
        f"FaithBench: {run['samples']} summaries, {run['claims']} claims, window {run['window']} "
        f"sentence(s), lead-ins {lead_ins}, {run['total_s']} s ({run['ms_per_summary']} ms/summary)"
    )
    for scheme in SCHEMES:
        print_level(f"[summary, {scheme}]", figures["summary"][scheme])
        print_level(f"[claim, {scheme}]", figures["claim"][scheme])
        comparison = figures["detectors"].get(scheme, {"detectors": {}})
        if comparison["detectors"]:
            print(f"  detectors on the {comparison['items']} annotated summaries (flag < 0.5):")
            for name, d in comparison["detectors"].items():
                print(f"    {name:<30} AUC {d['auc']:.4f}  bal.acc {d['balanced_accuracy']:.4f}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.faithbench",
        description="Calibrate and report the support checker on FaithBench.",
    )
    parser.add_argument(
        "--path",
        type=Path,
        default=DEFAULT_PATH,
        help="FaithBench folder (relative paths are from the repository root)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results file")
    parser.add_argument("--limit", type=int, default=None, help="only the first N rows")
    parser.add_argument(
        "--window",
        type=int,
        default=DEFAULT_WINDOW,
        help="source sentences per window; 0 = the whole source as one span",
    )
    parser.add_argument(
        "--keep-lead-ins",
        action="store_true",
        help='also score summary sentences ending in ":" (normally skipped as lead-ins)',
    )
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    if args.window < 0:
        parser.error("--window must be 0 or more")
    return args


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    samples = load_samples(from_root(args.path), args.limit)
    default = AnswerSettings().support_threshold
    embedder = CachedEmbedder(build_embedder(EmbeddingSettings()))
    scored, timing = score_all(samples, embedder, args.window, args.keep_lead_ins, default)
    summary = {name: summary_level(scored, samples, name, default) for name in SCHEMES}
    claim = {name: claim_level(scored, samples, name, default) for name in SCHEMES}
    detectors = {
        name: compare_detectors(
            scored, samples, name, {"best": summary[name]["best"]["threshold"], "default": default}
        )
        for name in SCHEMES
        if summary[name].get("items")
    }
    total = time.perf_counter() - started
    return {
        "run": {
            "samples": len(samples),
            "annotated": sum(s.release is not None for s in samples),
            "limit": args.limit,
            "window": args.window,
            "keep_lead_ins": args.keep_lead_ins,
            "default_threshold": default,
            "embedder": embedder.model_name,
            "max_tokens": embedder.max_tokens,
            "claims": sum(len(x.claims) for x in scored),
            **timing,
            "total_s": round(total, 2),
            "ms_per_summary": round(1000 * total / max(len(samples), 1), 1),
        },
        "summary": summary,
        "claim": claim,
        "detectors": detectors,
        "per_sample": [
            {"row": s.row, "llm": s.llm, "label": s.label, **asdict(x)}
            for s, x in zip(samples, scored, strict=True)
        ],
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    figures = run(args)
    out = from_root(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print_table(figures)
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
