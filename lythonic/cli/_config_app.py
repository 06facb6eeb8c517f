"""The typer layer of ``lyth validate | run | graph | schema``: options in, ``Reply`` out.

Nothing here decides anything: options become arguments of
``lythonic.cli.commands``, and the reply is written (stdout for data,
stderr for the rest) and turned into the exit code.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lythonic._lazy import lazy_module
from lythonic.cli._app import app, complete_dag
from lythonic.cli._console import Console, setup_cli_logging

if TYPE_CHECKING:
    from lythonic.cli import commands
    from lythonic.declarative import LythSettings
else:  # loaded when a command runs: `lyth --help` stays light
    commands = lazy_module("lythonic.cli.commands")


__all__ = ["graph_cmd", "run_cmd", "schema_cmd", "validate_cmd"]


class ExecutorChoice(StrEnum):
    local = "local"
    dask = "dask"


class GraphFormat(StrEnum):
    mermaid = "mermaid"
    dot = "dot"
    json = "json"


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="The config file (default: $LYTH_CONFIG, else lyth.yaml).",
        show_default=False,
    ),
]
DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data",
        "-d",
        help="The data directory (default: $LYTH_DATA_DIR, else storage.data_dir).",
        show_default=False,
    ),
]
ExecutorOption = Annotated[
    ExecutorChoice | None,
    typer.Option(
        "--executor",
        help="Where sync steps run: local threads or a Dask cluster "
        "(default: $LYTH_EXECUTOR, else local; the cluster: $LYTH_DASK_ADDRESS).",
        show_default=False,
        case_sensitive=False,
    ),
]


def _settings(**overrides: object) -> LythSettings:
    from lythonic.declarative import SettingsError, load_settings

    try:
        settings = load_settings(**overrides)
    except SettingsError as e:
        Console().note(f"lyth: error: {e}")
        raise typer.Exit(commands.EXIT_USAGE) from None
    from lythonic._filesystem import set_network_fs_policy

    set_network_fs_policy(settings.network_fs)
    return settings


def _choice(executor: ExecutorChoice | None) -> str | None:
    return executor.value if executor is not None else None


def _finish(reply: commands.Reply, console: Console | None = None) -> None:
    console = console or Console()
    console.data(reply.stdout)
    for line in reply.stderr:
        console.note(line)
    if reply.code:
        raise typer.Exit(reply.code)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"


@app.command("validate")
def validate_cmd(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="FILE",
            help="The config files (default: $LYTH_CONFIG, else lyth.yaml).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON on stdout.")
    ] = False,
    output: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            help="text: FILE:LINE:COL lines on stderr; json: as --json; github: one GitHub "
            "Actions annotation per problem on stdout.",
        ),
    ] = OutputFormat.text,
    static: Annotated[
        bool,
        typer.Option(
            "--static",
            "--no-imports",
            help="Import nothing: check structure, names and schedules only "
            "(references are still checked against the allow-list).",
        ),
    ] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
) -> None:
    """Check config files; print every problem as FILE:LINE:COL: message.

    Exit 0 when all are valid (silent), 1 when one is not, 2 when one does not
    exist. Modules are imported through the import allow-list unless --static.
    """
    settings = _settings(config=files[0] if files else None)
    reply = commands.validate(
        files or [settings.config],
        settings,
        static=static,
        strict=strict,
        as_json=as_json,
        output=output.value,
    )
    _finish(reply)


@app.command("run")
def run_cmd(
    dag: Annotated[
        str,
        typer.Argument(
            help="The DAG to run (its name, or a namespace nsref).", autocompletion=complete_dag
        ),
    ],
    config: ConfigOption = None,
    data: DataOption = None,
    input_args: Annotated[
        list[str] | None,
        typer.Option(
            "--input",
            "-i",
            metavar="STEP.PARAM=VALUE",
            help="An input for a step; VALUE is JSON when it parses as JSON, else text. "
            "Repeat for more.",
        ),
    ] = None,
    inputs_json: Annotated[
        Path | None,
        typer.Option(
            "--inputs-json",
            metavar="FILE",
            help='Inputs as a JSON object {"step": {"param": value}}; "-" reads stdin.',
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON on stdout.")
    ] = False,
    executor: ExecutorOption = None,
) -> None:
    """Run a DAG once and print its outputs and run id.

    The run is recorded (inputs, outputs, every edge) in the data directory's
    provenance store. Exit 1 when the run fails.
    """
    settings = _settings(config=config, data_dir=data, executor=_choice(executor))
    console = Console()
    setup_cli_logging(
        settings.log_level or "WARNING", settings.log_format, capture=settings.node_logs
    )
    try:
        inputs: dict[str, dict[str, object]] = {}
        if inputs_json is not None:
            text = sys.stdin.read() if str(inputs_json) == "-" else _read(inputs_json)
            inputs = commands.parse_inputs_json(text, str(inputs_json))
        for step, params in commands.parse_input_args(input_args or []).items():
            inputs.setdefault(step, {}).update(params)
    except commands.UsageError as e:
        console.note(f"lyth: error: {e}")
        raise typer.Exit(commands.EXIT_USAGE) from None
    progress = console.note if console.interactive and not as_json else None
    _finish(
        commands.run(
            dag, settings.config, settings, inputs=inputs, as_json=as_json, progress=progress
        ),
        console,
    )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as e:
        raise commands.UsageError(f"--inputs-json {path}: {e.strerror or e}") from None


@app.command("graph")
def graph_cmd(
    dag: Annotated[str, typer.Argument(help="The DAG to draw.", autocompletion=complete_dag)],
    config: ConfigOption = None,
    fmt: Annotated[
        GraphFormat,
        typer.Option(
            "--format", "-f", help="Mermaid, Graphviz DOT, or JSON.", case_sensitive=False
        ),
    ] = GraphFormat.mermaid,
) -> None:
    """Draw a DAG (Mermaid by default); sub-DAGs of map, call and switch steps are nested."""
    settings = _settings(config=config)
    _finish(commands.graph(dag, settings.config, settings, fmt=fmt.value))


@app.command("schema")
def schema_cmd(
    with_steps: Annotated[
        bool,
        typer.Option(
            "--with-steps",
            help="Load the config (importing its modules) and type each step's inputs "
            "from its function's signature.",
        ),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Print the JSON Schema of lyth.yaml (draft-07), as in schemas/lyth.schema.json;
    with --with-steps, the schema of this config's steps too (write it next to the
    config and point the modeline at it)."""
    if not with_steps:
        _finish(commands.schema())
        return
    settings = _settings(config=config)
    _finish(commands.schema(settings.config, settings))
