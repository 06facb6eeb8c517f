"""listen, check_exposure: where the web view may listen, and how."""

from __future__ import annotations

import socket

import pytest

from lythonic.ui import UiExposed, check_exposure, listen


def test_connections_it_accepts_send_without_waiting_for_acks() -> None:
    """The listening socket names TCP, so the connections it accepts have TCP_NODELAY
    (asyncio sets it only then): a keep-alive browser gets each page at once instead
    of ~40 ms later."""
    server = listen("127.0.0.1", 0)
    try:
        assert server.proto == socket.IPPROTO_TCP
        with socket.create_connection(server.getsockname()):
            accepted, _ = server.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        server.close()


def test_a_taken_port_is_an_error_naming_it() -> None:
    """Listening where another socket listens is an OSError that says where."""
    first = listen("127.0.0.1", 0)
    port = first.getsockname()[1]
    try:
        with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{port}"):
            listen("127.0.0.1", port)
    finally:
        first.close()


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "pipelines.example"])
def test_beyond_loopback_needs_a_token(host: str) -> None:
    """Any host but loopback is refused without a token, accepted with one."""
    with pytest.raises(UiExposed, match="LYTH_UI_TOKEN"):
        check_exposure(host, None)
    check_exposure(host, "a-token-of-sixteen+")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_needs_no_token(host: str) -> None:
    """Loopback names and addresses listen without a token."""
    check_exposure(host, None)
