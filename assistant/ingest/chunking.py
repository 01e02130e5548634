"""Cut an article into chunks that are exact slices of its text, with sentence spans inside.

llama-index's ``SentenceSplitter`` chooses the cut points; its pieces are then located in the
article (it may drop characters such as runs of punctuation), so every chunk is defined as
``text[start:end]`` and never as the splitter's string. Sizes are counted in the embedder's own
tokens, and any chunk the embedder would truncate is split again.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

import llama_index.core
import nltk
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.node_parser.text.utils import split_by_sentence_tokenizer_internal
from nltk.tokenize.punkt import PunktTokenizer

from assistant.ingest.ids import chunk_id
from assistant.types import Chunk

Tokenize = Callable[[str], Sequence[int]]
Span = tuple[int, int]

# Special tokens ([CLS], [SEP]) the embedder adds around every input.
SPECIAL_TOKENS = 2


@cache
def _punkt() -> PunktTokenizer:
    # llama-index ships NLTK's trained English punkt data; use it offline.
    cache_dir = str(Path(llama_index.core.__file__).parent / "_static" / "nltk_cache")
    if cache_dir not in nltk.data.path:
        nltk.data.path.append(cache_dir)
    return PunktTokenizer("english")


def sentence_spans(text: str) -> list[Span]:
    """Sentence spans of ``text``: each line (paragraph or headline) split by trained punkt."""
    spans: list[Span] = []
    offset = 0
    for line in text.split("\n"):
        for start, end in _punkt().span_tokenize(line):
            s, e = _strip(line, start, end)
            if s < e:
                spans.append((offset + s, offset + e))
        offset += len(line) + 1
    return spans


def _strip(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _split_sentences(text: str) -> list[str]:
    return split_by_sentence_tokenizer_internal(text, _punkt())


class Chunker:
    """Splits articles into embedder-sized chunks with exact offsets."""

    def __init__(
        self, tokenize: Tokenize, chunk_tokens: int, overlap_tokens: int, max_tokens: int
    ) -> None:
        self._tokenize = tokenize
        self._limit = max_tokens - SPECIAL_TOKENS
        self._chunk_tokens = min(chunk_tokens, self._limit)
        self._overlap = min(overlap_tokens, self._chunk_tokens // 4)

    def spans(self, text: str) -> list[Span]:
        """Chunk spans of ``text``, in order; each fits the embedder without truncation."""
        return self._with_overlap(text, self._split(text, 0, len(text), self._chunk_tokens))

    def chunk(self, article_id: str, version: str, text: str) -> list[Chunk]:
        """The chunks of one article; ids change when the article's content does."""
        sentences = sentence_spans(text)
        chunks = []
        for ordinal, (start, end) in enumerate(self.spans(text)):
            inside = [(max(s, start), min(e, end)) for s, e in sentences if s < end and e > start]
            chunks.append(
                Chunk(
                    id=chunk_id(article_id, version, ordinal),
                    article_id=article_id,
                    ordinal=ordinal,
                    start=start,
                    end=end,
                    text=text[start:end],
                    sentences=[
                        (s, e) for s, e in (_strip_span(text, s, e) for s, e in inside) if s < e
                    ],
                )
            )
        return chunks

    def _fits(self, piece: str) -> bool:
        return len(self._tokenize(piece)) <= self._limit

    def _split(self, text: str, start: int, end: int, size: int) -> list[Span]:
        # No overlap inside the splitter: back-to-back pieces can be located unambiguously,
        # even in repetitive text. Overlap is added afterwards, in whole sentences.
        splitter = SentenceSplitter(
            chunk_size=size,
            chunk_overlap=0,
            paragraph_separator="\n",
            tokenizer=self._tokenize,
            chunking_tokenizer_fn=_split_sentences,
        )
        piece = text[start:end]
        spans: list[Span] = []
        cursor = 0
        for part in splitter.split_text(piece):
            s, e = _locate(piece, part, cursor)
            cursor = e
            if self._fits(piece[s:e]) or size <= 8:
                spans.append((start + s, start + e))
            else:
                # Word pieces of the joined text can outnumber the splitter's sum of parts.
                spans.extend(self._split(text, start + s, start + e, size * 3 // 4))
        return spans

    def _with_overlap(self, text: str, spans: list[Span]) -> list[Span]:
        """Start each chunk with the previous chunk's last whole sentences, if they fit."""
        if self._overlap == 0:
            return spans
        sentences = sentence_spans(text)
        out = spans[:1]
        for (prev_start, prev_end), (start, end) in itertools.pairwise(spans):
            begin = start
            for s, _ in reversed([x for x in sentences if prev_start <= x[0] and x[1] <= prev_end]):
                overlap_ok = len(self._tokenize(text[s:start])) <= self._overlap
                if not overlap_ok or not self._fits(text[s:end]):
                    break
                begin = s
            out.append((begin, end))
        return out


def _strip_span(text: str, start: int, end: int) -> Span:
    s, e = _strip(text, start, end)
    return (s, e)


def _locate(text: str, part: str, cursor: int) -> Span:
    """Where ``part`` lies in ``text`` at or after ``cursor``.

    The splitter's phrase regex can drop characters, so when ``part`` is not a verbatim
    substring it is matched as a subsequence, and the span covers the dropped characters too.
    """
    found = text.find(part, cursor)
    if found >= 0:
        return found, found + len(part)
    begin = text.find(part[0], cursor)
    if begin < 0:
        raise ValueError("splitter returned text that is not in the article")
    i = begin
    for char in part:
        i = text.find(char, i)
        if i < 0:
            raise ValueError("splitter returned text that is not in the article")
        i += 1
    return begin, i
