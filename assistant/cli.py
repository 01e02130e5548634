"""Command line: ``python -m assistant {ingest,search,articles,show,ask,chat,serve,config,doctor}``.

Settings are built here once and passed down. This is the UI boundary: project errors become
one-line messages and an exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.answer.chain import AnswerChain
from assistant.answer.llm import Message
from assistant.app import open_chain, with_provider
from assistant.config import Settings, load_settings, masked_settings
from assistant.errors import AssistantError, ConfigError
from assistant.index.embedding import build_embedder
from assistant.index.failures import storage_errors
from assistant.index.handle import Index
from assistant.index.indexer import Indexer, IngestReport
from assistant.index.store import ArticleStore
from assistant.retrieve.hybrid import Filters, HybridRetriever
from assistant.terminal import printable
from assistant.types import Answer, Article, Hit


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


def _ingest(settings: Settings, args: argparse.Namespace) -> int:
    paths: list[Path] = args.paths or [settings.corpus_dir]
    for path in paths:
        if not path.exists():
            hint = (
                "set corpus_dir in assistant.toml or ASSISTANT_CORPUS_DIR"
                if not args.paths
                else "check the path"
            )
            raise ConfigError(f"{path} does not exist; {hint}")
    embedder = build_embedder(settings.embedding)
    index = Index.open(settings, embedder, reindex=args.reindex, writer="ingest", wait=args.wait)
    try:
        with storage_errors("ingest"):
            report = Indexer(settings, embedder, index).run(
                paths, prune=args.prune, reindex=args.reindex, progress=not args.quiet
            )
    finally:
        index.close()
    _print_report(report)
    return 0


def _print_report(report: IngestReport) -> None:
    for problem in report.problems:
        print(printable(f"skipped {problem}"), file=sys.stderr)
    print(
        f"ingest: {report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.removed} removed, {report.repaired} repaired; {report.chunks} chunks embedded "
        f"in {report.seconds:.1f} s; {len(report.problems)} problem(s)"
    )


def _search(settings: Settings, args: argparse.Namespace) -> int:
    if not args.query.strip():
        raise ConfigError("the query is empty; say what to search for")
    if args.k is not None and args.k < 1:
        raise ConfigError("-k must be at least 1")
    filters = Filters(sources=tuple(args.source), since=args.since, until=args.until)
    try:
        filters.day_range()
    except ValueError as exc:
        raise ConfigError(f"--since/--until: {exc}; use a date such as 2025-05-27") from exc
    _open_store(settings).close()  # fails with a hint when nothing was ingested yet
    embedder = build_embedder(settings.embedding)
    index = Index.open(settings, embedder)
    try:
        if index.vectors.count() == 0:
            raise ConfigError("the index is empty; run `python -m assistant ingest` first")
        hits = HybridRetriever(settings.retrieval, embedder, index).search(
            args.query, args.k, filters
        )
    finally:
        index.close()
    if args.json:
        _print_json([_hit_json(h) for h in hits])
    else:
        _print_hits(hits)
    return 0


def _hit_json(hit: Hit) -> dict[str, Any]:
    return hit.model_dump(mode="json")


def _print_hits(hits: list[Hit]) -> None:
    if not hits:
        print("no matching articles")
    for rank, hit in enumerate(hits, start=1):
        print(
            printable(
                f"{rank}. {hit.title} — {hit.source or 'unknown outlet'}, "
                f"{hit.published or 'undated'}"
            )
        )
        print(f"   {hit.article_id} [{hit.start}:{hit.end}] score {hit.score:.4f}")
        print("   " + printable(" ".join(hit.text.split())[:300]))


def _open_store(settings: Settings) -> ArticleStore:
    path = settings.data_dir / "articles.sqlite3"
    if not path.exists():
        raise ConfigError(f"no article store at {path}; run `python -m assistant ingest` first")
    return ArticleStore(path)


def _article_json(article: Article, with_text: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"id": article.id, **article.meta.model_dump()}
    data["duplicate_of"] = article.dup_of
    if with_text:
        data["origin"] = article.origin
        data["text"] = article.text
    return data


def _articles(settings: Settings, args: argparse.Namespace) -> int:
    store = _open_store(settings)
    try:
        articles = store.articles()
    finally:
        store.close()
    if args.json:
        _print_json([_article_json(a, with_text=False) for a in articles])
        return 0
    for a in articles:
        print(
            f"{a.id}  {a.meta.published or 'undated':<10.10}  {a.meta.source or 'unknown':<20.20}  {a.meta.title}"
        )
    print(f"{len(articles)} article(s)")
    return 0


def _show(settings: Settings, args: argparse.Namespace) -> int:
    store = _open_store(settings)
    try:
        article = store.get(args.article_id)
    finally:
        store.close()
    if article is None:
        raise ConfigError(
            f"no article {args.article_id!r}; list ids with `python -m assistant articles`"
        )
    if args.json:
        _print_json(_article_json(article, with_text=True))
        return 0
    m = article.meta
    print(m.title)
    print(
        f"{m.source or 'unknown outlet'} · {m.published or 'undated'} · {m.author or 'no author'}"
    )
    if m.url:
        print(m.url)
    print()
    print(article.text)
    return 0


def _chain(settings: Settings, args: argparse.Namespace) -> AnswerChain:
    settings = with_provider(settings, args.provider)
    _open_store(settings).close()
    return open_chain(settings)


# Exit status of `ask` when it answered, but degraded (the model failed; the sources are quoted).
DEGRADED = 3


def _ask(settings: Settings, args: argparse.Namespace) -> int:
    chain = _chain(settings, args)
    try:
        answer = chain.answer(args.question)
    finally:
        chain.close()
    if args.json:
        _print_json(answer.model_dump(mode="json"))
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


def _chat(settings: Settings, args: argparse.Namespace) -> int:
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
            try:
                last = chain.answer(line, history)
            except AssistantError as exc:  # one failed question never ends the chat
                print(f"error: {exc}")
                continue
            _print_answer(last, sources=False)  # /sources shows them
            if last.notice:
                print(f"note: {last.notice}")
            history += [
                {"role": "user", "content": line},
                {"role": "assistant", "content": last.text},
            ]
    finally:
        chain.close()


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
    _print_json(masked_settings(settings))
    return 0


def _doctor(settings: Settings, args: argparse.Namespace) -> int:
    from assistant.doctor import as_json, run_checks

    checks = run_checks(settings, None if args.json else lambda c: print(c.line(), flush=True))
    if args.json:
        _print_json(as_json(checks))
    return 0 if all(c.ok for c in checks) else 1


def _print_json(data: object) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


COMMANDS = {
    "ingest": _ingest,
    "search": _search,
    "articles": _articles,
    "show": _show,
    "ask": _ask,
    "chat": _chat,
    "serve": _serve,
    "config": _config,
    "doctor": _doctor,
}
