"""Data shapes shared by every stage: articles, chunks and retrieval hits."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ArticleMeta(BaseModel):
    """Bibliographic metadata of one article; every field but the title is optional."""

    title: str
    source: str | None = None
    url: str | None = None
    author: str | None = None
    published: str | None = Field(default=None, description="ISO 8601 date or datetime")


class LoadedArticle(BaseModel):
    """An article as read from a file, before it is stored."""

    key: str = Field(description="What makes the article the same across runs: url or path#n")
    origin: str = Field(description="The file it came from")
    meta: ArticleMeta
    text: str


class Article(BaseModel):
    """A stored article: the text here is what every offset refers to."""

    id: str
    key: str
    meta: ArticleMeta
    text: str
    content_hash: str
    origin: str
    dup_of: str | None = None


class Chunk(BaseModel):
    """A contiguous span of an article: ``article.text[start:end] == text``."""

    id: str
    article_id: str
    ordinal: int
    start: int
    end: int
    text: str
    sentences: list[tuple[int, int]] = Field(
        description="Sentence spans inside this chunk, as absolute article offsets"
    )


class ArticleSpan(BaseModel):
    """A character span of a stored article, with the article's metadata."""

    article_id: str
    title: str
    source: str | None
    published: str | None
    url: str | None
    start: int
    end: int


class Hit(ArticleSpan):
    """A retrieved chunk with its score: ``text == article.text[start:end]``."""

    chunk_id: str
    text: str
    score: float = Field(description="Reciprocal-rank-fusion score")
    dense_score: float | None = Field(default=None, description="Cosine similarity, if found")
    keyword_score: float | None = Field(default=None, description="BM25 score, if found")
    sentences: list[tuple[int, int]]

    @classmethod
    def of(
        cls, chunk: Chunk, article: Article, score: float,
        dense_score: float | None = None, keyword_score: float | None = None,
    ) -> Hit:  # fmt: skip
        """A stored chunk as a hit, with its article's metadata."""
        return cls(
            chunk_id=chunk.id, article_id=article.id, title=article.meta.title,
            source=article.meta.source, published=article.meta.published, url=article.meta.url,
            start=chunk.start, end=chunk.end, text=chunk.text, score=score,
            dense_score=dense_score, keyword_score=keyword_score, sentences=chunk.sentences,
        )  # fmt: skip


class Citation(ArticleSpan):
    """One cited span: ``quote == article.text[start:end]``, always."""

    n: int = Field(description="The marker number used in the answer text, [n]")
    quote: str


class AnswerSentence(BaseModel):
    """One sentence of an answer, with the citations it rests on and the checker's verdict."""

    text: str
    citations: list[int] = Field(description="Marker numbers of the citations")
    supported: bool
    support: float = Field(description="Support checker score in [0, 1]")


class ShortAnswer(BaseModel):
    """The answer phrase inside cited quote ``n``: ``article_text[start:end] == text``."""

    text: str
    n: int = Field(description="The citation whose quote holds the phrase")
    start: int
    end: int


class Answer(BaseModel):
    """A grounded answer: only supported sentences are presented as fact."""

    question: str
    standalone_question: str
    text: str = Field(description="The answer with [n] citation markers")
    sentences: list[AnswerSentence]
    citations: list[Citation]
    abstained: bool
    fallback: bool = Field(
        default=False, description="True when the answer quotes sources verbatim"
    )
    short_answer: ShortAnswer | None = Field(
        default=None, description="The answer phrase (e.g. a name or date), when one is found"
    )
    partial: bool = Field(
        default=False, description="A checked answer shown while the model may still add to it"
    )
    notice: str | None = Field(
        default=None, description="One line on why the answer is degraded (e.g. the model died)"
    )
    provider: str
    model: str
    timings: dict[str, float] = Field(default_factory=dict)
