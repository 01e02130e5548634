"""Embeddings from any OpenAI-compatible ``/v1/embeddings`` endpoint (OpenAI, Ollama, vLLM...)."""

from __future__ import annotations

from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from assistant.config import EmbeddingSettings
from assistant.errors import EmbeddingError
from assistant.openai_client import openai_client


class OpenAICompatibleEmbedding(BaseEmbedding):
    """Calls ``client.embeddings.create``; counts tokens with tiktoken for chunk sizing."""

    max_tokens: int = 256
    dimension: int = 0
    _client: Any = PrivateAttr()
    _encoder: Any = PrivateAttr()

    def __init__(self, settings: EmbeddingSettings) -> None:
        super().__init__(
            model_name=settings.model,
            embed_batch_size=settings.batch_size,
        )
        self.max_tokens = settings.max_tokens
        from llama_index.core.utils import get_tokenizer

        self._client = openai_client(
            "embedding", settings.api_key_env, settings.base_url, settings.timeout_s, 2
        )
        self._encoder = get_tokenizer()
        self.dimension = len(self._embed(["dimension probe"])[0])

    @classmethod
    def class_name(cls) -> str:
        return "OpenAICompatibleEmbedding"

    def tokenize(self, text: str) -> list[int]:
        """Token ids by tiktoken: an estimate of the server's own tokenizer."""
        ids: list[int] = self._encoder(text)
        return ids

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embed([query])[0]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embed([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embed(texts)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _embed(self, texts: list[str]) -> list[list[float]]:
        import openai

        try:
            response = self._client.embeddings.create(
                model=self.model_name, input=texts, encoding_format="float"
            )
        except openai.APIConnectionError as exc:
            raise EmbeddingError(
                f"cannot reach the embedding server at {self._client.base_url}: {exc}. "
                "Start it, or fix embedding.base_url"
            ) from exc
        except openai.APIError as exc:
            raise EmbeddingError(f"the embedding server refused the request: {exc}") from exc
        return [_pooled(item.embedding) for item in response.data]


def _pooled(vector: Any) -> list[float]:
    """One vector per input. llama-cpp-python's server returns one vector per token for models
    without a pooling layer (any chat GGUF); those are mean-pooled here, as sentence embedders do."""
    array = np.asarray(vector, dtype=np.float32)
    if array.ndim == 2:
        array = array.mean(axis=0)
    if array.ndim != 1 or array.size == 0:
        raise EmbeddingError(f"the embedding server returned an array of shape {array.shape}")
    result: list[float] = array.tolist()
    return result
