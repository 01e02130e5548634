"""Scale-out on 127.0.0.1: two ``serve`` processes share one Chroma server and one data folder,
and answer with the bundled model behind llama-cpp-python's OpenAI-compatible server.

An article uploaded through one web process must be answerable, with citations, from the other.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from assistant.answer.llm import bundled_gguf
from benchmarks.chat_load import ask, check
from benchmarks.servers import free_port, llama_server, running
from tests.conftest import SEED, write_article

pytestmark = pytest.mark.slow


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """Chroma server, LLM server and two web processes; yields both URLs and the data folder."""
    chroma_port, llm_port, web_ports = free_port(), free_port(), (free_port(), free_port())
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / SEED.name).write_bytes(SEED.read_bytes())
    keep = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env = {
        **keep,
        "ASSISTANT_CORPUS_DIR": str(tmp_path / "corpus"),
        "ASSISTANT_DATA_DIR": str(tmp_path / "data"),
        "ASSISTANT_CHROMA__HOST": "127.0.0.1",
        "ASSISTANT_CHROMA__PORT": str(chroma_port),
        "ASSISTANT_LLM__PROVIDER": "openai",
        "ASSISTANT_LLM__BASE_URL": f"http://127.0.0.1:{llm_port}/v1",
        "ASSISTANT_LLM__MODEL": "local",
        "ASSISTANT_LLM__STRUCTURED": "json_object",
    }
    chroma = str(Path(sys.executable).parent / "chroma")
    with ExitStack() as stack:
        stack.enter_context(running(
            [chroma, "run", "--path", str(tmp_path / "chroma"), "--host", "127.0.0.1",
             "--port", str(chroma_port)],
            f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat", seconds=60,
        ))  # fmt: skip
        stack.enter_context(running(
            llama_server(str(bundled_gguf()), llm_port, "--n_ctx", "2048"),
            f"http://127.0.0.1:{llm_port}/v1/models", seconds=120,
        ))  # fmt: skip
        subprocess.run(
            [sys.executable, "-m", "assistant", "ingest", "--quiet"],
            env=env, cwd=tmp_path, check=True, timeout=600,
        )  # fmt: skip
        urls = []
        for port in web_ports:
            url = f"http://127.0.0.1:{port}/"
            stack.enter_context(running(
                [sys.executable, "-m", "assistant", "serve", "--port", str(port)], url,
                seconds=300, env=env, log=tmp_path / f"serve-{port}.log",
            ))  # fmt: skip
            urls.append(url)
        yield urls[0], urls[1], tmp_path / "data"


def test_an_article_uploaded_to_one_web_process_is_answered_by_the_other(
    cluster: tuple[str, str, Path], tmp_path: Path
) -> None:
    from gradio_client import Client, handle_file

    from assistant.index.store import ArticleStore

    first, second, data = cluster
    assert not (data / "chroma").exists()  # the vectors live in the Chroma server
    path = write_article(
        tmp_path, "lantern.md", "Zephyr Lakes lantern festival draws record crowd",
        "The Zephyr Lakes lantern festival drew 48,000 visitors over three nights, organisers "
        "said on Sunday. Food stalls ran out of supplies on the second night.",
        source="Lakeside Courier", published="2025-06-01",
    )  # fmt: skip
    status, *_ = Client(first, verbose=False).predict(
        [handle_file(str(path))], True, "", "(all outlets)", "", "", api_name="/add"
    )
    assert "1 added" in status, status
    question = "How many visitors were at the Zephyr Lakes lantern festival?"
    row = {"question": question, "answers": ["48,000"]}
    _, messages = ask(second, question, timeout=300)
    store = ArticleStore(data / "articles.sqlite3")
    try:
        assert check(row, messages, store) == []
    finally:
        store.close()
    assert "Lakeside Courier" in str(messages[-1]["content"])
