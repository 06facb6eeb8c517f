"""The ``lyth`` command line (typer).

Three layers, as in Hamilton's CLI: the typer layer (``_app`` and the
``_*_app`` modules: options in, output out), the commands
(``lythonic.cli.commands``: plain functions returning a ``Reply``, no
printing, no exiting), and the logic below them (``lythonic.declarative``,
``lythonic.compose``). Exit codes: 0 ok, 1 validation or run failure,
2 usage error, 130 interrupted.
"""

from lythonic.cli import (
    _config_app,  # noqa: F401 -- registers validate, run, graph, schema
    _daemon_app,  # noqa: F401 -- registers start, stop, status
    _runs_app,  # noqa: F401 -- registers runs, restart, replay
    _trigger_app,  # noqa: F401 -- registers fire, trigger
)
from lythonic.cli._app import app, main

__all__ = ["app", "main"]
