"""A really killed ingest (SIGKILL) leaves nothing the next run cannot finish cleanly."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.index.embedding import Embedder
from assistant.index.handle import Index

pytestmark = pytest.mark.slow  # spawns processes or servers, or needs ../shared

ARTICLES = 120
TOPICS = ["harbour", "election", "vaccine", "railway", "drought", "festival", "tariff", "satellite"]


def make_corpus(folder: Path) -> None:
    for i in range(ARTICLES):
        topic = TOPICS[i % len(TOPICS)]
        sentences = [
            f"Report {i} on the {topic}: officials in district {i} met on day {d} to discuss it."
            for d in range(40)
        ]
        (folder / f"story-{i:03d}.txt").write_text(
            f"Story {i} about the {topic}\n" + " ".join(sentences)
        )


def counts(db: Path) -> tuple[int, int]:
    """(ready, pending) articles, read while the ingest is running."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
            rows = dict(
                con.execute("SELECT state, COUNT(*) FROM articles GROUP BY state").fetchall()
            )
    except sqlite3.OperationalError:
        return 0, 0  # not created yet
    return rows.get("ready", 0), rows.get("pending", 0)


def start_ingest(settings: Settings) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(settings.data_dir),
        "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", "ingest", "--quiet"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def kill_when(settings: Settings, ready_at_least: int) -> tuple[int, int]:
    """Start an ingest and SIGKILL it while some articles are pending and enough are ready."""
    db = settings.data_dir / "articles.sqlite3"
    proc = start_ingest(settings)
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline:
            ready, pending = counts(db)
            if pending > 0 and ready >= ready_at_least:
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
                return ready, pending
            if proc.poll() is not None:
                _, err = proc.communicate()
                raise AssertionError(f"ingest ended before it could be killed: {err!r}")
            time.sleep(0.02)
        raise AssertionError("ingest made no progress within 180 s")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


def test_sigkill_mid_ingest_then_rerun_is_consistent(
    settings: Settings, embedder: Embedder
) -> None:
    make_corpus(settings.corpus_dir)
    first = kill_when(settings, ready_at_least=0)
    second = kill_when(settings, ready_at_least=first[0] + 1)
    assert second[0] > first[0]  # the second run resumed, and was killed later on

    finish = start_ingest(settings)
    out, err = finish.communicate(timeout=600)
    assert finish.returncode == 0, err.decode()
    assert b"0 problem(s)" in out

    index = Index.open(settings, embedder)
    try:
        articles = index.store.articles(ready_only=False)
        assert len(articles) == ARTICLES
        assert all(index.store.get(a.id) is not None for a in articles)  # all ready
        in_chroma = index.vectors.ids()
        assert index.vectors.count() == len(in_chroma)  # no duplicate records
        assert in_chroma == index.store.chunk_ids("ready") == index.store.chunk_ids()
        for article in articles:
            chunks = index.store.chunks_of(article.id)
            assert chunks and all(article.text[c.start : c.end] == c.text for c in chunks)
    finally:
        index.close()
