"""``python -m assistant doctor``: every check passes on a healthy setup, and a broken one gets
a FAIL line with its fix and exit status 1."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import doctor
from assistant.config import ChromaSettings, LLMSettings, Settings
from assistant.doctor import (
    REBUILD,
    Check,
    check_build,
    check_chroma_server,
    check_disk,
    check_model,
    cpu_flags,
)
from benchmarks.servers import free_port
from tests.conftest import REPO

EXPECTED = ["python", "cpu", "llama-build", "model", "embedder", "index", "disk"]


def run_doctor(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    return subprocess.run(
        [sys.executable, "-m", "assistant", "doctor", *args], env={**keep, **env},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def lines(out: str) -> dict[str, str]:
    """``{check name: its line}``; every line must be an ``ok`` or a ``FAIL`` line."""
    found = {}
    for line in out.splitlines():
        assert line.startswith(("ok   ", "FAIL ")), line
        found[line[5:].split()[0]] = line
    return found


def test_cpuinfo_flags_are_read_from_the_flags_line(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse4_2 avx avx2 fma\nbugs\t\t: x\n")
    assert cpu_flags(info) == {"fpu", "sse4_2", "avx", "avx2", "fma"}
    assert cpu_flags(tmp_path / "missing") is None


def test_a_build_feature_the_cpu_lacks_is_a_failure(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(doctor, "build_features", lambda: {"AVX", "AVX2", "AVX512", "OPENMP"})
    found = check_build({"avx", "avx2"}, tmp_path / "no-flags-file")
    assert not found.ok and "AVX512" in found.detail and found.fix == REBUILD
    assert check_build({"avx", "avx2", "avx512f"}, tmp_path / "no-flags-file").ok


def test_any_amx_kernel_is_a_failure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    flags = {"avx", "avx2", "amx_int8", "amx_tile"}
    monkeypatch.setattr(doctor, "build_features", lambda: {"AVX2", "AMX_INT8"})
    assert not check_build(flags, tmp_path / "none").ok  # even on a CPU that has AMX
    monkeypatch.setattr(doctor, "build_features", lambda: {"AVX2"})
    cmake = tmp_path / ".llama-cpp-flags"
    cmake.write_text("-DGGML_NATIVE=OFF -DGGML_AMX_TILE=ON\n")
    found = check_build(flags, cmake)
    assert not found.ok and "AMX_TILE" in found.detail and found.fix == REBUILD


def test_a_build_that_cannot_load_is_a_failure_not_a_crash(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def dies() -> set[str]:
        raise subprocess.CalledProcessError(-4, ["python"], "", "Illegal instruction")

    monkeypatch.setattr(doctor, "build_features", dies)
    found = check_build({"avx"}, tmp_path / "none")
    assert not found.ok and "SIGILL" in found.detail and found.fix == REBUILD


def test_too_little_disk_space_is_a_failure(settings: Settings) -> None:
    assert check_disk(settings).ok
    low = check_disk(settings, minimum_mb=1e15)
    assert not low.ok and "MB free" in low.detail and low.fix


def test_servers_that_do_not_answer_are_failures_with_a_fix(settings: Settings) -> None:
    port = free_port()  # nothing listens there
    llm = LLMSettings(
        provider="openai", model="m", base_url=f"http://127.0.0.1:{port}/v1", timeout_s=5
    )
    model = check_model(settings.model_copy(update={"llm": llm}))
    assert not model.ok and f"127.0.0.1:{port}" in model.detail and "llm.base_url" in model.fix
    chroma = ChromaSettings(host="127.0.0.1", port=port)
    found = check_chroma_server(settings.model_copy(update={"chroma": chroma}))
    assert not found.ok and "heartbeat" in found.detail and "chroma.host" in found.fix


@pytest.mark.slow
def test_with_the_extractive_default_the_bundled_model_is_probed(settings: Settings) -> None:
    extractive = LLMSettings(provider="extractive", threads=1)
    found = check_model(settings.model_copy(update={"llm": extractive}))
    assert found.ok and "wrote a token in a child process" in found.detail


def test_lines_say_ok_or_fail_with_the_fix() -> None:
    assert Check("disk", True, "9 MB free").line() == "ok   disk  9 MB free"
    assert Check("index", False, "none", "ingest").line() == "FAIL index  none — fix: ingest"


@pytest.mark.slow
def test_healthy_setup_passes_every_check(tmp_path: Path) -> None:
    env = {"ASSISTANT_DATA_DIR": str(tmp_path / "data"), "ASSISTANT_LLM__THREADS": "1"}
    corpus = REPO / "corpus"
    ingest = subprocess.run(
        [sys.executable, "-m", "assistant", "ingest", "--quiet", str(corpus)],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert ingest.returncode == 0, ingest.stderr
    done = run_doctor(**env)
    assert done.returncode == 0, done.stdout + done.stderr
    found = lines(done.stdout)
    assert list(found) == EXPECTED
    assert "wrote a token in a child process" in found["model"]
    store, chroma, bm25 = (int(n) for n in re.findall(r"\b\d+\b", found["index"]))
    assert store == chroma == bm25 > 0
    as_json = run_doctor("--json", **env, ASSISTANT_LLM__PROVIDER="extractive")
    assert as_json.returncode == 0, as_json.stderr
    checks = json.loads(as_json.stdout)
    assert [c["name"] for c in checks] == EXPECTED
    assert all(
        c["ok"] and c["fix"] == "" and set(c) == {"name", "ok", "detail", "fix"} for c in checks
    )


@pytest.mark.slow
def test_missing_index_fails_with_the_ingest_fix(tmp_path: Path) -> None:
    done = run_doctor(
        ASSISTANT_DATA_DIR=str(tmp_path / "nothing-here"), ASSISTANT_LLM__PROVIDER="extractive"
    )
    assert done.returncode == 1, done.stdout + done.stderr
    index = lines(done.stdout)["index"]
    assert index.startswith("FAIL index") and "fix: run python -m assistant ingest" in index
    assert not (tmp_path / "nothing-here").exists()  # the doctor creates nothing
    checks = json.loads(
        run_doctor(
            "--json", ASSISTANT_DATA_DIR=str(tmp_path / "x"), ASSISTANT_LLM__PROVIDER="extractive"
        ).stdout
    )
    assert [c["name"] for c in checks if not c["ok"]] == ["index"]


@pytest.mark.slow
@pytest.mark.parametrize("content", [b"this is not a model\n", b"GGUF but then garbage" * 4])
def test_a_model_file_that_is_not_a_gguf_fails_with_a_fix(tmp_path: Path, content: bytes) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_bytes(content)
    done = run_doctor(ASSISTANT_DATA_DIR=str(tmp_path / "data"), ASSISTANT_LLM__MODEL=str(fake))
    assert done.returncode == 1
    model = lines(done.stdout)["model"]
    assert model.startswith("FAIL model") and "fix: " in model and "llm." in model.split("fix:")[1]
