"""Index stage: embed chunks and keep the article store, Chroma and BM25 in step."""
