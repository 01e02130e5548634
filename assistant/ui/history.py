"""Conversations kept on the server, per browser session, so a reload shows them again.

Each turn stores the whole checked ``Answer``: its citations (article id, offsets, quote) are
what the page re-renders after a reload, so links keep opening the same spans.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from assistant.errors import StoreError
from assistant.types import Answer

_SESSION = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    session TEXT NOT NULL,
    turn INTEGER NOT NULL,
    answer TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (session, turn)
);
"""


def new_session_id() -> str:
    return secrets.token_urlsafe(18)


def valid_session_id(value: object) -> bool:
    return isinstance(value, str) and _SESSION.match(value) is not None


class ConversationStore:
    """Turns of each browser session in SQLite; a connection per call, so any thread may use it."""

    def __init__(self, path: Path, max_turns: int) -> None:
        self.path = path
        self.max_turns = max_turns
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            with closing(sqlite3.connect(self.path, timeout=30)) as db, db:
                yield db
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"cannot use the conversation store {self.path}: {exc}. "
                "Delete that file to start with empty histories"
            ) from exc

    def answers(self, session: str) -> list[Answer]:
        """The session's answers, oldest first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT answer FROM turns WHERE session = ? ORDER BY turn", (session,)
            ).fetchall()
        return [Answer.model_validate_json(r[0]) for r in rows]

    def sessions(self) -> list[str]:
        """Every session with at least one turn."""
        with self._connect() as db:
            return [r[0] for r in db.execute("SELECT DISTINCT session FROM turns ORDER BY session")]

    def append(self, session: str, answer: Answer) -> None:
        """Add a turn; the oldest turns go once the session holds more than ``max_turns``."""
        payload = answer.model_dump_json()
        with self._connect() as db:
            db.execute(
                "INSERT INTO turns (session, turn, answer, created) VALUES "
                "(?, (SELECT COALESCE(MAX(turn), 0) + 1 FROM turns WHERE session = ?), ?, ?)",
                (session, session, payload, time.time()),
            )
            db.execute(
                "DELETE FROM turns WHERE session = ? AND turn <= "
                "(SELECT MAX(turn) FROM turns WHERE session = ?) - ?",
                (session, session, self.max_turns),
            )

    def clear(self, session: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM turns WHERE session = ?", (session,))
