"""The `openai` provider end to end against a real llama-cpp-python server on 127.0.0.1.

The server serves the bundled SmolLM2-135M; the test starts and stops it. Error paths
(refused connection, timeout, 5xx) use tiny local HTTP servers, since a healthy llama.cpp
server cannot be made to produce them on demand.
"""

import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.answer.llm import OpenAIModel, bundled_gguf
from assistant.answer.parse import ANSWER_SCHEMA
from assistant.cli import main
from assistant.config import LLMSettings
from assistant.errors import ModelError
from benchmarks.servers import free_port, llama_server, running
from tests.conftest import SEED

pytestmark = pytest.mark.slow  # spawns processes or servers, or needs ../shared


@pytest.fixture(scope="module")
def chat_server() -> Iterator[str]:
    port = free_port()
    with running(
        llama_server(str(bundled_gguf()), port, "--n_ctx", "4096"),
        f"http://127.0.0.1:{port}/v1/models",
    ):
        yield f"http://127.0.0.1:{port}/v1"


def model_for(base_url: str, **overrides: object) -> OpenAIModel:
    settings = {
        "provider": "openai",
        "model": "smollm2",
        "base_url": base_url,
        "structured": "json_object",
    }
    return OpenAIModel(LLMSettings.model_validate(settings | overrides))


MESSAGES = [{"role": "user", "content": "Name the capital of Italy in one word."}]


def test_streams_tokens(chat_server: str) -> None:
    pieces = list(model_for(chat_server, max_tokens=24).stream(MESSAGES))
    assert len(pieces) > 3  # really streamed, not one block
    assert "".join(pieces).strip()


def test_structured_output_follows_the_schema(chat_server: str) -> None:
    text = "".join(model_for(chat_server, max_tokens=120).stream(MESSAGES, schema=ANSWER_SCHEMA))
    data = json.loads(text)
    assert isinstance(data["sentences"], list)
    for item in data["sentences"]:
        assert isinstance(item["text"], str) and all(isinstance(n, int) for n in item["citations"])


def test_ask_through_the_server(
    seed_env: Path,
    chat_server: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for key, value in {
        "LLM__MODEL": "smollm2", "LLM__BASE_URL": chat_server, "LLM__STRUCTURED": "json_object",
    }.items():  # fmt: skip
        monkeypatch.setenv(f"ASSISTANT_{key}", value)
    assert main(["ingest", "--quiet"]) == 0
    capsys.readouterr()
    assert (
        main(
            [
                "ask",
                "Where did Steve Witkoff meet the Iranian foreign minister?",
                "--provider",
                "openai",
                "--json",
            ]
        )
        == 0
    )
    answer = json.loads(capsys.readouterr().out)
    assert answer["provider"] == "openai" and answer["model"] == "smollm2"
    assert not answer["abstained"] and "Rome" in answer["text"]
    text = SEED.read_text(encoding="utf-8").split("---\n", 2)[2].strip()
    for citation in answer["citations"]:
        assert text[citation["start"] : citation["end"]] == citation["quote"]
    assert all(s["supported"] for s in answer["sentences"])


class _Handler(http.server.BaseHTTPRequestHandler):
    mode = "500"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.mode == "slow":
            time.sleep(3)
        self.send_response(500)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"error": {"message": "model crashed"}}')

    def log_message(self, *args: object) -> None:
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the client hung up on the slow handler: expected here


@pytest.fixture
def broken_server() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("Handler", (_Handler,), {})
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", handler
    finally:
        server.shutdown()
        server.server_close()


def test_refused_connection_is_a_clear_error() -> None:
    with pytest.raises(ModelError, match="cannot reach the model server") as caught:
        list(model_for(f"http://127.0.0.1:{free_port()}/v1", max_retries=0).stream(MESSAGES))
    assert "llm.base_url" in str(caught.value)


def test_server_error_is_a_clear_error(broken_server: tuple[str, type[_Handler]]) -> None:
    url, _ = broken_server
    with pytest.raises(ModelError, match=r"answered 500.*model crashed"):
        list(model_for(url, max_retries=1).stream(MESSAGES))


def test_timeout_is_a_clear_error(broken_server: tuple[str, type[_Handler]]) -> None:
    url, handler = broken_server
    handler.mode = "slow"
    with pytest.raises(ModelError, match="did not answer within 1 s"):
        list(model_for(url, timeout_s=1, max_retries=0).stream(MESSAGES))


def test_cli_shows_model_errors_without_traceback(
    seed_env: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["ingest", "--quiet"]) == 0
    monkeypatch.setenv("ASSISTANT_LLM__MODEL", "smollm2")
    monkeypatch.setenv("ASSISTANT_LLM__BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    monkeypatch.setenv("ASSISTANT_LLM__MAX_RETRIES", "0")
    # The question still gets the checked quote; the failure is one line and exit status 3.
    assert main(["ask", "Where did Witkoff meet Araghchi?", "--provider", "openai"]) == 3
    out, err = capsys.readouterr()
    assert "Rome" in out
    assert "cannot reach the model server" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
