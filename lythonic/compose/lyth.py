"""``python -m lythonic.compose.lyth``: the ``lyth`` command, at upstream's module path.

Upstream's ``lyth`` was its own small CLI framework; ours is the typer
application of ``lythonic.cli`` (the same command names: ``start``, ``stop``,
``run``, ``fire``, ``status`` and more). ``main`` is that application and
``cli_main()`` runs it with the process's arguments.
"""

from __future__ import annotations

from lythonic.cli import app

__all__ = ["cli_main", "main"]

main = app


def cli_main() -> None:
    """Run ``lyth`` with ``sys.argv``; exits with its code."""
    app()


if __name__ == "__main__":
    cli_main()
