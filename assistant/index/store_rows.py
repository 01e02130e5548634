"""The article store's schema, and how its rows become articles and chunks."""

from __future__ import annotations

import json

from assistant.types import Article, ArticleMeta, Chunk

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    origin TEXT NOT NULL,
    title TEXT NOT NULL,
    source TEXT,
    url TEXT,
    author TEXT,
    published TEXT,
    text TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'ready')),
    dup_of TEXT,
    minhash BLOB
);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY,
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    sentences TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

ARTICLE_COLUMNS = (
    "id, key, origin, title, source, url, author, published, text, content_hash, dup_of"
)


def article_of(row: tuple[object, ...]) -> Article:
    """An article from a row of ``ARTICLE_COLUMNS``."""
    id_, key, origin, title, source, url, author, published, text, content_hash, dup_of = row
    return Article(
        id=str(id_),
        key=str(key),
        meta=ArticleMeta(
            title=str(title),
            source=source,  # type: ignore[arg-type]
            url=url,  # type: ignore[arg-type]
            author=author,  # type: ignore[arg-type]
            published=published,  # type: ignore[arg-type]
        ),
        text=str(text),
        content_hash=str(content_hash),
        origin=str(origin),
        dup_of=dup_of,  # type: ignore[arg-type]
    )


def chunk_of(article: Article, row: tuple[object, ...]) -> Chunk:
    """A chunk of ``article`` from a row of (id, ordinal, start, end, sentences)."""
    id_, ordinal, start, end, sentences = row
    s, e = int(start), int(end)  # type: ignore[call-overload]
    return Chunk(
        id=str(id_),
        article_id=article.id,
        ordinal=int(ordinal),  # type: ignore[call-overload]
        start=s,
        end=e,
        text=article.text[s:e],
        sentences=[tuple(p) for p in json.loads(str(sentences))],
    )
