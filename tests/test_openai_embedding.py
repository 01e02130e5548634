"""The `openai` embedding provider against a real OpenAI-compatible server on 127.0.0.1.

The server is llama-cpp-python's, serving the bundled SmolLM2 GGUF in embedding mode: a weak
embedder, but a real HTTP server speaking the OpenAI protocol.
"""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.answer.llm import bundled_gguf
from assistant.app import open_parts, run_ingest
from assistant.cli import main
from assistant.config import load_settings
from benchmarks.servers import free_port, llama_server, running


@pytest.fixture(scope="module")
def embedding_server() -> Iterator[str]:
    port = free_port()
    command = llama_server(str(bundled_gguf()), port, "--embedding", "true")
    with running(command, f"http://127.0.0.1:{port}/v1/models"):
        yield f"http://127.0.0.1:{port}/v1"


@pytest.mark.slow  # starts a llama.cpp server
def test_ingest_and_search_with_server_embeddings(
    seed_env: Path,
    embedding_server: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ASSISTANT_EMBEDDING__PROVIDER", "openai")
    monkeypatch.setenv("ASSISTANT_EMBEDDING__MODEL", "smollm2")
    monkeypatch.setenv("ASSISTANT_EMBEDDING__BASE_URL", embedding_server)
    assert main(["ingest", "--quiet"]) == 0
    assert "1 added" in capsys.readouterr().out
    assert main(["search", "Witkoff Araghchi Rome", "--json", "-k", "1"]) == 0
    (hit,) = json.loads(capsys.readouterr().out)
    assert "Araghchi in Rome" in hit["text"]

    # The same data directory with the bundled embedder is refused, with the way out.
    monkeypatch.delenv("ASSISTANT_EMBEDDING__PROVIDER")
    monkeypatch.delenv("ASSISTANT_EMBEDDING__MODEL")
    assert main(["search", "Rome"]) == 2
    err = capsys.readouterr().err
    assert "openai:smollm2:576" in err and "ingest --reindex" in err
    assert main(["ingest", "--reindex", "--quiet"]) == 0
    assert "4 chunks embedded" in capsys.readouterr().out
    assert main(["search", "Where did Witkoff meet Araghchi?", "--json", "-k", "1"]) == 0
    assert "Araghchi in Rome" in json.loads(capsys.readouterr().out)[0]["text"]


@pytest.mark.slow  # starts a llama.cpp server
def test_evidence_scores_do_not_depend_on_the_index_embedder(
    seed_env: Path, embedding_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The evidence model was fitted on MiniLM cosines: with chunks embedded by a server, the
    sentences are still scored with the bundled MiniLM, so P(answers) is the same number."""
    question = "Who is Iran's foreign minister?"

    def best(**env: str) -> tuple[str, float, int]:
        for name, value in env.items():
            monkeypatch.setenv(f"ASSISTANT_EMBEDDING__{name}", value)
        monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / (env.get("PROVIDER") or "onnx")))
        settings = load_settings()
        run_ingest(settings, [settings.corpus_dir])
        parts = open_parts(settings)
        try:
            hits = parts.retriever.search(question, k=10)  # all four chunks, in both
            assert len(hits) == 4
            top = parts.ranker.rank([question], hits, 1)[0]
            return top.text, top.relevance, parts.index.scorer.dimension
        finally:
            parts.close()

    local = best()
    served = best(PROVIDER="openai", MODEL="smollm2", BASE_URL=embedding_server)
    assert "Araghchi" in local[0]
    assert served[0] == local[0] and served[2] == 384
    assert served[1] == pytest.approx(local[1], abs=1e-3)


def test_unreachable_embedding_server(
    seed_env: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ASSISTANT_EMBEDDING__PROVIDER", "openai")
    monkeypatch.setenv("ASSISTANT_EMBEDDING__MODEL", "any")
    monkeypatch.setenv("ASSISTANT_EMBEDDING__BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    monkeypatch.setenv("ASSISTANT_EMBEDDING__TIMEOUT_S", "5")
    assert main(["ingest", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "cannot reach the embedding server" in err and "Traceback" not in err
