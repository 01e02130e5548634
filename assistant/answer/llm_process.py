"""The local GGUF model in a supervised child process, so native faults end the child only.

llama.cpp is native code: an illegal instruction, a segfault, an abort or the OOM killer would
end whatever process runs it. Here it runs in ``llm_worker``; a death of the child becomes a
``ModelCrashError`` for the current answer (the chain then quotes the sources), and the child is
started again for the next question, after a backoff, at most ``llm.max_restarts`` times in a
row.
"""

from __future__ import annotations

import json
import logging
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import IO, Any, NoReturn

from assistant.answer.llm import Message
from assistant.config import LLMSettings
from assistant.errors import ModelCrashError, ModelError

log = logging.getLogger("assistant.model")
SHORT_WAIT_S = 5.0  # a restart backoff up to this long is waited out by the next question

_WHY = {
    signal.SIGILL: "illegal instruction: llama.cpp was built for a CPU feature this machine "
    "does not enable; rebuild it with scripts/bootstrap (portable flags)",
    signal.SIGSEGV: "segmentation fault in llama.cpp",
    signal.SIGABRT: "llama.cpp aborted",
    signal.SIGKILL: "killed (out of memory, or by hand)",
    signal.SIGBUS: "bus error in llama.cpp",
}


def describe_exit(code: int | None) -> str:
    """A returncode as words: ``-4`` is "SIGILL (illegal instruction: ...)"."""
    if code is None:
        return "still running"
    if code < 0:
        sig = signal.Signals(-code)
        return f"{sig.name} ({_WHY.get(sig, 'killed by a signal')})"
    return f"exit status {code}"


def _pump(stream: IO[str], lines: queue.Queue[dict[str, Any] | None]) -> None:
    """Move the child's protocol lines into ``lines``; None marks the end (the child is gone)."""
    for line in stream:
        try:
            lines.put(json.loads(line))
        except json.JSONDecodeError:
            log.warning("model process printed a line that is not JSON: %.200s", line)
    lines.put(None)


class ModelProcess:
    """A ``ChatModel`` whose llama.cpp runs in a child process under supervision."""

    def __init__(self, settings: LLMSettings) -> None:
        self._settings = settings
        self.name = settings.model.rsplit("/", 1)[-1] if settings.model else "SmolLM2-135M"
        self._proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._ready = False
        self._crashes = 0  # in a row, since the last answer that finished
        self._not_before = 0.0  # monotonic time before which no restart is tried
        self._request = 0
        self._start()

    # --- lifecycle -------------------------------------------------------------------

    def _start(self) -> None:
        self._lines = queue.Queue()
        self._ready = False
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "assistant.answer.llm_worker", self._settings.model_dump_json()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        assert self._proc.stdout is not None
        threading.Thread(
            target=_pump, args=(self._proc.stdout, self._lines), daemon=True, name="model-pump"
        ).start()

    def _await_ready(self) -> None:
        """Wait for the child's "ready" line (it loads the model first)."""
        if self._ready:
            return
        message = self._next(self._settings.load_timeout_s, "load the model")
        if message is not None and "ready" in message:
            self.name = str(message["ready"])
            self._ready = True
            return
        if message is not None and "fatal" in message:
            self._crashed(f"could not load the model: {message['fatal']}", fatal=True)
        self._crashed("died while loading the model")

    def _ensure_running(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        limit = self._settings.max_restarts
        if self._crashes > limit:
            raise ModelCrashError(
                f"the model process died {self._crashes} times in a row and stays off; "
                "run `python -m assistant doctor`, then restart the assistant"
            )
        wait = self._not_before - time.monotonic()
        if wait > SHORT_WAIT_S:
            raise ModelCrashError(f"the model process is restarting (next try in {wait:.0f} s)")
        if wait > 0:
            time.sleep(wait)  # a short backoff is better waited out than answered with a quote
        log.warning("starting the model process again (restart %d of %d)", self._crashes, limit)
        self._start()

    def close(self) -> None:
        """Stop the child (it also stops by itself when this process goes away)."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def probe(self) -> str:
        """Generate one token in the child; returns it, or raises ``ModelError``."""
        for piece in self._generate([{"role": "user", "content": "Say OK."}], None, max_tokens=1):
            return piece
        return ""

    # --- answers ---------------------------------------------------------------------

    def stream(
        self, messages: list[Message], schema: dict[str, Any] | None = None
    ) -> Iterator[str]:
        yield from self._generate(messages, schema, max_tokens=None)

    def _generate(
        self, messages: list[Message], schema: dict[str, Any] | None, max_tokens: int | None
    ) -> Iterator[str]:
        self._ensure_running()
        self._await_ready()
        assert self._proc is not None and self._proc.stdin is not None
        self._request += 1
        rid = self._request
        request = {"id": rid, "messages": messages, "schema": schema, "max_tokens": max_tokens}
        try:
            self._proc.stdin.write(json.dumps(request) + "\n")
            self._proc.stdin.flush()
        except OSError:
            self._crashed("died before the question reached it")
        while True:
            message = self._next(self._settings.timeout_s, "answer")
            if message is None:
                self._crashed("died in the middle of an answer")
            if message.get("id") != rid:
                continue  # the rest of an answer whose reader stopped early
            if "piece" in message:
                yield str(message["piece"])
            elif "error" in message:
                raise ModelError(str(message["error"]))
            else:
                self._crashes = 0
                return

    def _next(self, timeout: float, doing: str) -> dict[str, Any] | None:
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            assert self._proc is not None
            self._proc.kill()
            self._proc.wait()
            self._crashed(f"did not {doing} within {timeout:.0f} s and was stopped")
            raise AssertionError("unreachable") from None

    def _crashed(self, what: str, fatal: bool = False) -> NoReturn:
        """Record a death of the child and raise ``ModelCrashError`` saying why."""
        assert self._proc is not None
        code = self._proc.wait()
        self._crashes = self._settings.max_restarts + 1 if fatal else self._crashes + 1
        backoff = self._settings.restart_backoff_s * 2 ** (self._crashes - 1)
        self._not_before = time.monotonic() + backoff
        reason = f"the model process {what}: {describe_exit(code)}"
        log.error("%s; restart in %.1f s at the next question", reason, backoff)
        raise ModelCrashError(reason)
