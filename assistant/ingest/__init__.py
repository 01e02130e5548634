"""Ingest stage: read article files and cut them into exact-offset chunks."""
