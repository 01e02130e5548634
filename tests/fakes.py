"""Test doubles for our own logic: a scripted chat model that records what it was asked, and a
deterministic embedder for tests that need *an* embedder but not real semantics."""

from __future__ import annotations

import json
import math
import re
import zlib
from collections.abc import Callable, Iterator
from functools import cache
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


_TOKEN = re.compile(r"\w+|[^\w\s]")
_PIECE = 6  # a long word is several tokens, as with WordPiece ("x" * 1500 is 250 tokens)


@cache
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def _bucket(word: str, size: int) -> int:
    """A stable bucket for ``word`` (crc32, not ``hash``: the same in every process)."""
    return zlib.crc32(word.encode("utf-8", "surrogatepass")) % size


class FakeEmbedder:
    """Hashed bag of stemmed, lower-cased words, L2-normalised: fast, deterministic, offline.

    Texts that share words have a higher cosine, which is all the unit tests need; the tests
    whose assertions rest on real semantic similarity keep the bundled ONNX embedder."""

    model_name = "fake-hashed-words"
    max_tokens = 256
    dimension = 256
    vocabulary = 30_000

    def tokenize(self, text: str) -> list[int]:
        """Word and punctuation tokens, long words cut into pieces of ``_PIECE`` characters."""
        pieces = [
            token[i : i + _PIECE] for token in _TOKEN.findall(text)
            for i in range(0, len(token), _PIECE)
        ]  # fmt: skip
        return [_bucket(piece, self.vocabulary) for piece in pieces]

    def embed(self, text: str) -> list[float]:
        """The unit vector of ``text``; a text without words gets the first axis."""
        vector = [0.0] * self.dimension
        words = [w.casefold() for w in re.findall(r"\w+", text)]
        for stem in _stemmer().stemWords(words):
            vector[_bucket(stem, self.dimension)] += 1.0
        norm = math.sqrt(sum(v * v for v in vector))
        if not norm:
            return [1.0] + [0.0] * (self.dimension - 1)
        return [v / norm for v in vector]

    def get_query_embedding(self, query: str) -> list[float]:
        return self.embed(query)

    def get_text_embedding_batch(
        self, texts: list[str], show_progress: bool = False
    ) -> list[list[float]]:
        return [self.embed(text) for text in texts]
