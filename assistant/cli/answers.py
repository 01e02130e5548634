"""The answer commands: ask (one question) and chat (a conversation in the terminal)."""

from __future__ import annotations

import argparse
import re
import sys

from assistant.answer.chain import AnswerChain
from assistant.answer.llm import Message
from assistant.answer.question import turn
from assistant.app import open_chain, with_provider
from assistant.cli.library import open_store
from assistant.cli.output import print_json
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.terminal import printable
from assistant.types import Answer


def _chain(settings: Settings, args: argparse.Namespace) -> AnswerChain:
    settings = with_provider(settings, args.provider)
    open_store(settings).close()
    return open_chain(settings)


# Exit status of `ask` when it answered, but degraded (the model failed; the sources are quoted).
DEGRADED = 3


def ask(settings: Settings, args: argparse.Namespace) -> int:
    chain = _chain(settings, args)
    try:
        answer = chain.answer(args.question)
    finally:
        chain.close()
    if args.json:
        print_json(answer.model_dump(mode="json"))
    else:
        _print_answer(answer)
    if answer.notice:
        print(f"error: {answer.notice}", file=sys.stderr)
        return DEGRADED
    return 0


def _print_answer(answer: Answer, sources: bool = True) -> None:
    """The checked answer: its short answer in bold (on a terminal), the text, the sources."""
    if answer.short_answer:
        bold = sys.stdout.isatty()
        text = printable(answer.short_answer.text)
        print(f"\033[1m{text}\033[0m" if bold else f"Answer: {text}")
    print(printable(answer.text))
    if answer.fallback and not answer.abstained and answer.model != "none":
        print("(quoted from the sources: no generated sentence was supported by its citations)")
    if sources:
        _print_sources(answer)


def _print_sources(answer: Answer) -> None:
    for c in answer.citations:
        quote = " ".join(c.quote.split())
        print(
            printable(
                f"  [{c.n}] {c.source or 'unknown outlet'} · {c.title} · {c.published or 'undated'}"
            )
        )
        print(printable(f"      “{quote}”  ({c.article_id} {c.start}:{c.end})"))


def chat(settings: Settings, args: argparse.Namespace) -> int:
    chain = _chain(settings, args)
    history: list[Message] = []
    last: Answer | None = None
    print("Ask about the articles. /sources shows the last answer's citations, /quit leaves.")
    try:
        while True:
            try:
                line = input("> ").strip()
            except EOFError:
                print()
                return 0
            if line in ("/quit", "/exit"):
                return 0
            if line == "/sources":
                if last is None or not last.citations:
                    print("no sources yet")
                else:
                    _print_sources(last)
                continue
            if not line:
                continue
            if re.fullmatch(r"/\w+", line):  # a mistyped command is no question
                print(f"unknown command {line}; /sources shows citations, /quit leaves")
                continue
            try:
                last = chain.answer(line, history)
            except AssistantError as exc:  # one failed question never ends the chat
                print(f"error: {exc}")
                continue
            _print_answer(last, sources=False)  # /sources shows them
            if last.notice:
                print(f"note: {last.notice}")
            history += turn(last)
    finally:
        chain.close()
