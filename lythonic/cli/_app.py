"""The typer application behind ``lyth``; commands register themselves here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from typer import core as _typer_core

import lythonic


def _conventional_help() -> None:
    """Help in the usual form: ``RUN_ID`` in usage lines, no type after a flag.

    typer (0.2x) prints ``{run_id}`` for a required argument and ``<bool>`` after
    every on/off flag; people expect ``lyth restart [OPTIONS] RUN_ID`` and
    ``--json   Print ...``. Both are presentation only: parsing is untouched.
    ``tests/cli/test_root.py`` pins the result, so a typer change shows there.
    """
    argument, option = _typer_core.TyperArgument, _typer_core.TyperOption

    def usage_name(self: _typer_core.TyperArgument) -> str:
        name = (self.metavar or str(self.name)).upper()
        name = name if self.required else f"[{name}]"
        return name + ("..." if self.nargs != 1 else "")

    show_type = option.display_type_rich

    def option_type(self: _typer_core.TyperOption, ctx: typer.Context) -> str | None:
        return None if self.is_flag else show_type(self, ctx)

    if hasattr(argument, "_usage_display_name"):
        argument._usage_display_name = usage_name  # type: ignore[method-assign]
    option.display_type_rich = option_type  # type: ignore[method-assign,assignment]


_conventional_help()

app = typer.Typer(
    name="lyth",
    help="Run Python data pipelines declared in lyth.yaml.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lyth {lythonic.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Run Python data pipelines declared in lyth.yaml."""


# -- shell completion (`lyth --install-completion`) --------------------------------
# Names come from the config the command would read (--config, else $LYTH_CONFIG,
# else ./lyth.yaml), read leniently as plain YAML: nothing of the project is
# imported, a broken file still completes, and a failure completes nothing.


def _config_of(ctx: typer.Context) -> tuple[Path, Any]:
    from lythonic.declarative import load_settings

    given = ctx.params.get("config")
    settings = load_settings(config=given, data_dir=ctx.params.get("data"))
    return Path(settings.config), settings


def _names(ctx: typer.Context, incomplete: str, kind: str) -> list[str]:
    try:
        from lythonic.engine._locate import config_names

        config, settings = _config_of(ctx)
        dag = ctx.params.get("dag") if kind == "steps" else None
        names = config_names(config, settings.max_config_bytes, kind, dag)
    except Exception:  # completion must never print a traceback into the shell
        return []
    return [n for n in names if n.startswith(incomplete)]


def complete_dag(ctx: typer.Context, incomplete: str) -> list[str]:
    """DAG names of the config."""
    return _names(ctx, incomplete, "dags")


def complete_trigger(ctx: typer.Context, incomplete: str) -> list[str]:
    """Trigger names of the config."""
    return _names(ctx, incomplete, "triggers")


def complete_step(ctx: typer.Context, incomplete: str) -> list[str]:
    """Step names of the config's DAGs (of ``--dag``/the DAG argument when given)."""
    return _names(ctx, incomplete, "steps")


def complete_run_id(ctx: typer.Context, incomplete: str) -> list[str]:
    """The latest 50 run ids of the config's store."""
    try:
        from lythonic.engine._locate import recent_run_ids

        config, settings = _config_of(ctx)
        ids = recent_run_ids(config, settings)
    except Exception:
        return []
    return [r for r in ids if r.startswith(incomplete)]
