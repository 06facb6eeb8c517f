"""Serving the web view with uvicorn: alone (``lyth ui``) or as one more task on
the daemon's event loop (``lyth start --ui``)."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import Any

from lythonic.ui._guard import is_loopback

__all__ = ["UiExposed", "bound_port", "check_exposure", "listen", "make_server"]


class UiExposed(ValueError):
    """A non-loopback host without a token: anyone on the network would read every
    recorded value."""


def check_exposure(host: str, token: str | None) -> None:
    """Refuse to listen beyond this machine without a token.

    >>> check_exposure("127.0.0.1", None)
    >>> check_exposure("0.0.0.0", None)
    Traceback (most recent call last):
    ...
    lythonic.ui._serve.UiExposed: --host 0.0.0.0 reaches beyond this machine: set LYTH_UI_TOKEN (16+ characters) so the view asks for it, or listen on 127.0.0.1
    """
    if token is None and not is_loopback(host):
        raise UiExposed(
            f"--host {host} reaches beyond this machine: set LYTH_UI_TOKEN (16+ characters) "
            "so the view asks for it, or listen on 127.0.0.1"
        )


def make_server(app: Any, host: str, port: int, *, own_signals: bool) -> Any:
    """A ``uvicorn.Server`` for ``app``. Without ``own_signals`` it leaves SIGTERM and
    SIGINT to its host process (the daemon); set ``should_exit`` to stop it."""
    import uvicorn

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="off",
        access_log=False,
        log_config=None,  # the process's logging stays as it is
        log_level="warning",
        server_header=False,
        proxy_headers=False,
    )
    if own_signals:
        return uvicorn.Server(config)

    class _Guest(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return _Guest(config)


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, bound here so that a taken port is an
    ``OSError`` to report (uvicorn would exit the whole process instead).

    >>> sock = listen("127.0.0.1", 0); bound_port(sock) > 0
    True
    >>> sock.close()
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named: asyncio sets TCP_NODELAY only on sockets that say so, and
    # without it a keep-alive browser waits ~40 ms per page (Nagle and delayed ACKs).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(128)
    except OSError as e:
        sock.close()
        raise OSError(f"the web view cannot listen on {host}:{port}: {e.strerror or e}") from e
    return sock


def bound_port(sock: socket.socket) -> int:
    """The port ``sock`` listens on (``--port 0`` picks a free one)."""
    return int(sock.getsockname()[1])
