"""The one place where the embedding provider is chosen."""

from __future__ import annotations

from typing import Protocol

from assistant.config import EmbeddingSettings


class Embedder(Protocol):
    """What the rest of the project needs from an embedder."""

    model_name: str
    max_tokens: int
    dimension: int

    def tokenize(self, text: str) -> list[int]: ...

    def get_query_embedding(self, query: str) -> list[float]: ...

    def get_text_embedding_batch(
        self, texts: list[str], show_progress: bool = False
    ) -> list[list[float]]: ...


def build_embedder(settings: EmbeddingSettings) -> Embedder:
    """The configured embedder, loaded once; imports stay lazy so unused backends cost nothing."""
    match settings.provider:
        case "onnx":
            from assistant.index.onnx_embedder import OnnxEmbedding

            return OnnxEmbedding(
                model_name=settings.model,
                batch_size=settings.batch_size,
                max_tokens=settings.max_tokens,
                threads=settings.threads,
            )
        case "openai":
            from assistant.index.openai_embedder import OpenAICompatibleEmbedding

            return OpenAICompatibleEmbedding(settings)


def scoring_embedder(settings: EmbeddingSettings, embedder: Embedder) -> Embedder:
    """The embedder whose cosines the evidence model and the support checker were fitted on:
    the bundled MiniLM. The index's own when it is that one, else a second, local one, so an
    embedding server changes what is retrieved but never the calibrated scores."""
    match settings.provider:
        case "onnx":
            return embedder
        case "openai":
            return build_embedder(EmbeddingSettings(threads=settings.threads))


def index_signature(embedder: Embedder, provider: str) -> str:
    """What the vector index must agree with: provider, model and dimension."""
    return f"{provider}:{embedder.model_name}:{embedder.dimension}"
