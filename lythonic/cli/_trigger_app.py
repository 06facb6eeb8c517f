"""The typer layer of ``lyth fire`` and ``lyth trigger enable|disable``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from lythonic._lazy import lazy_module
from lythonic.cli._app import app, complete_trigger
from lythonic.cli._config_app import (
    ConfigOption,
    DataOption,
    ExecutorOption,
    _choice,
    _finish,
    _settings,
)
from lythonic.cli._console import Console, setup_cli_logging
from lythonic.cli._daemon_app import JsonOption

if TYPE_CHECKING:
    from lythonic.cli import _trigger_cmds, commands
else:  # loaded when a command runs: `lyth --help` stays light
    _trigger_cmds = lazy_module("lythonic.cli._trigger_cmds")
    commands = lazy_module("lythonic.cli.commands")


__all__ = ["backfill_cmd", "disable_cmd", "enable_cmd", "fire_cmd", "trigger_app"]

trigger_app = typer.Typer(
    name="trigger",
    help="Enable or disable a trigger (it stays so across restarts and reloads).",
    no_args_is_help=True,
)
app.add_typer(trigger_app)

NameArg = Annotated[
    str, typer.Argument(help="The trigger's name.", autocompletion=complete_trigger)
]


@app.command("fire")
def fire_cmd(
    trigger: NameArg,
    config: ConfigOption = None,
    data: DataOption = None,
    payload: Annotated[
        str | None,
        typer.Option(
            "--payload",
            "-p",
            metavar="JSON",
            help='Inputs for this run, as the trigger\'s inputs: {"step": {"param": value}} '
            "(default: the trigger's configured inputs).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
    executor: ExecutorOption = None,
) -> None:
    """Run a trigger's DAG now, in this process.

    Recorded as a run and as an event of the trigger. Exit 1 when the run fails or the trigger is disabled.
    """
    settings = _settings(config=config, data_dir=data, executor=_choice(executor))
    try:
        given = _trigger_cmds.parse_payload(payload)
    except commands.UsageError as e:
        Console().note(f"lyth: error: {e}")
        raise typer.Exit(commands.EXIT_USAGE) from None
    setup_cli_logging(
        settings.log_level or "WARNING", settings.log_format, capture=settings.node_logs
    )
    _finish(_trigger_cmds.fire(trigger, settings.config, settings, payload=given, as_json=as_json))


@app.command("backfill")
def backfill_cmd(
    trigger: NameArg,
    start: Annotated[
        str,
        typer.Option(
            "--from",
            metavar="DATE",
            help="The first day (2026-11-01) or moment (2026-11-01T06:00) of the window, in "
            "the trigger's time zone.",
        ),
    ],
    end: Annotated[
        str,
        typer.Option(
            "--to", metavar="DATE", help="The last day (inclusive) or moment of the window."
        ),
    ],
    max_parallel: Annotated[
        int, typer.Option("--max-parallel", min=1, help="Most runs going at once.")
    ] = 1,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List the ticks and what would happen; run nothing.")
    ] = False,
    rerun_failed: Annotated[
        bool,
        typer.Option(
            "--rerun-failed", help="Also restart ticks whose run failed or was cancelled."
        ),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Run every tick again, completed ones too.")
    ] = False,
    config: ConfigOption = None,
    data: DataOption = None,
    as_json: JsonOption = False,
    executor: ExecutorOption = None,
) -> None:
    """Run the ticks a cron trigger's schedule would have fired in a window, each once.

    Same run ids and scheduled times as the daemon's fires: a tick already run is skipped
    (unless --rerun-failed/--force), one interrupted is resumed, so running the command
    again after a Ctrl-C finishes the rest. Exit 1 when a run did not complete.
    """
    import sys

    settings = _settings(config=config, data_dir=data, executor=_choice(executor))
    setup_cli_logging(
        settings.log_level or "WARNING", settings.log_format, capture=settings.node_logs
    )
    console = Console()
    reply = _trigger_cmds.backfill(
        trigger,
        settings.config,
        settings,
        start=start,
        end=end,
        max_parallel=max_parallel,
        dry_run=dry_run,
        rerun_failed=rerun_failed,
        force=force,
        as_json=as_json,
        progress=console.note if sys.stderr.isatty() else None,
    )
    _finish(reply, console)


@trigger_app.command("enable")
def enable_cmd(trigger: NameArg, config: ConfigOption = None, data: DataOption = None) -> None:
    """Enable a trigger that `lyth trigger disable` (or a stale store) disabled."""
    settings = _settings(config=config, data_dir=data)
    _finish(_trigger_cmds.set_enabled(trigger, True, settings.config, settings))


@trigger_app.command("disable")
def disable_cmd(trigger: NameArg, config: ConfigOption = None, data: DataOption = None) -> None:
    """Disable a trigger: it stops firing, and stays disabled across restarts and reloads."""
    settings = _settings(config=config, data_dir=data)
    _finish(_trigger_cmds.set_enabled(trigger, False, settings.config, settings))
