"""Runtime failures of the storage layers (SQLite, files, Chroma) as one-line ``StoreError``s.

Used where an index write is started for a user (``ingest``, an upload, a delete): a full
disk, a locked database or a Chroma failure then reads as what happened and what to do next,
not as a traceback. Every write sequence is crash-safe, so "try again" is always sound.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from assistant.errors import StoreError

_RETRY = "nothing half-written is served, and the next ingest finishes the work"


@contextmanager
def storage_errors(action: str) -> Iterator[None]:
    """Turn SQLite, file-system and Chroma errors raised inside into ``StoreError``."""
    from chromadb.errors import ChromaError  # lazy: chromadb is heavy to import

    try:
        yield
    except sqlite3.Error as exc:
        raise StoreError(
            f"{action} failed: the article store says {exc!s}. Free disk space, or wait for "
            f"the program holding the database, then try again ({_RETRY})"
        ) from exc
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise StoreError(
            f"{action} failed: {exc.strerror or exc}{where}. Free disk space or fix the "
            f"permissions, then try again ({_RETRY})"
        ) from exc
    except ChromaError as exc:
        raise StoreError(
            f"{action} failed in the vector index (Chroma): {exc}. Try again; if it keeps "
            f"failing, restart the command or the Chroma server ({_RETRY})"
        ) from exc
