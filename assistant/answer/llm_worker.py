"""The child side of ``ModelProcess``: load a GGUF model, answer JSON-line requests on stdin.

Run as ``python -m assistant.answer.llm_worker SETTINGS_JSON``. Protocol (one JSON object a
line on the original stdout): ``{"ready": name}`` once loaded, then for each request
``{"id", "piece"}``... and ``{"id", "done": true}`` or ``{"id", "error": message}``.
Native output of llama.cpp goes to stderr, so it cannot corrupt the protocol.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
from pathlib import Path
from typing import IO, Any

from assistant.answer.llm import LlamaCppModel
from assistant.config import LLMSettings
from assistant.errors import AssistantError

# Test hook: when this variable names a file that exists at a request, the file holds a signal
# name (SIGILL, SIGSEGV, SIGABRT, SIGKILL); the file is removed and the worker kills itself with
# that signal after the first piece, as a native fault in the middle of an answer would.
FAULT_FILE_ENV = "ASSISTANT_MODEL_FAULT_FILE"


def _send(out: IO[str], message: dict[str, Any]) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


def _planted_fault() -> signal.Signals | None:
    path = os.environ.get(FAULT_FILE_ENV)
    if not path or not Path(path).is_file():
        return None
    name = Path(path).read_text(encoding="utf-8").strip() or "SIGKILL"
    Path(path).unlink(missing_ok=True)
    return signal.Signals[name]


def _die(sig: signal.Signals) -> None:
    if sig != signal.SIGKILL:  # SIGKILL has no handler to reset (setting one is EINVAL)
        signal.signal(sig, signal.SIG_DFL)
    os.kill(os.getpid(), sig)


def main() -> int:
    # A crash must not leave core files behind in the user's folder.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever native code prints lands in the log, not in the protocol
    settings = LLMSettings.model_validate_json(sys.argv[1])
    try:
        model = LlamaCppModel(settings)
    except AssistantError as exc:
        _send(out, {"fatal": str(exc)})
        return 1
    _send(out, {"ready": model.name})
    for line in sys.stdin:
        request = json.loads(line)
        rid = request["id"]
        fault = _planted_fault()
        try:
            for piece in model.stream(
                request["messages"], request["schema"], request["max_tokens"]
            ):
                _send(out, {"id": rid, "piece": piece})
                if fault is not None:
                    _die(fault)
            _send(out, {"id": rid, "done": True})
        except AssistantError as exc:
            _send(out, {"id": rid, "error": str(exc)})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
