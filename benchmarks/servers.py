"""Start and stop real servers on 127.0.0.1 for tests and benchmarks, with bounded waits."""

from __future__ import annotations

import random
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now, and that this process has
    not handed out before (a test starting four servers gets four ports).

    Chosen below the kernel's ephemeral range (see ``ephemeral_start``): a port from that range
    can be taken, between choosing it and the server binding it, by any outgoing connection
    (a client of the Chroma or LLM server), which once failed CI with "address in use"."""
    low, high = 20_000, ephemeral_start()
    if high - low < 1000:  # a kernel that hands out nearly every port: let it choose
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])
    for _ in range(200):
        port = random.randrange(low, high)
        if port in _HANDED_OUT:  # given to a server that may not have bound it yet
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    raise AssertionError(f"no free port found in {low}..{high}")


def ephemeral_start() -> int:
    """First port the kernel hands to outgoing connections (32768 where it does not say)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768


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
def running(
    command: Sequence[str],
    health_url: str,
    seconds: float = 120,
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` until the block ends; it must answer ``health_url`` first.

    Its output goes to ``log`` when given (for a failing test to show), else nowhere."""
    with ExitStack() as stack:
        out = stack.enter_context(log.open("ab")) if log else subprocess.DEVNULL
        proc = subprocess.Popen(list(command), stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            try:
                wait_until_up(health_url, proc, seconds)
            except AssertionError as exc:
                raise AssertionError(f"{exc}; its output ends:\n{_tail(log)}") from None
            yield proc
        finally:
            stop(proc)


def _tail(log: Path | None, lines: int = 30) -> str:
    """The last lines a server wrote, so that a failed start says why."""
    if log is None or not log.exists():
        return "(not recorded: pass log= to running())"
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate, then kill if it has not gone within 20 s."""
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
