"""The typer application behind ``lyth``; commands register themselves here."""

from __future__ import annotations

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
    add_completion=False,
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
