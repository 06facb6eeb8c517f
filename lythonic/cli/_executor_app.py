"""``lyth executor check``: can every worker of the cluster run this config's steps?"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from lythonic._lazy import lazy_module
from lythonic.cli._app import app
from lythonic.cli._config_app import ConfigOption, DataOption, _finish, _settings
from lythonic.cli._console import setup_cli_logging
from lythonic.cli._daemon_app import JsonOption

if TYPE_CHECKING:
    from lythonic.cli import _executor_cmds
else:  # loaded when a command runs: `lyth --help` stays light
    _executor_cmds = lazy_module("lythonic.cli._executor_cmds")

__all__ = ["check_cmd", "executor_app"]

executor_app = typer.Typer(
    name="executor",
    help="Check the executor the settings choose (LYTH_EXECUTOR, LYTH_DASK_ADDRESS).",
    no_args_is_help=True,
)
app.add_typer(executor_app)


@executor_app.command("check")
def check_cmd(
    config: ConfigOption = None, data: DataOption = None, as_json: JsonOption = False
) -> None:
    """On every Dask worker, import each module the config's steps come from and
    compare Python and lythonic versions with this machine's.

    Exit 1 naming the worker and the module it lacks (or the version that differs).
    """
    settings = _settings(config=config, data_dir=data, executor="dask")
    setup_cli_logging(
        settings.log_level or "WARNING", settings.log_format, capture=settings.node_logs
    )
    _finish(_executor_cmds.check(settings.config, settings, as_json=as_json))
