"""The ``lyth`` command line (typer).

Three layers, as in Hamilton's CLI: the typer layer (``_app`` and the
``_*_app`` modules: options in, output out), the commands
(``lythonic.cli.commands``: plain functions returning a ``Reply``, no
printing, no exiting), and the logic below them (``lythonic.declarative``,
``lythonic.compose``). Exit codes: 0 ok, 1 validation or run failure,
2 usage error, 130 interrupted.

The typer application is imported on first use (``lythonic.cli.app``, or
``main()``), so that a Ctrl-C while ``lyth`` is still starting is handled
like one during a command.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    import typer

    from lythonic.cli._app import app as app

__all__ = ["app", "main"]

_INTERRUPTED = 130


def _application() -> typer.Typer:
    from lythonic.cli import (
        _admin_app,  # noqa: F401 -- registers db status, db upgrade, executor check
        _config_app,  # noqa: F401 -- registers validate, run, graph, schema
        _daemon_app,  # noqa: F401 -- registers start, stop, status
        _runs_app,  # noqa: F401 -- registers runs, restart, replay, diff
        _trigger_app,  # noqa: F401 -- registers fire, trigger
        _ui_app,  # noqa: F401 -- registers ui
    )
    from lythonic.cli._app import app

    return app


# What a command (not --help, --version or completion) goes on to use; loaded
# with Ctrl-C held, like the typer application (see _load_application). Commands
# that only read what is on record locate the stores without the config model,
# so they load less and print sooner (`lyth logs` must answer within 200 ms).
_COMMAND_MODULES = (
    "asyncio",
    "lythonic._process",
    "lythonic.cli.commands",
    "lythonic.cli._daemon_cmds",
    "lythonic.cli._admin_cmds",
    "lythonic.cli._runs_cmds",
    "lythonic.cli._trigger_cmds",
    "lythonic.declarative._load",
)
_RECORD_COMMANDS = frozenset({"logs", "runs", "status", "stop", "diff"})
_RECORD_MODULES = (
    "lythonic._process",
    "lythonic.cli.commands",
    "lythonic.cli._daemon_cmds",
    "lythonic.cli._runs_cmds",
)
_LIGHT_FLAGS = frozenset({"--help", "-h", "--version", "--show-completion", "--install-completion"})


def _runs_a_command(argv: list[str]) -> bool:
    """Whether this invocation runs a command (and needs what commands use) rather than
    printing help, the version or completions."""
    completing = any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ)
    return len(argv) > 1 and not completing and not _LIGHT_FLAGS.intersection(argv[1:])


def _load_command_modules(argv: list[str]) -> None:
    for name in _RECORD_MODULES if argv[1] in _RECORD_COMMANDS else _COMMAND_MODULES:
        __import__(name)  # as an import statement does (audited, like every other import)
        getattr(sys.modules[name], "__name__")  # noqa: B009 -- runs a lazily loaded module now


def __getattr__(name: str) -> Any:
    if name == "app":
        return _application()
    raise AttributeError(f"module 'lythonic.cli' has no attribute {name!r}")


def main() -> None:
    """Console-script entry point (``lyth``).

    Ctrl-C ends the process with exit code 130 and no traceback wherever it
    lands — while the modules are still loading, too. A command interrupted
    during a run records the run as cancelled before it returns; the process
    then exits at once instead of waiting for a sync step still running in a
    worker thread (such a thread cannot be stopped, only abandoned).
    """
    try:
        _load_application()()
    except KeyboardInterrupt:
        _leave(_INTERRUPTED, "lyth: interrupted")
    except SystemExit as e:
        if e.code == _INTERRUPTED:
            # typer turns a Ctrl-C during its own work (parsing, which imports
            # lazily) into a silent exit 130; a command says what it stopped.
            _leave(_INTERRUPTED, "lyth: interrupted" if _by_ctrl_c(e) else None)
        raise


def _load_application() -> Callable[[], Any]:
    """``_application()`` with Ctrl-C held back until its modules are loaded.

    A KeyboardInterrupt raised inside an import can leave a package half
    initialised (``asyncio`` then fails with a NameError when imported again on
    the way out) or come out of a library as another error (pydantic reports a
    SchemaError, Python 3.11 wraps one from ``__set_name__`` in a RuntimeError).
    So a Ctrl-C while loading is only noted, and raised once loading is done:
    that takes well under a second. A command also gets the modules it goes on
    to use loaded here (``--help`` and ``--version`` do not need them).
    """
    import signal

    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return _application_for(sys.argv)  # SIGINT ignored, or handled by an embedding program
    pressed: list[int] = []
    try:
        signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(signum))
    except ValueError:  # not the main thread
        return _application_for(sys.argv)
    try:
        app = _application_for(sys.argv)
        if _runs_a_command(sys.argv):
            _load_command_modules(sys.argv)
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if pressed:
        raise KeyboardInterrupt
    return app


# `lyth logs` is asked for while something goes wrong, often over a million lines,
# and should answer at once: its common forms skip building the typer application
# (~45 ms of imports) and call the command directly. Anything else (--help, an
# option it does not know, a value it cannot read) goes to typer, which then
# says what is wrong exactly as for every other command.
_LOGS_FLAGS = {"--json": "as_json", "--follow": "follow", "-f": "follow"}
_LOGS_VALUES = {
    "--attempt": "attempt",
    "--level": "level",
    "--config": "config",
    "-c": "config",
    "--data": "data",
    "-d": "data",
}


def _logs_arguments(argv: list[str]) -> dict[str, Any] | None:
    """The arguments of a plain ``lyth logs`` invocation, or None for typer to parse.

    >>> _logs_arguments(["lyth", "logs", "r1", "load", "--attempt=2", "-f"])
    {'run_id': 'r1', 'step': 'load', 'attempt': 2, 'follow': True}
    >>> _logs_arguments(["lyth", "logs", "r1", "--attempt", "0"]) is None
    True
    """
    if len(argv) < 3 or argv[1] != "logs" or not _runs_a_command(argv):
        return None
    found: dict[str, Any] = {}
    positional: list[str] = []
    args = iter(argv[2:])
    for arg in args:
        name, eq, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if arg in _LOGS_FLAGS:
            key = _LOGS_FLAGS[arg]
            if key in found:
                return None
            found[key] = True
        elif name in _LOGS_VALUES:
            key = _LOGS_VALUES[name]
            if not eq:
                value = next(args, "")
            if key in found or not value or value.startswith("-"):
                return None
            found[key] = value
        elif arg.startswith("-") or len(positional) == 2:
            return None
        else:
            positional.append(arg)
    if not positional:
        return None
    attempt = found.get("attempt")
    if attempt is not None:
        if not attempt.isdigit() or int(attempt) < 1:
            return None
        found["attempt"] = int(attempt)
    for key in ("config", "data"):
        if key in found:
            from pathlib import Path

            found[key] = Path(found[key])
    step = positional[1] if len(positional) > 1 else None
    return {"run_id": positional[0], "step": step, **found}


def _application_for(argv: list[str]) -> Callable[[], Any]:
    """The typer application, or for a plain ``lyth logs`` the command itself."""
    arguments = _logs_arguments(argv)
    if arguments is None:
        return _application()
    from lythonic.cli import _forensics_cmds
    from lythonic.cli._console import Console

    def run_logs() -> None:
        console = Console()
        options = dict(arguments)
        config, data = options.pop("config", None), options.pop("data", None)
        run_id, step = options.pop("run_id"), options.pop("step")
        try:
            reply = _forensics_cmds.logs_of_config(
                config, data, run_id, step, console.data, **options
            )
        except KeyboardInterrupt:
            raise SystemExit(_INTERRUPTED) from None
        console.data(reply.stdout)
        for line in reply.stderr:
            console.note(line)
        if reply.code:
            raise SystemExit(reply.code)

    return run_logs


def _by_ctrl_c(exc: BaseException) -> bool:
    """Whether ``exc`` is a KeyboardInterrupt or was raised because of or while handling one."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        e = todo.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, KeyboardInterrupt):
            return True
        todo.extend(c for c in (e.__cause__, e.__context__) if c is not None)
    return False


def _leave(code: int, message: str | None = None) -> None:
    """Exit with ``code`` at once, not joining threads of abandoned sync steps."""
    import signal

    from lythonic._process import exit_process

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a further Ctrl-C cannot interrupt the exit
    if message is not None:
        print(message, file=sys.stderr)
    exit_process(code)
