"""Several people chatting at once on the web page: ``python -m benchmarks.chat_load``.

Starts ``python -m assistant serve`` on 127.0.0.1 over a throwaway copy of ``corpus/``, sends
``--chats`` questions at once through ``gradio_client``, each in a session of its own, and checks
every answer: it is the answer the same question gets alone, its citations quote their articles
exactly, and its conversation holds its own question and nothing else. Prints latency p50/p95
and the server's resident memory (idle, and the peak), and writes them as JSON.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from assistant.index.store import ArticleStore
from assistant.ui.render import CitationRef, digest
from benchmarks.common import percentile, provenance, write_report
from benchmarks.servers import free_port, running

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = REPO / "evals" / "questions.jsonl"
DEFAULT_OUT = Path("benchmarks/results/chat_load.json")
_TAG = re.compile(r"<[^>]+>")
_HREF = re.compile(r'href="(#cite=[^"]+)"')


@dataclass
class ChatResult:
    """One chat: what was asked, how long the whole streamed answer took, what went wrong."""

    id: str
    seconds: float
    problems: list[str]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.chat_load", description=__doc__)
    parser.add_argument("--chats", type=int, default=8, help="chats sent at once (default 8)")
    parser.add_argument(
        "--provider", default="llamacpp", help="llm.provider for the server (default llamacpp)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSON")
    parser.add_argument(
        "--timeout", type=float, default=600, help="seconds a chat may take before it fails"
    )
    return parser.parse_args(argv)


def load_questions(n: int) -> list[dict[str, Any]]:
    """``n`` answerable, stand-alone questions of our set, each with its gold answers."""
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines()]
    usable = [r for r in rows if r["answerable"] and not r.get("history")]
    if n > len(usable):
        raise SystemExit(f"--chats {n} is more than the {len(usable)} questions available")
    return usable[:n]


@contextmanager
def serving(provider: str, scratch: Path) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    """A fresh data directory with corpus/ ingested, served on a free loopback port."""
    corpus, data = scratch / "corpus", scratch / "data"
    corpus.mkdir()
    for path in (REPO / "corpus").glob("*.txt"):
        (corpus / path.name).write_bytes(path.read_bytes())
    env = {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(corpus),
        "ASSISTANT_DATA_DIR": str(data),
        "ASSISTANT_LLM__PROVIDER": provider,
    }
    assistant = [sys.executable, "-m", "assistant"]
    subprocess.run([*assistant, "ingest", "--quiet"], env=env, check=True, cwd=scratch)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    command = [*assistant, "serve", "--port", str(port)]
    with running(command, url, seconds=300, env=env, log=scratch / "serve.log") as proc:
        yield url, proc, data


def rss_mib(pid: int, field: str = "VmRSS") -> float:
    """A process's resident memory (``VmRSS``) or its peak so far (``VmHWM``), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/{pid}/status has no {field}")


def ask(url: str, question: str, timeout: float) -> tuple[float, list[dict[str, Any]]]:
    """One chat in a new session, as the page's Ask button sends it; the final messages."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    session = secrets.token_urlsafe(18)
    started = time.perf_counter()
    job = client.submit(question, [], session, 10, "default", [], "", "", api_name="/respond")
    _, messages, _ = job.result(timeout=timeout)
    return time.perf_counter() - started, messages


def answer_text(messages: list[dict[str, Any]]) -> str:
    """The last answer of a chat as plain text."""
    answer = _text(messages[-1]["content"]) if messages else ""
    return html.unescape(_TAG.sub("", answer)).casefold()


def check(
    row: dict[str, Any],
    messages: list[dict[str, Any]],
    store: ArticleStore,
    alone: str | None = None,
) -> list[str]:
    """What is wrong with one chat's final messages (nothing, for a good answer): it must be
    ``alone``, the answer the same question got when asked alone (else hold a gold answer),
    with valid citations."""
    problems = []
    asked = [html.unescape(_text(m["content"])) for m in messages if m["role"] == "user"]
    if asked != [row["question"]]:
        problems.append(f"the conversation holds {asked}, not just its own question")
    answer = _text(messages[-1]["content"]) if messages else ""
    text = answer_text(messages)
    if alone is not None and text != alone:
        problems.append(f"answered {text[:200]!r}, but alone {alone[:200]!r}")
    if alone is None and not any(alias.casefold() in text for alias in row["answers"]):
        problems.append(f"no gold answer {row['answers']} in {text[:200]!r}")
    hrefs = _HREF.findall(answer)
    if not hrefs and "not in the articles" not in text:  # an abstention cites nothing
        problems.append("no citation")
    for href in hrefs:
        ref = CitationRef.parse(html.unescape(href))
        article = store.get(ref.article_id) if ref else None
        if ref is None or article is None:
            problems.append(f"citation {href} names no stored article")
        elif digest(article.text[ref.start : ref.end]) != ref.digest:
            problems.append(f"citation {href} does not quote its article")
    return problems


def _text(content: Any) -> str:
    """A message's text: Gradio sends either a string or a list of ``{type, text}`` parts."""
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content)


def run_chats(
    url: str, data: Path, rows: list[dict[str, Any]], timeout: float, alone: dict[str, str]
) -> list[ChatResult]:
    """All chats at once, one thread each, as many people pressing Ask together."""

    def one(row: dict[str, Any]) -> ChatResult:
        seconds, messages = ask(url, row["question"], timeout)
        store = ArticleStore(data / "articles.sqlite3")
        try:
            return ChatResult(row["id"], seconds, check(row, messages, store, alone[row["id"]]))
        finally:
            store.close()

    with ThreadPoolExecutor(max_workers=len(rows)) as pool:
        return list(pool.map(one, rows))


def measure(args: argparse.Namespace) -> dict[str, Any]:
    rows = load_questions(args.chats)
    with (
        tempfile.TemporaryDirectory() as tmp,
        serving(args.provider, Path(tmp)) as (url, proc, data),
    ):
        ask(url, "Warm-up: who is Iran's foreign minister?", args.timeout)  # loads the model
        # Each question asked alone first: what every concurrent chat must get as well.
        alone = {r["id"]: answer_text(ask(url, r["question"], args.timeout)[1]) for r in rows}
        idle = rss_mib(proc.pid)
        peak_rss = [idle]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.2):
                peak_rss.append(rss_mib(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.perf_counter()
        results = run_chats(url, data, rows, args.timeout, alone)
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        peak = max(max(peak_rss), rss_mib(proc.pid, "VmHWM"))
    seconds = [r.seconds for r in results]
    return {
        "chats": len(results),
        "provider": args.provider,
        "failed": sum(1 for r in results if r.problems),
        "latency_p50_s": statistics.median(seconds),
        "latency_p95_s": percentile(seconds, 95),
        "wall_s": wall,
        "rss_idle_mib": idle,
        "rss_peak_mib": peak,
        "results": [asdict(r) for r in results],
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    report = measure(args)
    for r in report["results"]:
        status = "ok" if not r["problems"] else "FAILED: " + "; ".join(r["problems"])
        print(f"{r['id']:<10} {r['seconds']:7.2f} s  {status}")
    print(
        f"\n{report['chats']} chats at once ({report['provider']}): "
        f"p50 {report['latency_p50_s']:.2f} s, p95 {report['latency_p95_s']:.2f} s, "
        f"all done in {report['wall_s']:.2f} s; server RSS idle {report['rss_idle_mib']:.0f} MiB, "
        f"peak {report['rss_peak_mib']:.0f} MiB; {report['failed']} failed"
    )
    write_report(args.out, report | provenance())
    return 1 if report["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
