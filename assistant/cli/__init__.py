"""Command line: ``python -m assistant {ingest,search,articles,show,ask,chat,serve,config,doctor}``.

Settings are built here once and passed down. This is the UI boundary: project errors become
one-line messages and an exit status, never a traceback. The commands live in ``library.py``
(ingest, search, articles, show) and ``answers.py`` (ask, chat).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from assistant.cli.answers import ask, chat
from assistant.cli.library import articles, ingest, search, show
from assistant.cli.output import print_json
from assistant.config import Settings, load_settings, masked_settings
from assistant.errors import AssistantError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m assistant",
        description="Question answering over news articles, with verified, exact citations.",
    )
    parser.add_argument(
        "--config", type=Path, help="settings file (default: ./assistant.toml if present)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ingest = sub.add_parser("ingest", help="add, update (and prune) articles in the index")
    ingest.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="files or folders (default: corpus_dir)"
    )
    ingest.add_argument("--prune", action="store_true", help="delete articles whose files are gone")
    ingest.add_argument(
        "--reindex", action="store_true", help="re-embed everything (after changing the embedder)"
    )
    ingest.add_argument("--quiet", action="store_true", help="no progress bar")
    ingest.add_argument(
        "--wait",
        action="store_true",
        help="wait while another ingest or serve writes to data_dir (default: stop with a message)",
    )

    search = sub.add_parser("search", help="hybrid search; every hit is an exact article span")
    search.add_argument("query", help="what to look for")
    search.add_argument(
        "-k", type=int, default=None, help="number of hits (default: retrieval.top_k)"
    )
    search.add_argument(
        "--source", action="append", default=[], metavar="S", help="only this outlet (repeatable)"
    )
    search.add_argument("--since", metavar="DATE", help="published on or after DATE")
    search.add_argument("--until", metavar="DATE", help="published on or before DATE")
    search.add_argument("--json", action="store_true", help="print hits as JSON")

    articles = sub.add_parser("articles", help="list stored articles")
    articles.add_argument("--json", action="store_true", help="print as JSON")

    show = sub.add_parser("show", help="print one stored article")
    show.add_argument("article_id", metavar="ARTICLE_ID")
    show.add_argument("--json", action="store_true", help="print as JSON")

    ask = sub.add_parser("ask", help="answer a question with verified citations")
    ask.add_argument("question", help="what you want to know")
    ask.add_argument("--json", action="store_true", help="print the Answer object as JSON")
    _provider_option(ask)

    chat = sub.add_parser("chat", help="interactive questions with follow-ups (/sources, /quit)")
    _provider_option(chat)

    serve = sub.add_parser("serve", help="serve the web chat (default http://127.0.0.1:7860/)")
    serve.add_argument("--host", help="address to bind (default: ui.host, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: ui.port, 7860)")
    serve.add_argument(
        "--public",
        action="store_true",
        help="allow an address other machines can reach (needs ui.username and a password)",
    )
    serve.add_argument(
        "--no-auth",
        action="store_true",
        help="with --public: serve without a login on purpose (anyone may upload and delete)",
    )

    sub.add_parser("config", help="print the effective settings (secrets masked)")

    doctor = sub.add_parser(
        "doctor", help="check Python, CPU, llama.cpp build, models, index and disk; say the fix"
    )
    doctor.add_argument("--json", action="store_true", help="print the checks as JSON")
    return parser


def _provider_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--provider",
        choices=["llamacpp", "openai", "extractive"],
        help="answer model provider (default: llm.provider)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Warnings (e.g. why the model process died) go to stderr: the server log.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    try:
        settings = load_settings(args.config)
        return COMMANDS[args.command](settings, args)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0  # the reader (e.g. `head`) stopped early; not an error
    except KeyboardInterrupt:
        print("interrupted; run the same command again to finish", file=sys.stderr)
        return 130


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    # Imported here: the web stack (Gradio) loads only for the command that needs it.
    from assistant.ui.server import serve

    serve(
        settings,
        args.host or settings.ui.host,
        args.port or settings.ui.port,
        args.public,
        no_auth=args.no_auth,
    )
    return 0


def _config(settings: Settings, args: argparse.Namespace) -> int:
    print_json(masked_settings(settings))
    return 0


def _doctor(settings: Settings, args: argparse.Namespace) -> int:
    from assistant.doctor import as_json, run_checks

    checks = run_checks(settings, None if args.json else lambda c: print(c.line(), flush=True))
    if args.json:
        print_json(as_json(checks))
    return 0 if all(c.ok for c in checks) else 1


COMMANDS = {
    "ingest": ingest,
    "search": search,
    "articles": articles,
    "show": show,
    "ask": ask,
    "chat": chat,
    "serve": _serve,
    "config": _config,
    "doctor": _doctor,
}
