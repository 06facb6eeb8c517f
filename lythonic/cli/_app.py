"""The typer application behind ``lyth``; commands register themselves here."""

from __future__ import annotations

import typer

import lythonic

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
