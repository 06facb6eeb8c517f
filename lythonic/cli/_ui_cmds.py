"""The command behind ``lyth ui``, without the typer layer: serve the web view of
a data directory's history until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lythonic.cli.commands import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Reply
from lythonic.declarative import LythSettings

__all__ = ["exposure_problem", "serve_ui"]


def exposure_problem(host: str, settings: LythSettings) -> Reply | None:
    """A usage error (exit 2) for a non-loopback host without a token, a failure (exit 1)
    without the ``ui`` extra, else None."""
    from lythonic.ui import UiExposed, check_exposure

    try:
        check_exposure(host, settings.ui_token)
    except UiExposed as e:
        return Reply(EXIT_USAGE, "", [f"lyth: error: {e}"])
    return _missing_extra()


def _missing_extra() -> Reply | None:
    import importlib.util

    for name in ("starlette", "uvicorn"):
        if importlib.util.find_spec(name) is None:
            return Reply(
                EXIT_FAILED,
                "",
                [f"lyth: the web view needs pip install 'lythonic[ui]' (no {name})"],
            )
    return None


def _shapes(config: Path, settings: LythSettings, note: Callable[[str], None]) -> Any:
    """The config's DAG shapes, or none (runs then draw from their records)."""
    from lythonic.declarative import ConfigError, load_config
    from lythonic.ui import shapes_of

    if not config.exists():
        return {}
    try:
        loaded = load_config(config, settings=settings)
    except ConfigError as e:
        first = str(e.diagnostics[0]) if e.diagnostics else str(e)
        note(f"lyth: {config} does not load ({first}); runs are drawn from their records")
        return {}
    return shapes_of(loaded.dags)


def serve_ui(
    config: Path,
    settings: LythSettings,
    host: str,
    port: int,
    note: Callable[[str], None],
) -> Reply:
    """Serve until stopped; ``note`` tells where (one line on stderr)."""
    problem = exposure_problem(host, settings)
    if problem is not None:
        return problem
    try:
        from lythonic.ui import UiSource, bound_port, build_app, listen, make_server
    except ImportError as e:
        return Reply(
            EXIT_FAILED, "", [f"lyth: the web view needs pip install 'lythonic[ui]' ({e})"]
        )
    from lythonic.engine._locate import storage_of

    storage = storage_of(config, settings)
    shapes = _shapes(config, settings, note)
    source = UiSource(storage.runs_store, storage.triggers_store, lambda: shapes)
    try:
        sock = listen(host, port)
    except OSError as e:
        return Reply(EXIT_FAILED, "", [f"lyth: {e}"])
    app = build_app(source, token=settings.ui_token, hosts={host})
    server = make_server(app, host, port, own_signals=True)
    shown = f"[{host}]" if ":" in host else host
    note(
        f"lyth ui: http://{shown}:{bound_port(sock)}/ (runs in {storage.runs_store}; Ctrl-C stops)"
    )
    try:
        asyncio.run(server.serve(sockets=[sock]))
    finally:
        sock.close()
        source.close()
    return Reply(EXIT_OK, "")
