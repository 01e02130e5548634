"""The HttpClient path against a real `chroma run` server on 127.0.0.1, started by the test."""

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.cli import main
from benchmarks.servers import free_port, running

pytestmark = pytest.mark.slow  # spawns processes or servers, or needs ../shared


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[int]:
    chroma = Path(sys.executable).parent / "chroma"
    port = free_port()
    command = [
        str(chroma),
        "run",
        "--path",
        str(tmp_path / "server"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with running(command, f"http://127.0.0.1:{port}/api/v2/heartbeat", seconds=60):
        yield port


def test_ingest_and_search_through_a_chroma_server(
    seed_env: Path,
    chroma_server: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ASSISTANT_CHROMA__HOST", "127.0.0.1")
    monkeypatch.setenv("ASSISTANT_CHROMA__PORT", str(chroma_server))
    assert main(["ingest", "--quiet"]) == 0
    assert not (tmp_path / "data" / "chroma").exists()  # vectors went to the server
    capsys.readouterr()
    assert main(["search", "Where did Witkoff meet Araghchi?", "--json", "-k", "1"]) == 0
    (hit,) = json.loads(capsys.readouterr().out)
    assert "in Rome for the fifth round" in hit["text"]

    import chromadb

    client = chromadb.HttpClient(host="127.0.0.1", port=chroma_server)
    assert client.get_collection("articles").count() == 4


def test_unreachable_server_is_a_clear_error(
    seed_env: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ASSISTANT_CHROMA__HOST", "127.0.0.1")
    monkeypatch.setenv("ASSISTANT_CHROMA__PORT", str(free_port()))
    assert main(["ingest", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "cannot reach the Chroma server" in err and "chroma run" in err
    assert "Traceback" not in err
