"""The typer layer of ``lyth ui``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from lythonic._lazy import lazy_module
from lythonic.cli._app import app
from lythonic.cli._config_app import ConfigOption, DataOption, _finish, _settings
from lythonic.cli._console import Console

if TYPE_CHECKING:
    from lythonic.cli import _ui_cmds
else:  # loaded when a command runs: `lyth --help` stays light
    _ui_cmds = lazy_module("lythonic.cli._ui_cmds")

__all__ = ["ui_cmd"]


@app.command("ui")
def ui_cmd(
    config: ConfigOption = None,
    data: DataOption = None,
    host: Annotated[
        str | None,
        typer.Option(
            "--host",
            help="Where to listen (default: $LYTH_UI_HOST, else 127.0.0.1). Beyond this "
            "machine only with LYTH_UI_TOKEN set.",
            show_default=False,
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            min=0,
            max=65535,
            help="The port (default: $LYTH_UI_PORT, else 8765; 0: any free port).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve a read-only web view of the runs, their graphs and values, and the
    triggers, whether or not the daemon runs (needs lythonic's `ui` extra)."""
    settings = _settings(config=config, data_dir=data, ui_host=host, ui_port=port)
    console = Console()
    _finish(
        _ui_cmds.serve_ui(
            settings.config, settings, settings.ui_host, settings.ui_port, console.note
        ),
        console,
    )
