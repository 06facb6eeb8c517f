"""The ``lyth`` command line (typer).

Three layers, as in Hamilton's CLI: the typer layer (``_app`` and the
``_*_app`` modules: options in, output out), the commands
(``lythonic.cli.commands``: plain functions returning a ``Reply``, no
printing, no exiting), and the logic below them (``lythonic.declarative``,
``lythonic.compose``). Exit codes: 0 ok, 1 validation or run failure,
2 usage error, 130 interrupted.

The typer application is imported on first use (``lythonic.cli.app``, or
``main()``), so that a Ctrl-C while ``lyth`` is still starting is handled
like one during a command.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

    from lythonic.cli._app import app as app

__all__ = ["app", "main"]

_INTERRUPTED = 130


def _application() -> typer.Typer:
    from lythonic.cli import (
        _config_app,  # noqa: F401 -- registers validate, run, graph, schema
        _daemon_app,  # noqa: F401 -- registers start, stop, status
        _runs_app,  # noqa: F401 -- registers runs, restart, replay
        _trigger_app,  # noqa: F401 -- registers fire, trigger
    )
    from lythonic.cli._app import app

    return app


def __getattr__(name: str) -> Any:
    if name == "app":
        return _application()
    raise AttributeError(f"module 'lythonic.cli' has no attribute {name!r}")


def main() -> None:
    """Console-script entry point (``lyth``).

    Ctrl-C ends the process with exit code 130 and no traceback wherever it
    lands — while the modules are still loading, too. A command interrupted
    during a run records the run as cancelled before it returns; the process
    then exits at once instead of waiting for a sync step still running in a
    worker thread (such a thread cannot be stopped, only abandoned).
    """
    try:
        _application()()
    except KeyboardInterrupt:
        _leave(_INTERRUPTED, "lyth: interrupted")
    except SystemExit as e:
        if e.code == _INTERRUPTED:
            _leave(_INTERRUPTED)
        raise


def _leave(code: int, message: str | None = None) -> None:
    """Exit with ``code`` at once, not joining threads of abandoned sync steps."""
    import signal

    from lythonic._process import exit_process

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a further Ctrl-C cannot interrupt the exit
    if message is not None:
        print(message, file=sys.stderr)
    exit_process(code)
