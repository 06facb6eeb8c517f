"""The ``lyth`` command line (typer)."""

from lythonic.cli._app import app, main

__all__ = ["app", "main"]
