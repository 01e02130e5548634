"""What every benchmark shares: paths from the repository root, settings pointed at scratch
folders, percentiles, memory, and the JSON report with the machine and commit it ran on."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.config import Settings, load_settings
from assistant.eval.machine import machine_facts
from assistant.eval.metrics import percentile as eval_percentile

REPO_ROOT = Path(__file__).resolve().parent.parent


def from_root(path: Path) -> Path:
    """``path`` as given when absolute, else relative to the repository root."""
    return path if path.is_absolute() else REPO_ROOT / path


def bench_settings(data_dir: Path, corpus_dir: Path) -> Settings:
    """The effective settings, pointed at the scratch directories and an embedded Chroma."""
    settings = load_settings()
    chroma = settings.chroma.model_copy(update={"host": None})
    return settings.model_copy(
        update={"data_dir": data_dir, "corpus_dir": corpus_dir, "chroma": chroma}
    )


def percentile(values: Sequence[float], pct: float) -> float:
    """The eval's percentile (0-100, linear interpolation), of a list that must not be empty."""
    value = eval_percentile(values, pct)
    if value is None:
        raise ValueError("a percentile of no values")
    return value


def peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def code_version() -> dict[str, Any]:
    """The commit measured and which pipeline files differed from it (read-only git)."""

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True
            )
        except (OSError, subprocess.CalledProcessError):
            return ""
        return done.stdout.rstrip("\n")

    changed = git("status", "--porcelain", "--", "assistant", "benchmarks").splitlines()
    return {"commit": git("rev-parse", "HEAD") or None, "uncommitted": changed}


def provenance(load_before: tuple[float, float, float] | None = None) -> dict[str, Any]:
    """``machine`` and ``code`` for a report. Other work on the machine slows every figure;
    the load averages (before, when given, and now) show whether there was any."""
    machine = machine_facts() | {"load_average_after": os.getloadavg()}
    if load_before is not None:
        machine["load_average_before"] = load_before
    return {"machine": machine, "code": code_version()}


def write_report(path: Path, report: dict[str, Any]) -> Path:
    """``report`` as indented JSON at ``path`` (from the repository root when relative)."""
    out = from_root(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written to {out}")
    return out
