"""The ingest and scale benchmarks run end to end on small sizes and write sane figures.

Figures themselves are for docs/performance.md (measured on an idle machine), never asserted
as speeds here; these check the commands keep working and what they write hangs together."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def _bench(module: str, *args: str) -> None:
    command = [sys.executable, "-m", f"benchmarks.{module}", *args]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.slow
def test_scale_benchmark_builds_and_times_embedded_and_server(tmp_path: Path) -> None:
    out = tmp_path / "scale.json"
    _bench("scale", "--sizes", "300", "--server", "--out", str(out))
    report = json.loads(out.read_text())
    embedded, server = report["results"]
    assert (embedded["chroma"], server["chroma"]) == ("embedded", "server")
    # a prefix of whole articles: about the target, never wildly off
    assert 150 <= embedded["chunks"] <= 600 and server["chunks"] == embedded["chunks"]
    for row in (embedded, server):
        assert 0 < row["hybrid_p50_ms"] <= row["hybrid_p95_ms"]
        assert row["query_embedding_p50_ms"] > 0 and row["dense_p50_ms"] > 0
    assert embedded["ingest_one_s"] > 0 and "ingest_one_s" not in server
    assert report["machine"]["cpu_count"] >= 1 and "commit" in report["code"]


@pytest.mark.slow
def test_ingest_benchmark_reports_throughput_and_the_raw_embedder_ratio(tmp_path: Path) -> None:
    out = tmp_path / "ingest.json"
    _bench("ingest", "--limit", "15", "--raw-sample", "100", "--out", str(out))
    figures = json.loads(out.read_text())["figures"]
    assert figures["ingest_articles_per_s"] > 0 and figures["ingest_chunks_per_s"] > 0
    assert 0 < figures["ratio_e2e_to_raw"] < 2  # end to end cannot beat raw embedding by 2x
    assert 0 < figures["query_p50_ms"] <= figures["query_p95_ms"]
