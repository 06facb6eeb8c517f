"""``lyth db status``/``upgrade`` (the stores' schema versions) and ``lyth executor check``
(can every worker of the cluster run this config's steps?)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from lythonic._lazy import lazy_module
from lythonic.cli._app import app
from lythonic.cli._config_app import ConfigOption, DataOption, _finish, _settings
from lythonic.cli._console import setup_cli_logging
from lythonic.cli._daemon_app import JsonOption

if TYPE_CHECKING:
    from lythonic.cli import _admin_cmds
else:  # loaded when a command runs: `lyth --help` stays light
    _admin_cmds = lazy_module("lythonic.cli._admin_cmds")

__all__ = ["check_cmd", "db_app", "db_status_cmd", "db_upgrade_cmd", "executor_app"]

db_app = typer.Typer(
    name="db",
    help="The stores' schema versions: status, and upgrade (SQLite files or PostgreSQL).",
    no_args_is_help=True,
)
app.add_typer(db_app)


@db_app.command("status")
def db_status_cmd(
    config: ConfigOption = None, data: DataOption = None, as_json: JsonOption = False
) -> None:
    """Each store (run history, trigger state), the schema version it records and this
    lythonic's. Exit 1 when a store is newer than this lythonic can use."""
    settings = _settings(config=config, data_dir=data)
    _finish(_admin_cmds.status(settings.config, settings, as_json=as_json))


@db_app.command("upgrade")
def db_upgrade_cmd(
    config: ConfigOption = None,
    data: DataOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be done; change nothing.")
    ] = False,
) -> None:
    """Create or upgrade the stores' tables to this lythonic's version (forward only;
    on PostgreSQL under an advisory lock, so daemons starting meanwhile wait)."""
    settings = _settings(config=config, data_dir=data)
    _finish(_admin_cmds.upgrade(settings.config, settings, dry_run=dry_run))


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
    _finish(_admin_cmds.check(settings.config, settings, as_json=as_json))
