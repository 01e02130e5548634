"""Chunk ids: built and taken apart in this one place."""

from __future__ import annotations


def chunk_id(article_id: str, version: str, ordinal: int) -> str:
    """The id of chunk ``ordinal`` of one version (content hash prefix) of an article."""
    return f"{article_id}-{version}-{ordinal:04d}"


def article_version(chunk: str) -> str:
    """``{article id}-{version}`` of a chunk id: what changes when the article does."""
    return chunk.rsplit("-", 1)[0]
