"""The web view inside the daemon (``lyth start --ui``): the app ``lyth ui`` serves,
as one more task on the daemon's event loop, drawing runs with the DAGs of the
config snapshot in force (a reload swaps them)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

__all__ = ["WebView"]


class WebView:
    """Serves the view of ``storage``'s stores on ``host:port`` until ``stop()``."""

    def __init__(
        self,
        storage: Any,
        snapshot: Callable[[], Any],
        host: str,
        port: int,
        token: str | None,
    ) -> None:
        from lythonic.ui import UiSource, build_app, listen, make_server, shapes_of

        self._snapshot = snapshot
        self._shapes: tuple[int, Any] | None = None
        self.source = UiSource(storage.runs_store, storage.triggers_store, self._current_shapes)
        app = build_app(self.source, token=token, hosts={host})
        self.socket = listen(host, port)  # a taken port: OSError, before anything runs
        self.server = make_server(app, host, port, own_signals=False)
        self.host = host
        self._shapes_of = shapes_of
        self._task: asyncio.Task[None] | None = None

    def _current_shapes(self) -> Any:
        loaded = self._snapshot()
        cached = self._shapes
        if cached is None or cached[0] != id(loaded):
            cached = self._shapes = (id(loaded), self._shapes_of(loaded.dags))
        return cached[1]

    @property
    def url(self) -> str:
        from lythonic.ui import bound_port

        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{bound_port(self.socket)}/"

    async def start(self) -> None:
        # The socket listens already: requests wait in its backlog until uvicorn serves.
        self._task = asyncio.ensure_future(self.server.serve(sockets=[self.socket]))

    async def stop(self) -> None:
        self.server.should_exit = True
        if self._task is not None:
            await asyncio.wait([self._task], timeout=5)
        self.socket.close()
        await asyncio.to_thread(self.source.close)
