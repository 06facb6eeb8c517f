"""The typer layer of ``lyth start | stop | status``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from lythonic._lazy import lazy_module
from lythonic.cli._app import app
from lythonic.cli._config_app import (
    ConfigOption,
    DataOption,
    ExecutorOption,
    _choice,
    _finish,
    _settings,
)

if TYPE_CHECKING:
    from lythonic.cli import _daemon_cmds
else:  # loaded when a command runs: `lyth --help` stays light
    _daemon_cmds = lazy_module("lythonic.cli._daemon_cmds")


__all__ = ["JsonOption", "start_cmd", "status_cmd", "stop_cmd"]

JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]


@app.command("start")
def start_cmd(
    config: ConfigOption = None,
    data: DataOption = None,
    watch: Annotated[
        bool,
        typer.Option(
            "--watch",
            help="Apply edits of the config while running; restart in place (same pid) "
            "when the project's modules change.",
        ),
    ] = False,
    grace: Annotated[
        float | None,
        typer.Option(
            "--grace",
            min=0,
            metavar="SECONDS",
            help="How long runs in flight may finish after SIGTERM/SIGINT "
            "(default: $LYTH_SHUTDOWN_GRACE, else 10).",
            show_default=False,
        ),
    ] = None,
    executor: ExecutorOption = None,
    ui: Annotated[
        bool,
        typer.Option(
            "--ui",
            help="Also serve the web view (as `lyth ui` does) on $LYTH_UI_HOST:$LYTH_UI_PORT "
            "(default 127.0.0.1:8765).",
        ),
    ] = False,
) -> None:
    """Run the config's triggers in the foreground until SIGTERM or Ctrl-C.

    Writes lyth.pid, lyth.status.json and lyth.log (JSON lines) in the data
    directory. A second signal exits at once. SIGHUP reloads the config.
    """
    settings = _settings(config=config, data_dir=data, executor=_choice(executor))
    if ui:
        from lythonic.cli._ui_cmds import exposure_problem

        problem = exposure_problem(settings.ui_host, settings)
        if problem is not None:
            _finish(problem)
    from lythonic.engine import Daemon, exit_process

    web = (settings.ui_host, settings.ui_port) if ui else None
    daemon = Daemon(settings.config, settings, watch=watch, grace=grace, ui=web)
    exit_process(daemon.run())


@app.command("stop")
def stop_cmd(
    config: ConfigOption = None,
    data: DataOption = None,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout", min=0, metavar="SECONDS", help="How long to wait for the daemon to exit."
        ),
    ] = 60.0,
) -> None:
    """Stop the daemon: SIGTERM, wait for it to exit, say how it ended.

    Exit 1 when no daemon was running (a stale pid file is removed) or it did
    not exit in time.
    """
    from lythonic.engine._locate import locate

    settings = _settings(config=config, data_dir=data)
    _finish(_daemon_cmds.stop(locate(settings.config, settings), timeout=timeout))


@app.command("status")
def status_cmd(
    config: ConfigOption = None,
    data: DataOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show the daemon, its config revision and last reload, triggers and running runs.

    Whether the daemon runs is checked (its pid file's lock), not read from the
    pid file. Each trigger's next fire is shown in UTC and local time. Exit 0
    when the daemon runs, 1 when it does not.
    """
    from lythonic.engine._locate import locate

    settings = _settings(config=config, data_dir=data)
    _finish(_daemon_cmds.status(locate(settings.config, settings), as_json=as_json))
