"""One writer per data directory (issue 14): a second ingest or serve is refused (or waits),
a Chroma server allows several writers, and a public server needs a login."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import ChromaSettings, Settings, UISettings
from assistant.errors import ConfigError, StoreError
from assistant.index.embedding import Embedder
from assistant.index.handle import Index
from assistant.index.lock import WriterLock, writer_lock
from assistant.ui.server import check_login

HOLD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from assistant.index.lock import WriterLock
    lock = WriterLock.acquire(Path(sys.argv[1]), "holder-test")
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
    lock.release()
    """
)


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the writer lock of ``tmp_path/data`` for up to a minute."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path / "data"), "60"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=30)


def _ingest(tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    (corpus / "a.md").write_text("Harbour news\nThe harbour reopened on Monday after repairs.\n")
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(tmp_path / "data"),
        "ASSISTANT_CORPUS_DIR": str(corpus),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", "ingest", "--quiet", *extra],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


@pytest.mark.slow
def test_a_second_ingest_is_refused_naming_the_holder(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    _, err = _ingest(tmp_path).communicate(timeout=120)
    assert f"pid {holder.pid} (holder-test)" in err, err
    assert "--wait" in err and "Traceback" not in err
    assert not (tmp_path / "data" / "articles.sqlite3").exists()


@pytest.mark.slow
def test_ingest_wait_runs_once_the_holder_is_gone(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    waiting = _ingest(tmp_path, "--wait")
    assert waiting.stderr is not None
    said = ""
    while "waiting" not in said and waiting.poll() is None:  # until it reaches the lock
        said = waiting.stderr.readline()
    assert f"waiting for pid {holder.pid} (holder-test)" in said, said
    time.sleep(1)
    assert waiting.poll() is None
    holder.send_signal(signal.SIGKILL)  # the kernel drops a dead holder's lock
    out, err = waiting.communicate(timeout=180)
    assert waiting.returncode == 0, err
    assert "1 added" in out


def test_a_serving_index_keeps_other_writers_out(
    settings: Settings, fake_embedder: Embedder
) -> None:
    embedder = fake_embedder  # the lock matters here, not the vectors
    serving = Index.open(settings, embedder, writer="serve")
    try:
        with pytest.raises(StoreError, match=rf"pid {os.getpid()} \(serve\)"):
            Index.open(settings, embedder, writer="ingest")
        reader = Index.open(settings, embedder)  # readers take no lock
        reader.close()
    finally:
        serving.close()
    again = Index.open(settings, embedder, writer="ingest")  # released by close
    again.close()


def test_a_chroma_server_allows_several_writers(tmp_path: Path) -> None:
    served = Settings(data_dir=tmp_path, chroma=ChromaSettings(host="127.0.0.1"))
    assert writer_lock(served, "ingest") is None
    assert writer_lock(served, "serve") is None
    first = writer_lock(Settings(data_dir=tmp_path), "ingest")
    assert first is not None and first.held
    first.release()
    first.release()  # twice is harmless
    assert not first.held


def test_the_lock_file_names_its_holder(tmp_path: Path) -> None:
    lock = WriterLock.acquire(tmp_path, "ingest")
    try:
        assert (tmp_path / ".lock").read_text().split() == [str(os.getpid()), "ingest"]
    finally:
        lock.release()


def test_public_serving_needs_a_login(capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.cli import main

    assert main(["serve", "--public"]) == 2
    assert "--public needs a login" in capsys.readouterr().err
    assert main(["serve", "--host", "0.0.0.0", "--public"]) == 2
    assert "ui.username" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="--no-auth"):
        check_login(True, None, no_auth=False)
    check_login(True, None, no_auth=True)
    assert "warning" in capsys.readouterr().err
    check_login(True, ("reader", "secret"), no_auth=False)
    check_login(False, None, no_auth=False)
    assert Settings(ui=UISettings(max_queue=3)).ui.max_queue == 3
