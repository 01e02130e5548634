"""Start and stop real servers on 127.0.0.1 for integration tests, with bounded waits."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, proc: subprocess.Popen[bytes], seconds: float = 120) -> None:
    """Poll ``url`` until it answers, the process dies, or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with status {proc.returncode} before answering")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds:.0f} s")


@contextmanager
def running(command: Sequence[str], health_url: str, seconds: float = 120) -> Iterator[None]:
    """Run ``command`` until the block ends; it must answer ``health_url`` first."""
    proc = subprocess.Popen(list(command), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(health_url, proc, seconds)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


def llama_server(model: str, port: int, *extra: str) -> list[str]:
    """The command line of llama-cpp-python's OpenAI-compatible server."""
    return [
        sys.executable, "-m", "llama_cpp.server", "--model", model,
        "--host", "127.0.0.1", "--port", str(port), *extra,
    ]  # fmt: skip
