"""``python -m lythonic.compose.lyth``: the ``lyth`` command, at upstream's module path.

Upstream's ``lyth`` was its own small CLI framework; ours is the typer
application of ``lythonic.cli`` (the same command names: ``start``, ``stop``,
``run``, ``fire``, ``status`` and more). ``main`` is that application and
``cli_main()`` runs it with the process's arguments, exactly as the ``lyth``
script does (``lythonic.cli.main``: exit codes, Ctrl-C exits 130 with one line).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lythonic.cli import app as main

__all__ = ["cli_main", "main"]


def __getattr__(name: str) -> Any:
    # ``main`` (the typer application) loads on first use: ``cli_main`` must be able
    # to hold a Ctrl-C back while the commands load, as the ``lyth`` script does.
    if name == "main":
        from lythonic.cli import app

        return app
    raise AttributeError(f"module 'lythonic.compose.lyth' has no attribute {name!r}")


def cli_main() -> None:
    """Run ``lyth`` with ``sys.argv``; exits with its code."""
    from lythonic.cli import main as lyth_main

    lyth_main()


if __name__ == "__main__":
    cli_main()
