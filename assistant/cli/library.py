"""The library commands: ingest, search, articles and show (read the index, print it)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from assistant.app import run_ingest, run_search
from assistant.cli.output import print_json
from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.index.indexer import IngestReport
from assistant.index.store import ArticleStore
from assistant.retrieve.hybrid import Filters
from assistant.terminal import printable
from assistant.types import Article, Hit


def ingest(settings: Settings, args: argparse.Namespace) -> int:
    paths: list[Path] = args.paths or [settings.corpus_dir]
    for path in paths:
        if not path.exists():
            hint = (
                "set corpus_dir in assistant.toml or ASSISTANT_CORPUS_DIR"
                if not args.paths
                else "check the path"
            )
            raise ConfigError(f"{path} does not exist; {hint}")
    report = run_ingest(
        settings, paths, prune=args.prune, reindex=args.reindex, progress=not args.quiet,
        writer="ingest", wait=args.wait,
    )  # fmt: skip
    _print_report(report)
    if report.problems and not (report.added or report.updated or report.unchanged):
        print("error: no article could be read; fix the files above", file=sys.stderr)
        return 1  # every file failed: a script must be able to tell
    return 0


def _print_report(report: IngestReport) -> None:
    for problem in report.problems:
        print(printable(f"skipped {problem}"), file=sys.stderr)
    print(
        f"ingest: {report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.removed} removed, {report.repaired} repaired; {report.chunks} chunks embedded "
        f"in {report.seconds:.1f} s; {len(report.problems)} problem(s)"
    )


def search(settings: Settings, args: argparse.Namespace) -> int:
    if not args.query.strip():
        raise ConfigError("the query is empty; say what to search for")
    if args.k is not None and args.k < 1:
        raise ConfigError("-k must be at least 1")
    filters = Filters(sources=tuple(args.source), since=args.since, until=args.until)
    try:
        filters.day_range()
    except ValueError as exc:
        raise ConfigError(f"--since/--until: {exc}") from exc
    open_store(settings).close()  # fails with a hint when nothing was ingested yet
    hits = run_search(settings, args.query, args.k, filters)
    if args.json:
        print_json([_hit_json(h) for h in hits])
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


def open_store(settings: Settings) -> ArticleStore:
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


def articles(settings: Settings, args: argparse.Namespace) -> int:
    store = open_store(settings)
    try:
        articles = store.articles()
    finally:
        store.close()
    if args.json:
        print_json([_article_json(a, with_text=False) for a in articles])
        return 0
    for a in articles:
        line = f"{a.meta.published or 'undated':<10.10}  {a.meta.source or 'unknown':<20.20}"
        print(printable(f"{a.id}  {line}  {a.meta.title}"))
    print(f"{len(articles)} article(s)")
    return 0


def show(settings: Settings, args: argparse.Namespace) -> int:
    store = open_store(settings)
    try:
        article = store.get(args.article_id)
    finally:
        store.close()
    if article is None:
        raise ConfigError(
            f"no article {args.article_id!r}; list ids with `python -m assistant articles`"
        )
    if args.json:
        print_json(_article_json(article, with_text=True))
        return 0
    m = article.meta
    # Stored text comes from the corpus: control characters are shown, never obeyed.
    print(printable(m.title))
    print(
        printable(
            f"{m.source or 'unknown outlet'} · {m.published or 'undated'} · "
            f"{m.author or 'no author'}"
        )
    )
    if m.url:
        print(printable(m.url))
    print()
    print(printable(article.text))
    return 0
