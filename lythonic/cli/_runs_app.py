"""The typer layer of ``lyth runs [show]``, ``lyth restart``, ``lyth replay`` and
``lyth diff``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lythonic._lazy import lazy_module
from lythonic.cli._app import app, complete_dag, complete_run_id, complete_step
from lythonic.cli._config_app import (
    ConfigOption,
    DataOption,
    ExecutorOption,
    _choice,
    _finish,
    _settings,
)
from lythonic.cli._console import setup_cli_logging
from lythonic.cli._daemon_app import JsonOption

if TYPE_CHECKING:
    from lythonic.cli import _forensics_cmds, _runs_cmds
    from lythonic.compose.stores import StoreLocation
else:  # loaded when a command runs: `lyth --help` stays light
    _runs_cmds = lazy_module("lythonic.cli._runs_cmds")
    _forensics_cmds = lazy_module("lythonic.cli._forensics_cmds")


__all__ = [
    "delete_cmd",
    "diff_cmd",
    "logs_cmd",
    "plan_cmd",
    "prune_cmd",
    "replay_cmd",
    "restart_cmd",
    "runs_app",
    "runs_cmd",
    "show_cmd",
    "sweep_cmd",
]

runs_app = typer.Typer(
    name="runs",
    help="The recorded runs, newest first; `lyth runs show RUN_ID` for one run's steps.",
    invoke_without_command=True,
)
app.add_typer(runs_app)

RunIdArg = Annotated[
    str,
    typer.Argument(
        metavar="RUN_ID",
        help="The run id (as `lyth runs` lists it), or a unique prefix of it.",
        autocompletion=complete_run_id,
    ),
]
ForceOption = Annotated[
    bool,
    typer.Option("--force", help="Go ahead although the DAG changed since the run."),
]


def _dags_db(config: Path | None, data: Path | None) -> StoreLocation:
    from lythonic.engine._locate import locate

    settings = _settings(config=config, data_dir=data)
    return locate(settings.config, settings).dags_db


@runs_app.callback()
def runs_cmd(
    ctx: typer.Context,
    config: ConfigOption = None,
    data: DataOption = None,
    dag: Annotated[str | None, typer.Option("--dag", help="Only runs of this DAG.")] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status", help="Only runs with this status (running, completed, failed, ...)."
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many runs.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """List the recorded runs (top-level ones), newest first."""
    if ctx.invoked_subcommand is not None:
        return
    db = _dags_db(config, data)
    _finish(_runs_cmds.list_runs(db, dag=dag, status=status, limit=limit, as_json=as_json))


@runs_app.command("show")
def show_cmd(
    run_id: RunIdArg,
    config: ConfigOption = None,
    data: DataOption = None,
    io: Annotated[
        bool, typer.Option("--io", help="Also print every step's inputs and output.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """One run: its steps with status, timing, attempt and error (tracebacks in full)."""
    db = _dags_db(config, data)
    _finish(_runs_cmds.show_run(db, run_id, io=io, as_json=as_json))


@runs_app.command("sweep")
def sweep_cmd(
    config: ConfigOption = None,
    data: DataOption = None,
    as_json: JsonOption = False,
) -> None:
    """Mark runs that a dead process (a crash, kill -9) left running as interrupted.

    Runs of live processes are left alone (checked by pid and start time on this
    host, by heartbeat on others). The daemon does this itself when it starts.
    """
    db = _dags_db(config, data)
    _finish(_runs_cmds.sweep(db, as_json=as_json))


@runs_app.command("prune")
def prune_cmd(
    older_than: Annotated[
        str | None,
        typer.Option(
            "--older-than",
            metavar="DURATION",
            help="Delete finished runs started longer ago than this (e.g. 30d, 12h); "
            "default: storage.retention of the config.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List the runs it would delete; delete nothing.")
    ] = False,
    config: ConfigOption = None,
    data: DataOption = None,
    as_json: JsonOption = False,
) -> None:
    """Delete finished runs (with their child runs, steps, values and log lines) older
    than --older-than or storage.retention, then compact the store's file. Running runs
    are kept."""
    from lythonic.declarative._storage import retention_rules
    from lythonic.declarative._types import parse_duration
    from lythonic.engine._locate import locate, storage_of

    settings = _settings(config=config, data_dir=data)
    if older_than is not None:
        try:
            seconds = parse_duration(older_than)
        except ValueError as e:
            from lythonic.cli._console import Console

            Console().note(f"lyth: error: --older-than: {e}")
            raise typer.Exit(2) from None
        rules = retention_rules(float(seconds))
    else:
        rules = retention_rules(storage_of(settings.config, settings).retention)
    db = locate(settings.config, settings).dags_db
    _finish(_runs_cmds.prune(db, rules, dry_run=dry_run, as_json=as_json))


@runs_app.command("delete")
def delete_cmd(
    run_id: RunIdArg,
    force: Annotated[
        bool, typer.Option("--force", help="Delete it even while it is running.")
    ] = False,
    config: ConfigOption = None,
    data: DataOption = None,
    as_json: JsonOption = False,
) -> None:
    """Delete one run with its child runs, steps, values and log lines."""
    db = _dags_db(config, data)
    _finish(_runs_cmds.delete(db, run_id, force=force, as_json=as_json))


@app.command("restart")
def restart_cmd(
    run_id: RunIdArg,
    config: ConfigOption = None,
    data: DataOption = None,
    force: ForceOption = False,
    as_json: JsonOption = False,
    executor: ExecutorOption = None,
) -> None:
    """Continue a failed, interrupted, cancelled or paused run under its id.

    Steps that completed keep their recorded outputs. A run still marked running
    by a process that died is marked interrupted first. Exit 1 when it fails again.
    """
    settings = _settings(config=config, data_dir=data, executor=_choice(executor))
    setup_cli_logging(
        settings.log_level or "WARNING", settings.log_format, capture=settings.node_logs
    )
    _finish(_runs_cmds.recover(run_id, settings.config, settings, force=force, as_json=as_json))


@app.command("replay")
def replay_cmd(
    run_id: RunIdArg,
    node: Annotated[
        list[str],
        typer.Option(
            "--node",
            "-n",
            metavar="STEP",
            help="A step to run again (repeat for more).",
            autocompletion=complete_step,
        ),
    ],
    config: ConfigOption = None,
    data: DataOption = None,
    force: ForceOption = False,
    as_json: JsonOption = False,
    executor: ExecutorOption = None,
    isolated: Annotated[
        bool,
        typer.Option(
            "--isolated",
            help="Run the one --node step alone, in this process, from its recorded inputs "
            "(no upstream, no downstream), and compare its result with the record. A step "
            "of a child run is named by its path: 'chunks[3]/count'.",
        ),
    ] = False,
    inputs: Annotated[
        list[str] | None,
        typer.Option(
            "--input",
            metavar="PARAM=VALUE",
            help="With --isolated: use VALUE (JSON, else text) for PARAM instead of the "
            "recorded input.",
        ),
    ] = None,
    record: Annotated[
        bool,
        typer.Option(
            "--record", help="With --isolated: record the replay as a new run (by `replay`)."
        ),
    ] = False,
) -> None:
    """Run again what --node steps and everything downstream of them computed.

    A new run: the other steps' outputs are taken from the recorded run. With
    --isolated, only the one step runs, from its recorded inputs, and nothing is
    recorded unless --record.
    """
    settings = _settings(config=config, data_dir=data, executor=_choice(executor))
    setup_cli_logging(
        settings.log_level or "WARNING", settings.log_format, capture=settings.node_logs
    )
    if isolated or inputs or record:
        from lythonic.cli.commands import EXIT_USAGE, Reply

        if not isolated or len(node) != 1:
            problem = (
                "--isolated replays exactly one step: give one --node"
                if isolated
                else "--input and --record go with --isolated"
            )
            _finish(Reply(EXIT_USAGE, "", [f"lyth: error: {problem}"]))
        _finish(
            _forensics_cmds.replay_isolated(
                run_id,
                node[0],
                settings.config,
                settings,
                inputs=inputs or (),
                record=record,
                force=force,
                as_json=as_json,
            )
        )
        return
    _finish(
        _runs_cmds.recover(
            run_id, settings.config, settings, rerun=node, force=force, as_json=as_json
        )
    )


@app.command("diff")
def diff_cmd(
    run_a: Annotated[
        str,
        typer.Argument(
            metavar="RUN_A", help="A run id (or a unique prefix).", autocompletion=complete_run_id
        ),
    ],
    run_b: Annotated[
        str,
        typer.Argument(
            metavar="RUN_B", help="The run to compare it with.", autocompletion=complete_run_id
        ),
    ],
    config: ConfigOption = None,
    data: DataOption = None,
    node: Annotated[
        list[str] | None,
        typer.Option(
            "--node",
            "-n",
            metavar="STEP",
            help="Only this step (repeat for more).",
            autocompletion=complete_step,
        ),
    ] = None,
    rtol: Annotated[
        float,
        typer.Option("--rtol", min=0.0, help="Numbers this close (relative) count as equal."),
    ] = 0.0,
    ignore: Annotated[
        list[str] | None,
        typer.Option(
            "--ignore",
            metavar="PATH",
            help="Leave out values at this path, e.g. '$.generated_at' or '$.rows[*].ts' "
            "(repeat for more).",
        ),
    ] = None,
    max_items: Annotated[
        int, typer.Option("--max-items", min=1, help="Differences shown per value or step.")
    ] = 50,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 1 when the runs differ (for scripts).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Compare two recorded runs: the DAG's definition, each step's status, attempt and
    duration, each value that crossed an edge (as paths: $.totals.emea: 64.0 → 237.38),
    and a map's child runs matched by element."""
    db = _dags_db(config, data)
    _finish(
        _forensics_cmds.diff(
            db,
            run_a,
            run_b,
            steps=node or (),
            rtol=rtol,
            ignore=ignore or (),
            max_items=max_items,
            exit_code=exit_code,
            as_json=as_json,
        )
    )


@app.command("logs")
def logs_cmd(
    run_id: RunIdArg,
    step: Annotated[
        str | None,
        typer.Argument(
            metavar="[STEP]",
            help="Only this step (a step of a map's element by its path: 'chunks[3]/count').",
            show_default=False,
            autocompletion=complete_step,
        ),
    ] = None,
    config: ConfigOption = None,
    data: DataOption = None,
    attempt: Annotated[
        int | None, typer.Option("--attempt", min=1, help="Only this attempt of the step.")
    ] = None,
    level: Annotated[
        str | None,
        typer.Option("--level", help="Only lines at this level and above (debug ... critical)."),
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines until the run ends.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per line on stdout.")
    ] = False,
) -> None:
    """Print what a run's steps logged (stdlib logging and structlog), kept with the
    run by step and attempt (LYTH_NODE_LOGS: which levels are kept)."""
    from lythonic.cli._console import Console

    console = Console()
    try:
        reply = _forensics_cmds.logs_of_config(
            config,
            data,
            run_id,
            step,
            console.data,
            attempt=attempt,
            level=level,
            follow=follow,
            as_json=as_json,
        )
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    _finish(reply, console)


@app.command("plan")
def plan_cmd(
    dag: Annotated[
        str,
        typer.Argument(
            metavar="DAG", help="The DAG (as lyth.yaml names it).", autocompletion=complete_dag
        ),
    ],
    config: ConfigOption = None,
    data: DataOption = None,
    restart: Annotated[
        str | None,
        typer.Option("--restart", metavar="RUN_ID", help="What `lyth restart RUN_ID` would do."),
    ] = None,
    replay: Annotated[
        str | None,
        typer.Option(
            "--replay", metavar="RUN_ID", help="What `lyth replay RUN_ID --node ...` would do."
        ),
    ] = None,
    node: Annotated[
        list[str] | None,
        typer.Option(
            "--node",
            "-n",
            metavar="STEP",
            help="With --replay: the steps to run again.",
            autocompletion=complete_step,
        ),
    ] = None,
    inputs: Annotated[
        list[str] | None,
        typer.Option(
            "--input",
            metavar="STEP.PARAM=VALUE",
            help="Inputs of a new run, checked as `lyth run` does.",
        ),
    ] = None,
    force: ForceOption = False,
    as_json: JsonOption = False,
) -> None:
    """Say, per step, what a run, a restart or a replay would do — run, reuse or
    expand — and why, running nothing (the same rule restart and replay use)."""
    settings = _settings(config=config, data_dir=data)
    _finish(
        _forensics_cmds.plan(
            dag,
            settings.config,
            settings,
            restart=restart,
            replay=replay,
            nodes=node or (),
            inputs=inputs or (),
            force=force,
            as_json=as_json,
        )
    )
