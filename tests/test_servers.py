"""The test helpers that start real servers: ports outgoing connections cannot take, and a
failed start that says why."""

import socket
import sys
from pathlib import Path

import pytest

from benchmarks.servers import ephemeral_start, free_port, running


def test_free_ports_are_bindable_and_below_the_ephemeral_range() -> None:
    room = ephemeral_start() - 20_000 >= 1000  # else the kernel chooses (nothing is below)
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == len(ports) or not room  # none handed out twice, bound or not
    for port in ports:
        assert 20_000 <= port < ephemeral_start() or not room
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_a_port_handed_out_is_not_handed_out_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two servers of one test given the same port: the second fails with "address in use"."""
    monkeypatch.setattr("benchmarks.servers.ephemeral_start", lambda: 32_768)
    first = free_port()
    draws = iter([first, first, first + 1 if first + 1 < 32_768 else first - 1])
    monkeypatch.setattr("benchmarks.servers.random.randrange", lambda *_: next(draws))
    assert free_port() != first


def test_a_server_that_dies_at_start_shows_its_output(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "import sys; print('port taken: 4242'); sys.exit(1)"]
    url = f"http://127.0.0.1:{free_port()}/"
    started = running(command, url, seconds=30, log=tmp_path / "server.log")
    with pytest.raises(AssertionError, match=r"status 1 .*\n.*port taken: 4242"), started:
        pass
