"""What the model's child process costs: start-up, per-answer overhead and decode speed of the
bundled SmolLM2 through ``ModelProcess`` (llm.isolate = true) and in-process ``LlamaCppModel``.

Run: ``python -m benchmarks.model_isolation [--rounds 5] [--threads 1]``. Prints medians; the two
variants run interleaved, so a busy machine slows both alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from assistant.answer.llm import LlamaCppModel
from assistant.answer.llm_process import ModelProcess
from assistant.config import LLMSettings

SEED = Path(__file__).resolve().parent.parent / "corpus" / "us-israel-iran-talks.txt"
ARTICLE = SEED.read_text(encoding="utf-8")[:2500]  # about 550 prompt tokens, as in an answer

LONG = [{"role": "user", "content": "Write a long, detailed story about a lighthouse keeper."}]
# An answer-sized request: prompt from an article, a short reply; runs after ``LONG``, so
# llama.cpp's prompt cache cannot serve it.
ANSWER = [
    {"role": "system", "content": "Answer from the article only."},
    {"role": "user", "content": f"{ARTICLE}\n\nWhere did Steve Witkoff meet the Iranian minister?"},
]
SHORT = [{"role": "user", "content": "Say OK."}]
Stream = Callable[[list[dict[str, str]], int], Iterator[str]]


def timed(stream: Stream, messages: list[dict[str, str]], max_tokens: int) -> dict[str, float]:
    """Seconds to the first piece, total seconds, and pieces (one token each) per second after
    the first."""
    start = time.perf_counter()
    first = 0.0
    pieces = 0
    for _ in stream(messages, max_tokens):
        pieces += 1
        if pieces == 1:
            first = time.perf_counter()
    end = time.perf_counter()
    rate = (pieces - 1) / (end - first) if pieces > 1 else 0.0
    return {"first_s": first - start, "total_s": end - start, "tok_s": rate, "tokens": pieces}


def variants(settings: LLMSettings) -> tuple[dict[str, Any], dict[str, float]]:
    """Both models, loaded, with the seconds each took from nothing to its first token."""
    started: dict[str, float] = {}
    t = time.perf_counter()
    child = ModelProcess(settings)
    child.probe()
    started["child process"] = time.perf_counter() - t
    t = time.perf_counter()
    local = LlamaCppModel(settings)
    next(local.stream([{"role": "user", "content": "Say OK."}], None, 1))
    started["in process"] = time.perf_counter() - t

    def child_stream(messages: list[dict[str, str]], n: int) -> Iterator[str]:
        return child._generate(messages, None, max_tokens=n)

    def local_stream(messages: list[dict[str, str]], n: int) -> Iterator[str]:
        return local.stream(messages, None, n)

    return {"child process": (child, child_stream), "in process": (local, local_stream)}, started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--tokens", type=int, default=128)
    args = parser.parse_args()
    settings = LLMSettings(threads=args.threads, temperature=0.0)
    models, started = variants(settings)
    results: dict[str, dict[str, list[float]]] = {name: {} for name in models}
    for _ in range(args.rounds):
        for name, (_, stream) in models.items():
            cases = [("decode", LONG, args.tokens), ("answer", ANSWER, 64)]
            for label, messages, n in cases:
                for key, value in timed(stream, messages, n).items():
                    results[name].setdefault(f"{label} {key}", []).append(value)
            timed(stream, SHORT, 1)  # the second of two equal requests: its prompt is cached
            results[name].setdefault("round trip s", []).append(timed(stream, SHORT, 1)["total_s"])
    load = os.getloadavg()[0]
    print(f"threads {args.threads}, {args.rounds} rounds, load average {load:.2f}")
    for name, found in results.items():
        print(f"\n{name}: start-up to first token {started[name]:.2f} s")
        for key, values in found.items():
            if key not in ("answer tokens", "answer first_s", "decode first_s"):
                print(f"  {key:<22} median {statistics.median(values):8.3f}")
    for model, _ in models.values():
        model.close()


if __name__ == "__main__":
    main()
