"""Test doubles for our own logic: a scripted chat model that records what it was asked."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from assistant.answer.llm import Message

Script = Callable[[str], str]


def evidence_number(prompt: str, needle: str, default: int | None = None) -> int:
    """The number under which the prompt shows the sentence containing ``needle``."""
    for line in prompt.splitlines():
        match = re.match(r"\[(\d+)\] (.*)", line)
        if match and needle in match.group(2):
            return int(match.group(1))
    if default is not None:
        return default
    raise AssertionError(f"no numbered sentence contains {needle!r}")


def structured(*sentences: tuple[str, list[int]]) -> str:
    return json.dumps({"sentences": [{"text": t, "citations": c} for t, c in sentences]})


class ScriptedModel:
    """Replies with ``script(user prompt)``, streamed in small pieces; records every call."""

    name = "scripted"

    def __init__(self, script: Script) -> None:
        self.script = script
        self.calls: list[tuple[list[Message], dict[str, Any] | None]] = []

    def stream(
        self, messages: list[Message], schema: dict[str, Any] | None = None
    ) -> Iterator[str]:
        self.calls.append((messages, schema))
        reply = self.script(messages[-1]["content"])
        for i in range(0, len(reply), 7):
            yield reply[i : i + 7]

    def close(self) -> None:
        pass
