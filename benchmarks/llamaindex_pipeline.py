"""llama-index's plain citing pipeline, as a user would build it: ``VectorStoreIndex`` over our
stored chunks in Chroma, ``CitationQueryEngine``, and the same GGUF model through a small
``CustomLLM`` adapter; its response is turned into our ``Answer`` for scoring.

Used by ``benchmarks.baseline``, which runs it side by side with our chain."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llama_index.core import StorageContext, VectorStoreIndex
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.base.llms.types import (
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.base.response.schema import Response
from llama_index.core.indices.prompt_helper import PromptHelper
from llama_index.core.llms.callbacks import llm_completion_callback
from llama_index.core.llms.custom import CustomLLM
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.query_engine import CitationQueryEngine
from llama_index.core.query_engine.citation_query_engine import (
    CITATION_QA_TEMPLATE,
    CITATION_REFINE_TEMPLATE,
    DEFAULT_CITATION_CHUNK_OVERLAP,
    DEFAULT_CITATION_CHUNK_SIZE,
)
from llama_index.core.response_synthesizers import ResponseMode, get_response_synthesizer
from llama_index.core.schema import MetadataMode, NodeWithScore, TextNode
from pydantic import PrivateAttr

from assistant.answer.llm import bundled_gguf
from assistant.answer.parse import parse_marked
from assistant.answer.verify import SupportChecker
from assistant.config import LLMSettings, Settings
from assistant.errors import ConfigError
from assistant.eval.runner import TOP_K
from assistant.index.embedding import Embedder
from assistant.index.store import ArticleStore
from assistant.types import Answer, AnswerSentence, Article, Chunk, Citation

# Tokens the chat template wraps around a prompt (SmolLM2's: about 25), kept out of the
# context window the adapter reports, so llama-index never packs a prompt past n_ctx.
CHAT_TEMPLATE_RESERVE = 48
SOURCE_LABEL = re.compile(r"\ASource \d+:\n")
NO_SOURCE = "(no such source)"


# --- the baseline's model ---------------------------------------------------------------------


class LlamaCppLLM(CustomLLM):
    """``llama_cpp.Llama`` as a llama-index LLM, loaded and called as our ``LlamaCppModel``:
    same GGUF, n_ctx, threads, temperature and max_tokens, and the GGUF's chat template (the
    prompt goes in as one user message). Notes when each call's first token arrived."""

    context_window: int
    num_output: int
    model_name: str
    temperature: float
    _llama: Any = PrivateAttr()
    _calls: list[float | None] = PrivateAttr(default_factory=list)

    @classmethod
    def load(cls, settings: LLMSettings) -> LlamaCppLLM:
        from llama_cpp import Llama

        path = Path(settings.model) if settings.model else bundled_gguf()
        if not path.is_file():
            raise ConfigError(f"llm.model {path} is not a file; give the path of a .gguf model")
        llm = cls(
            context_window=settings.context_tokens - CHAT_TEMPLATE_RESERVE,
            num_output=settings.max_tokens, model_name=path.name,
            temperature=settings.temperature,
        )  # fmt: skip
        llm._llama = Llama(
            model_path=str(path),
            n_ctx=settings.context_tokens,
            n_threads=settings.threads or os.cpu_count() or 1,
            verbose=False,
        )
        return llm

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            context_window=self.context_window,
            num_output=self.num_output,
            model_name=self.model_name,
        )

    def tokenize(self, text: str) -> list[int]:
        """The model's own tokens, for llama-index's prompt packing and splitting."""
        return list(self._llama.tokenize(text.encode("utf-8"), add_bos=False))

    def take_calls(self) -> list[float | None]:
        """Per model call since the last take: ``perf_counter()`` at its first token."""
        calls, self._calls = self._calls, []
        return calls

    def _pieces(self, prompt: str) -> Iterator[str]:
        self._calls.append(None)
        chunks: Any = self._llama.create_chat_completion(
            messages=[{"role": "user", "content": prompt}],
            stream=True,
            temperature=self.temperature,
            max_tokens=self.num_output,
        )
        for chunk in chunks:
            piece = chunk["choices"][0]["delta"].get("content")
            if piece:
                if self._calls[-1] is None:
                    self._calls[-1] = time.perf_counter()
                yield str(piece)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text="".join(self._pieces(prompt)))

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        def gen() -> CompletionResponseGen:
            text = ""
            for piece in self._pieces(prompt):
                text += piece
                yield CompletionResponse(text=text, delta=piece)

        return gen()


# --- the baseline's index and engine ----------------------------------------------------------


@dataclass
class Baseline:
    """The plain llama-index pipeline, and what scoring it needs."""

    engine: CitationQueryEngine
    retriever: BaseRetriever  # the top TOP_K chunks, for the retrieval metrics
    llm: LlamaCppLLM
    chunks: dict[str, tuple[Chunk, Article]]
    index_seconds: float


def served_chunks(store: ArticleStore) -> dict[str, tuple[Chunk, Article]]:
    """Every chunk of every served article, by chunk id, with its article."""
    out: dict[str, tuple[Chunk, Article]] = {}
    for article in store.articles():
        for chunk in store.chunks_of(article.id):
            out[chunk.id] = (chunk, article)
    return out


def chunk_node(chunk: Chunk) -> TextNode:
    """A node of exactly the chunk's text; its metadata is neither embedded nor prompted."""
    meta: dict[str, Any] = {"article_id": chunk.article_id, "start": chunk.start}
    return TextNode(
        id_=chunk.id, text=chunk.text, metadata=meta,
        excluded_embed_metadata_keys=list(meta), excluded_llm_metadata_keys=list(meta),
    )  # fmt: skip


def llama_embedding(embedder: Embedder) -> BaseEmbedding:
    if not isinstance(embedder, BaseEmbedding):
        raise ConfigError(f"embedder {embedder.model_name} is not a llama-index BaseEmbedding")
    return embedder


def citation_engine(index: VectorStoreIndex, llm: LlamaCppLLM, k: int) -> CitationQueryEngine:
    """``CitationQueryEngine.from_args`` with its defaults, except that tokens are counted with
    the model's tokenizer (llama-index's default, tiktoken, undercounts SmolLM2's tokens, so
    packed prompts could pass n_ctx)."""
    splitter = SentenceSplitter(
        chunk_size=DEFAULT_CITATION_CHUNK_SIZE,
        chunk_overlap=DEFAULT_CITATION_CHUNK_OVERLAP,
        tokenizer=llm.tokenize,
    )
    synthesizer = get_response_synthesizer(
        llm=llm,
        prompt_helper=PromptHelper.from_llm_metadata(llm.metadata, tokenizer=llm.tokenize),
        text_qa_template=CITATION_QA_TEMPLATE,
        refine_template=CITATION_REFINE_TEMPLATE,
        response_mode=ResponseMode.COMPACT,
    )
    return CitationQueryEngine.from_args(
        index, llm=llm, response_synthesizer=synthesizer, text_splitter=splitter,
        similarity_top_k=k,
    )  # fmt: skip


def build_baseline(
    settings: Settings, store: ArticleStore, embedder: Embedder, chroma_dir: Path
) -> Baseline:
    """Index our stored chunks in a fresh Chroma collection and load the model."""
    import chromadb
    from chromadb.config import Settings as ChromaClientSettings
    from llama_index.vector_stores.chroma import ChromaVectorStore

    started = time.perf_counter()
    chunks = served_chunks(store)
    client = chromadb.PersistentClient(
        path=str(chroma_dir), settings=ChromaClientSettings(anonymized_telemetry=False)
    )
    vector_store = ChromaVectorStore(chroma_collection=client.create_collection("baseline"))
    index = VectorStoreIndex(
        [chunk_node(chunk) for chunk, _ in chunks.values()],
        storage_context=StorageContext.from_defaults(vector_store=vector_store),
        embed_model=llama_embedding(embedder),
    )
    index_seconds = time.perf_counter() - started
    llm = LlamaCppLLM.load(settings.llm)
    engine = citation_engine(index, llm, settings.answer.retrieve_k)
    retriever = index.as_retriever(similarity_top_k=TOP_K)
    return Baseline(engine, retriever, llm, chunks, index_seconds)


# --- the baseline's response as our Answer ----------------------------------------------------


def source_text(node: NodeWithScore) -> str:
    """A citation node's text without the "Source n:" label CitationQueryEngine adds."""
    text = node.node.get_content(metadata_mode=MetadataMode.NONE)
    return SOURCE_LABEL.sub("", text, count=1).removesuffix("\n")


def locate(text: str, article: Article, near: int) -> tuple[int, int] | None:
    """Exact offsets of ``text`` in the article (the first occurrence from ``near`` on, else
    the first anywhere), or None when it is not there verbatim."""
    at = article.text.find(text, near)
    at = at if at >= 0 else article.text.find(text)
    return (at, at + len(text)) if at >= 0 and text else None


def cite(n: int, sources: Sequence[NodeWithScore], articles: Mapping[str, Article]) -> Citation:
    """What marker ``[n]`` cites; an empty span, never valid, when there is no source n or
    its text is not verbatim in its article."""
    node = sources[n - 1] if 1 <= n <= len(sources) else None
    article = articles.get(str(node.node.metadata.get("article_id"))) if node else None
    if node is None or article is None:
        return Citation(
            n=n, article_id="", title=NO_SOURCE, source=None, published=None, url=None,
            start=0, end=0, quote="",
        )  # fmt: skip
    text = source_text(node)
    span = locate(text, article, int(node.node.metadata.get("start", 0)))
    start, end = span or (0, 0)
    return Citation(
        n=n, article_id=article.id, title=article.meta.title, source=article.meta.source,
        published=article.meta.published, url=article.meta.url, start=start, end=end,
        quote=article.text[start:end] if span else text,
    )  # fmt: skip


def to_answer(
    question: str, query: str, response: Response, articles: Mapping[str, Article],
    checker: SupportChecker, model: str,
) -> Answer:  # fmt: skip
    """The response as an ``Answer``: sentences with their markers, cited spans, support."""
    text = str(response.response or "").strip()
    claims = parse_marked(text)
    numbers = sorted({n for _, marks in claims for n in marks})
    citations = [cite(n, response.source_nodes, articles) for n in numbers]
    quotes = {c.n: c.quote for c in citations}
    sentences = []
    for claim, marks in claims:
        cited = list(dict.fromkeys(marks))
        support = checker.check(claim, [quotes[n] for n in cited])
        sentences.append(
            AnswerSentence(
                text=claim,
                citations=cited,
                supported=checker.supported(support),
                support=support.score,
            )
        )
    return Answer(
        question=question, standalone_question=query, text=text, sentences=sentences,
        citations=citations, abstained=False, provider="llamacpp", model=model,
    )  # fmt: skip
