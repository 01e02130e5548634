"""Chunks are exact slices of the article and never exceed what the embedder reads."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.index.embedding import Embedder
from assistant.ingest.chunking import Chunker, sentence_spans
from tests.conftest import SEED

PIECES = [
    "The minister said talks would resume. ",
    "“Give us a week,” Noem said. ",
    "‘Quoted’ — dash… ",
    "U.S. officials met Dr. Jones on Jan. 5. ",
    "\r\n",
    "\n\n\n\n",
    "\t  ",
    ",,,;;..",
    "naïve café Zürich 東京 😀 ",
    "word " * 300,  # a very long sentence with no full stop
    "x" * 1500,  # one enormous token-less run
    "Short.",
]

messy_text = st.lists(
    st.one_of(st.sampled_from(PIECES), st.text(min_size=1, max_size=40)), min_size=1, max_size=30
).map("".join)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=messy_text)
def test_offsets_are_exact_and_chunks_fit_the_embedder(fake_embedder: Embedder, text: str) -> None:
    embedder = fake_embedder  # any tokenizer; the real one is checked on the seed article
    chunker = Chunker(embedder.tokenize, chunk_tokens=120, overlap_tokens=10, max_tokens=128)
    chunks = chunker.chunk("a", "v", text)
    if text.strip():
        assert chunks
    covered: set[int] = set()
    for chunk in chunks:
        assert 0 <= chunk.start < chunk.end <= len(text)
        assert text[chunk.start : chunk.end] == chunk.text
        assert len(embedder.tokenize(chunk.text)) + 2 <= 128
        for s, e in chunk.sentences:
            assert chunk.start <= s < e <= chunk.end
            assert text[s:e] == text[s:e].strip()
        covered.update(range(chunk.start, chunk.end))
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)
    # Nothing readable falls between chunks.
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_seed_article_chunks_fit_the_real_limit(embedder: Embedder) -> None:
    text = SEED.read_text(encoding="utf-8")
    chunker = Chunker(embedder.tokenize, chunk_tokens=200, overlap_tokens=20, max_tokens=256)
    chunks = chunker.chunk("seed", "v", text)
    assert len(chunks) >= 3
    for chunk in chunks:
        # The model reads at most 256 pieces including [CLS] and [SEP]: nothing is cut.
        assert len(embedder.tokenize(chunk.text)) + 2 <= 256


def test_oversized_chunk_size_is_capped_to_the_model_limit(fake_embedder: Embedder) -> None:
    embedder = fake_embedder
    text = " ".join(f"Sentence number {i} talks about talks in Rome." for i in range(400))
    chunker = Chunker(embedder.tokenize, chunk_tokens=5000, overlap_tokens=20, max_tokens=256)
    chunks = chunker.chunk("a", "v", text)
    assert len(chunks) > 5
    assert max(len(embedder.tokenize(c.text)) for c in chunks) <= 254


def test_sentences_split_by_line_and_punctuation() -> None:
    text = "Kristi Noem's Jerusalem visit\nU.S. envoy Steve Witkoff met Araghchi in Rome. He left.\n\nEnd"
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    assert sentences == [
        "Kristi Noem's Jerusalem visit",
        "U.S. envoy Steve Witkoff met Araghchi in Rome.",
        "He left.",
        "End",
    ]


def test_chunk_ids_change_with_content_version(fake_embedder: Embedder) -> None:
    chunker = Chunker(fake_embedder.tokenize, chunk_tokens=200, overlap_tokens=20, max_tokens=256)
    first = chunker.chunk("art", "v1", "Some text.")[0]
    second = chunker.chunk("art", "v2", "Some text.")[0]
    assert first.id != second.id and first.id.startswith("art-v1-")
