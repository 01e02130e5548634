"""One writer per data directory: an exclusive ``flock`` on ``data_dir/.lock``, holder's pid inside.

Embedded Chroma does not support two processes writing one folder, and ``ingest --reindex``
would delete the collection under a running ``serve``. So ``ingest`` and ``serve`` hold this
lock while they have the index open. Readers (``search``, ``ask``, ``articles``...) take no
lock. With a Chroma server (``chroma.host``) several writers are allowed and no lock is taken.
The kernel drops the lock when its holder dies, so a killed ingest never leaves it stale.
"""

from __future__ import annotations

import fcntl
import os
import sys
from collections.abc import Callable
from pathlib import Path

from assistant.config import Settings
from assistant.errors import StoreError

LOCK_NAME = ".lock"


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class WriterLock:
    """The held lock of one data directory; ``release`` (or process exit) gives it up."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(
        cls,
        data_dir: Path,
        holder: str,
        wait: bool = False,
        notify: Callable[[str], None] = _stderr,
    ) -> WriterLock:
        """Take the lock for ``holder`` (e.g. ``ingest``), or raise ``StoreError`` naming the
        process that has it; with ``wait``, block until it is free (``notify`` says so once)."""
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot use {data_dir} as the data directory: {exc.strerror or exc}; "
                "set data_dir (or ASSISTANT_DATA_DIR) to a writable directory"
            ) from exc
        path = data_dir / LOCK_NAME
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(
                f"cannot create the lock file {path}: {exc.strerror or exc}; "
                "check that data_dir is writable"
            ) from exc
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                other = _holder(fd)
                if not wait:
                    raise StoreError(busy_message(data_dir, other)) from None
                notify(f"waiting for {other} to finish with {data_dir} ...")
                fcntl.flock(fd, fcntl.LOCK_EX)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {holder}\n".encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        return cls(path, fd)

    def release(self) -> None:
        """Give the lock up; safe to call twice. The pid stays in the file (harmless: only a
        held lock's file is ever read)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None


def _holder(fd: int) -> str:
    """Who holds the lock, from what it wrote: ``pid 1234 (serve)``."""
    try:
        words = os.pread(fd, 200, 0).decode("utf-8", "replace").split()
    except OSError:
        words = []
    if not words or not words[0].isdigit():
        return "another process (pid unknown)"
    what = f" ({' '.join(words[1:])})" if len(words) > 1 else ""
    return f"pid {words[0]}{what}"


def busy_message(data_dir: Path, holder: str) -> str:
    return (
        f"{data_dir} is in use by {holder}: the embedded Chroma index allows one writer. "
        "Wait for it to finish (`python -m assistant ingest --wait` waits), stop it, or, while "
        "`serve` runs, add articles through its Library tab. A Chroma server (chroma.host) "
        "allows several writers"
    )


def writer_lock(
    settings: Settings, holder: str, wait: bool = False, notify: Callable[[str], None] = _stderr
) -> WriterLock | None:
    """The data directory's writer lock when the index is embedded; None with a Chroma server."""
    if settings.chroma.host:
        return None
    return WriterLock.acquire(settings.data_dir, holder, wait, notify)
