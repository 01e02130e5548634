"""The bundled model in its supervised child process: a native death mid-answer is one failed
answer (``ModelCrashError`` naming the signal), never the caller's death, and the next answer
comes from a restarted child. Also: the llama.cpp that was built runs on this CPU."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.answer.llm_process import ModelProcess
from assistant.answer.llm_worker import FAULT_FILE_ENV
from assistant.config import LLMSettings
from assistant.doctor import BUILD_NEEDS, cpu_flags
from assistant.errors import ModelCrashError

pytestmark = pytest.mark.slow

QUESTION = [{"role": "user", "content": "Name three colours."}]


@pytest.fixture
def fault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fault file the worker looks for (set before the child starts: it inherits it)."""
    path = tmp_path / "fault"
    monkeypatch.setenv(FAULT_FILE_ENV, str(path))
    return path


def start(**changes: object) -> ModelProcess:
    values: dict[str, object] = {"threads": 1, "max_tokens": 24, "restart_backoff_s": 0.0}
    return ModelProcess(LLMSettings.model_validate(values | changes))


@pytest.fixture
def model(fault: Path) -> Iterator[ModelProcess]:
    opened = start()
    yield opened
    opened.close()


def answer(model: ModelProcess) -> str:
    return "".join(model.stream(QUESTION))


def child_pid(model: ModelProcess) -> int:
    proc = model._proc
    assert proc is not None and proc.poll() is None
    return proc.pid


@pytest.mark.parametrize(("planted", "words"), [("SIGKILL", "killed"), ("SIGILL", "illegal")])
def test_a_native_death_mid_answer_fails_that_answer_only(
    model: ModelProcess, fault: Path, planted: str, words: str
) -> None:
    assert answer(model).strip()
    first = child_pid(model)
    fault.write_text(planted)
    pieces: list[str] = []
    with pytest.raises(ModelCrashError) as raised:
        pieces.extend(model.stream(QUESTION))
    assert pieces, "the child died before its first piece: the fault was not mid-answer"
    assert planted in str(raised.value) and words in str(raised.value)
    assert not fault.exists()  # the worker took the fault
    os.kill(os.getpid(), 0)  # this process (the parent) is alive and well
    assert answer(model).strip()  # the next question is answered by a new child
    assert child_pid(model) != first


def test_after_max_restarts_it_stays_off_with_a_clear_error(fault: Path) -> None:
    model = start(max_restarts=1)
    try:
        for _ in range(2):  # the first death, then one restart that dies too
            fault.write_text("SIGKILL")
            with pytest.raises(ModelCrashError, match="SIGKILL"):
                answer(model)
        with pytest.raises(ModelCrashError, match="stays off") as raised:
            answer(model)
        assert "doctor" in str(raised.value)
        assert model._proc is not None and model._proc.poll() is not None  # no new child
    finally:
        model.close()


def test_a_restart_waits_for_the_backoff(fault: Path) -> None:
    model = start(restart_backoff_s=600.0)
    try:
        fault.write_text("SIGABRT")
        with pytest.raises(ModelCrashError, match="SIGABRT"):
            answer(model)
        with pytest.raises(ModelCrashError, match="restarting"):
            answer(model)
    finally:
        model.close()


def test_probe_writes_one_token(model: ModelProcess) -> None:
    assert model.probe().strip()
    assert answer(model).strip()  # the probe's leftovers do not leak into the next answer


def test_the_llama_cpp_build_uses_only_kernels_this_cpu_enables() -> None:
    flags = cpu_flags()
    if flags is None:
        pytest.skip("no /proc/cpuinfo flags on this system")
    info = subprocess.run(
        [sys.executable, "-c", "import llama_cpp; print(llama_cpp.llama_print_system_info())"],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    built = set(re.findall(r"([A-Z0-9_]+) = 1", info))
    assert "AVX2" in built or "NEON" in built, info  # the parse found the features at all
    assert not [f for f in built if f.startswith("AMX")], f"AMX kernels are built in: {info}"
    lacking = [f for f in sorted(built) if f in BUILD_NEEDS and BUILD_NEEDS[f] not in flags]
    assert lacking == [], f"llama.cpp uses {lacking}, which this CPU does not enable: {info}"
