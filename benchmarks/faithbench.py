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

The modules: ``faithbench_data`` (rows and labels), ``faithbench_scoring`` (the checker over
claims and windows), ``calibration`` (AUC, thresholds, folds), ``faithbench_figures`` (every
figure per level and scheme); this one is the command and its report.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from assistant.config import AnswerSettings, EmbeddingSettings
from assistant.index.embedding import build_embedder
from benchmarks.calibration import FOLDS
from benchmarks.faithbench_data import SCHEMES, load_samples
from benchmarks.faithbench_figures import claim_level, compare_detectors, summary_level
from benchmarks.faithbench_scoring import CachedEmbedder, score_all

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATH = Path("../shared/datasets/faithbench")
DEFAULT_OUT = Path("benchmarks/results/faithbench.json")
DEFAULT_WINDOW = 1


def from_root(path: Path) -> Path:
    """Relative paths are taken from the repository root, wherever the command runs."""
    return path if path.is_absolute() else REPO_ROOT / path


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
