"""Turn model output into ``(sentence, cited numbers)`` pairs: JSON when constrained, else [n] markers."""

from __future__ import annotations

import json
import re
from typing import Any

from assistant.ingest.chunking import sentence_spans

ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "sentences": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "text": {"type": "string"},
                    "citations": {"type": "array", "items": {"type": "integer"}},
                },
                "required": ["text", "citations"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["sentences"],
    "additionalProperties": False,
}

_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_SENTENCE_OBJECT = re.compile(
    r'\{\s*"text"\s*:\s*"((?:[^"\\]|\\.)*)"\s*,\s*"citations"\s*:\s*\[([\d,\s]*)\]\s*\}'
)
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?])")
_TEXT_FIELD = re.compile(r'"text"\s*:\s*"((?:[^"\\]|\\.)*)')

Claim = tuple[str, list[int]]


def parse_marked(text: str) -> list[Claim]:
    """Plain text with [n] markers: one claim per sentence, markers removed from the text."""
    claims: list[Claim] = []
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        numbers = [int(n) for group in _MARKER.findall(sentence) for n in group.split(",")]
        clean = _strip_markers(sentence)
        if clean.strip(" .") == "" and claims:
            claims[-1] = (claims[-1][0], claims[-1][1] + numbers)  # markers after the full stop
        elif clean:
            claims.append((clean, numbers))
    return claims


def parse_structured(text: str) -> list[Claim]:
    """JSON per ``ANSWER_SCHEMA``; complete sentence objects are salvaged from cut-off output."""
    try:
        data = json.loads(text, strict=False)  # small models put raw newlines in strings
        items = data["sentences"] if isinstance(data, dict) else []
        claims = [
            (str(i["text"]).strip(), [int(n) for n in i.get("citations", []) if isinstance(n, int)])
            for i in items
            if isinstance(i, dict) and isinstance(i.get("text"), str)
        ]
    except (json.JSONDecodeError, KeyError, TypeError):
        claims = _complete_objects(text)
    # A model may still write [n] inside the text: honour those markers too.
    return parse_structured_claims(claims)


def _complete_objects(text: str) -> list[Claim]:
    """The sentence objects of (possibly cut-off) JSON output that are complete."""
    return [
        (_decode_partial(body).strip(), [int(n) for n in ids.replace(" ", "").split(",") if n])
        for body, ids in _SENTENCE_OBJECT.findall(text)
    ]


def _strip_markers(sentence: str) -> str:
    return _SPACE_BEFORE_PUNCT.sub(r"\1", " ".join(_MARKER.sub("", sentence).split()))


def _decode_partial(raw: str) -> str:
    """Decode a JSON string body that may end in the middle of an escape."""
    for cut in range(0, 7):
        candidate = raw[: len(raw) - cut] if cut else raw
        try:
            return str(json.loads(f'"{candidate}"', strict=False))
        except json.JSONDecodeError:
            continue
    return ""


class ClaimStream:
    """Complete claims out of streamed model output, each as soon as it is whole.

    JSON output yields a sentence once its object has closed; plain text yields a sentence
    once the next one has begun (so markers after its full stop are still its own)."""

    def __init__(self) -> None:
        self._buffer = ""
        self._given = 0

    def feed(self, delta: str) -> list[Claim]:
        self._buffer += delta
        text = self._buffer.lstrip()
        if text.startswith("{"):
            return self._take(parse_structured_claims(_complete_objects(text)))
        return self._take(parse_marked(text)[:-1])

    def close(self) -> list[Claim]:
        """The claims not given yet, from the whole output."""
        text = self._buffer.strip()
        return self._take(parse_structured(text) if text.startswith("{") else parse_marked(text))

    def _take(self, claims: list[Claim]) -> list[Claim]:
        new = claims[self._given :]
        self._given = max(self._given, len(claims))
        return new


def parse_structured_claims(claims: list[Claim]) -> list[Claim]:
    """Claims with inline [n] markers moved into their citations."""
    out = []
    for sentence, numbers in claims:
        inline = [int(n) for group in _MARKER.findall(sentence) for n in group.split(",")]
        clean = _strip_markers(sentence)
        if clean:
            out.append((clean, numbers + inline))
    return out
