"""Every benchmark, one after another: ``python -m benchmarks.run [--quick] [--only NAME]``.

Each runs in a process of its own (so memory figures are its own) and writes its JSON under
``benchmarks/results/``; this prints the headline figures of all of them at the end, the ones
``docs/performance.md`` quotes. Run it on an idle machine: every figure is CPU-bound.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"

# name -> (module arguments for a full run, arguments for --quick)
STEPS: dict[str, tuple[list[str], list[str]]] = {
    "ingest": ([], ["--limit", "100", "--raw-sample", "500"]),
    "scale": (["--server"], ["--sizes", "1000", "--server"]),
    "chat_load": ([], ["--chats", "4"]),
    "baseline": ([], ["--limit", "10"]),
}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: minutes, not hours")
    parser.add_argument(
        "--only", action="append", choices=sorted(STEPS), help="run only this one (repeatable)"
    )
    return parser.parse_args(argv)


def run_step(name: str, extra: list[str]) -> float:
    """Run ``benchmarks.<name>``; returns its wall-clock seconds, stops everything on failure."""
    command = [sys.executable, "-m", f"benchmarks.{name}", *extra]
    print(f"\n=== {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, check=False)
    if done.returncode != 0:
        raise SystemExit(f"benchmarks.{name} failed with status {done.returncode}")
    return time.perf_counter() - started


def headline(name: str) -> dict[str, Any]:
    """The few figures of one benchmark's JSON that the performance page leads with."""
    path = RESULTS / f"{name}.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    match name:
        case "ingest":
            f = data["figures"]
            keys = ["ingest_articles_per_s", "ingest_chunks_per_s", "ratio_e2e_to_raw",
                    "query_p50_ms", "query_p95_ms"]  # fmt: skip
            return {k: f[k] for k in keys}
        case "scale":
            return {
                f"{r['chunks']} chunks {r['chroma']}": f"p50 {r['hybrid_p50_ms']} ms, "
                f"p95 {r['hybrid_p95_ms']} ms"
                + (f", one more article {r['ingest_one_s']} s" if "ingest_one_s" in r else "")
                for r in data["results"]
            }
        case "chat_load":
            keys = ["chats", "latency_p50_s", "latency_p95_s", "rss_idle_mib", "rss_peak_mib"]
            return {k: data[k] for k in keys}
        case _:
            return {k: v for k, v in data.items() if isinstance(v, int | float | str)}


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    chosen = args.only or list(STEPS)
    took = {}
    for name in chosen:
        full, quick = STEPS[name]
        took[name] = run_step(name, quick if args.quick else full)
    print("\n=== headline figures")
    for name in chosen:
        print(f"{name} ({took[name]:.0f} s):")
        for key, value in headline(name).items():
            print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
