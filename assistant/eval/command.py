"""``python -m assistant.eval``: run the pipeline over a question set, report, compare, gate.

Settings are built here once per compared config and passed down. Bad input is a one-line
error and exit status 2; a metric under its ``--fail-under`` floor or over its ``--fail-over``
ceiling gives exit status 1.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from assistant.errors import AssistantError, ConfigError
from assistant.eval import realtimeqa
from assistant.eval.benchmark import Benchmark
from assistant.eval.datasets import DEFAULT_PATHS, ours, public
from assistant.eval.followups import followups
from assistant.eval.gate import deltas, failures, load_summary, parse_thresholds, same_questions
from assistant.eval.machine import machine_facts
from assistant.eval.questions import EvalDataError, QuestionRow, select
from assistant.eval.report import delta_table, terminal_table, write_run
from assistant.eval.results import QuestionResult, RunSummary, aggregate
from assistant.eval.runner import build_index, run_config
from assistant.eval.settings import configs, ensure_local, index_dir


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m assistant.eval",
        description="Measure answers, retrieval and citation grounding over a question set.",
    )
    add = parser.add_argument
    add("--dataset", choices=["questions", "followups", *DEFAULT_PATHS], default="questions",
        help="our question set (default), its follow-up conversations, or a public benchmark "
             "read from --path")  # fmt: skip
    add("--path", type=Path, help="the public dataset's folder (default: ../shared/datasets/...)")
    add("--questions", type=Path, default=Path("evals/questions.jsonl"), help="question file")
    add("--corpus", type=Path, action="append", default=[],
        help="articles for our question set (repeatable; default: corpus_dir)")  # fmt: skip
    add("--distractors", choices=["realtimeqa", "realtimeqa-2025"],
        help="our question set: add this dataset's articles to the corpus (from --path)")  # fmt: skip
    add("--unseen", choices=["realtimeqa", "realtimeqa-2025"],
        help="also ask this dataset's questions, as unanswerable: the index lacks their weeks' "
             "news (type other-weeks; read from ../shared)")  # fmt: skip
    add("--unseen-count", type=int, default=120, help="how many --unseen questions (spread out)")
    add("--config", type=Path, action="append", default=[],
        help="settings file; repeat to compare configs side by side")  # fmt: skip
    add("--provider", action="append", default=[], choices=["llamacpp", "openai", "extractive"],
        help="override llm.provider (repeatable: one run per provider)")  # fmt: skip
    add("--limit", type=int, help="only the first N questions (after --only)")
    add("--only", action="append", default=[], metavar="ID",
        help="only question ids matching ID (glob, e.g. 'seed-0*'; repeatable)")  # fmt: skip
    add("--data-dir", type=Path, help="keep indexes here and reuse them (default: a temp dir)")
    add("--out", type=Path, default=Path("evals/results"), help="results folder")
    add("--compare", type=Path, metavar="SUMMARY", help="print deltas against this summary.json")
    add("--fail-under", action="append", default=[], metavar="METRIC=VALUE",
        help="exit 1 when METRIC is below VALUE (higher-is-better metrics; repeatable)")  # fmt: skip
    add("--fail-over", action="append", default=[], metavar="METRIC=VALUE",
        help="exit 1 when METRIC is above VALUE (false_refusal_rate, misled_rate, seconds; "
             "repeatable)")  # fmt: skip
    add("--quiet", action="store_true", help="no progress bars")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def run(args: argparse.Namespace) -> int:
    floors = parse_thresholds(args.fail_under, "--fail-under")
    ceilings = parse_thresholds(args.fail_over, "--fail-over")
    if args.limit is not None and args.limit < 1:
        raise ConfigError("--limit must be at least 1")
    baseline = load_summary(args.compare) if args.compare else None
    labelled = configs(args.config, args.provider)
    for label, settings in labelled:
        ensure_local(label, settings)
    with tempfile.TemporaryDirectory(prefix="assistant-eval-") as scratch:
        bench = _benchmark(args, labelled[0][1].corpus_dir, Path(scratch))
        bench.rows += _unseen(args, bench.source)
        rows = select(bench.rows, args.only, args.limit)
        if baseline:
            ids = {r.id for r in rows}
            baseline = same_questions(baseline, args.compare, bench.name, ids)
        summaries, results = [], []
        articles = 0
        for label, settings in labelled:
            data = index_dir(args.data_dir or Path(scratch) / "data", settings, bench.source)
            tuned = settings.model_copy(update={"data_dir": data, "corpus_dir": bench.corpus[0]})
            report = build_index(tuned, bench.corpus, progress=not args.quiet)
            articles = report.added + report.updated + report.unchanged
            if report.problems:
                print(
                    f"{label}: {len(report.problems)} article(s) skipped at ingest", file=sys.stderr
                )
            if articles == 0:
                why = "; ".join(str(p) for p in report.problems[:3]) or "no articles found"
                raise EvalDataError(f"nothing was ingested from {bench.source} ({why})")
            done = run_config(label, tuned, rows, progress=not args.quiet)
            summaries.append(aggregate(done.label, done.provider, done.model, done.results))
            results += done.results
    summary = RunSummary(
        created=datetime.now(UTC).strftime("%Y-%m-%dT%H%M%SZ"), dataset=bench.name,
        questions=len(rows), configs=summaries, reference=bench.reference, notes=bench.notes,
        corpus={"source": bench.source, "articles": articles}, machine=machine_facts(),
    )  # fmt: skip
    return _report(args, summary, results, baseline, (floors, ceilings))


def _benchmark(args: argparse.Namespace, corpus_dir: Path, scratch: Path) -> Benchmark:
    if args.dataset == "followups":
        bench = _benchmark(_as_questions(args), corpus_dir, scratch)
        bench.rows, bench.name = followups(bench.rows), "followups"
        return bench
    if args.dataset == "questions":
        corpus = args.corpus or [corpus_dir]
        for path in corpus:
            if not path.exists():
                raise ConfigError(f"corpus {path} does not exist; pass --corpus or set corpus_dir")
        if not args.distractors:
            return ours(args.questions, corpus)
        # Our questions over a bigger index: a public dataset's articles beside the corpus.
        folder = args.path or DEFAULT_PATHS[args.distractors]
        bench = ours(args.questions, [*corpus, realtimeqa.write_corpus(folder, scratch / "more")])
        bench.source = ";".join(
            ["questions:" + ";".join(str(p.resolve()) for p in corpus), str(folder.resolve())]
        )
        return bench
    return public(args.dataset, args.path, scratch)


def _unseen(args: argparse.Namespace, source: str) -> list[QuestionRow]:
    """The ``--unseen`` rows; an error when that dataset's articles are in the index."""
    if not args.unseen:
        return []
    if args.unseen_count < 1:
        raise ConfigError("--unseen-count must be at least 1")
    folder = DEFAULT_PATHS[args.unseen]
    if str(folder.resolve()) in source.split(";") or source.startswith(f"{args.unseen}:"):
        raise ConfigError(
            f"--unseen {args.unseen}: its articles are in this index, so its questions are not "
            "unseen; pick the other dataset"
        )
    return realtimeqa.unseen(folder, args.unseen_count)


def _as_questions(args: argparse.Namespace) -> argparse.Namespace:
    return argparse.Namespace(**(vars(args) | {"dataset": "questions"}))


def _new_folder(out: Path, name: str) -> Path:
    """``out/name``, or ``out/name-2``, ``-3``... when a run in the same second took it."""
    folder, n = out / name, 1
    while folder.exists():
        n += 1
        folder = out / f"{name}-{n}"
    return folder


def _report(
    args: argparse.Namespace, summary: RunSummary, results: list[QuestionResult],
    baseline: RunSummary | None, thresholds: tuple[dict[str, float], dict[str, float]],
) -> int:  # fmt: skip
    changes = deltas(summary, baseline) if baseline else []
    folder = _new_folder(args.out, summary.created)
    write_run(folder, summary, results, changes, baseline)
    print(terminal_table(summary))
    for line in summary.reference:
        print(f"reference: {line}")
    if baseline and changes:
        print(f"against {args.compare} ({baseline.dataset}, {baseline.questions} questions):")
        if (baseline.dataset, baseline.questions) != (summary.dataset, summary.questions):
            print("note: the baseline ran other questions; deltas mix question sets")
        print(delta_table(changes))
    print(f"written to {folder}")
    failed = failures(summary, *thresholds)
    for line in failed:
        print(f"FAIL {line}", file=sys.stderr)
    return 1 if failed else 0
