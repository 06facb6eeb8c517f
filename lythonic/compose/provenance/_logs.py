"""What steps log, kept with their run: a logging handler that hands every record
emitted while a step runs (stdlib ``logging`` and structlog through it) to the
provenance store recording that run, as a ``node_logs`` row.

The step is known from the node-run context the runner sets (it follows a
sync step into its thread). Each step attempt keeps at most ``MAX_LINES``
lines of at most ``MAX_CHARS`` characters; past that one line says how many
were dropped. ``set_capture_level`` (the ``LYTH_NODE_LOGS`` setting) keeps
only warnings, or nothing.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

from lythonic._log_context import get_node_run_context

__all__ = [
    "CAPTURE_LEVELS",
    "MAX_CHARS",
    "MAX_LINES",
    "NodeLogSink",
    "capture_level",
    "forget_sink",
    "install_capture",
    "keep_step_lines",
    "message_of",
    "set_capture_level",
    "watch_run",
]

MAX_LINES = 10_000
MAX_CHARS = 8_192
CAPTURE_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
"""``LYTH_NODE_LOGS`` values; ``off`` keeps nothing."""


class NodeLogSink(Protocol):
    def node_log(self, run_id: str, label: str, attempt: int, record: logging.LogRecord) -> None:
        """Keep one line ``record`` of step ``label`` (attempt ``attempt``) of ``run_id``."""
        ...


_sinks: dict[str, NodeLogSink] = {}  # run id -> the store recording it, while it runs
_level: int | None = logging.INFO
_installed: logging.Handler | None = None
_lock = threading.Lock()


def capture_level() -> int | None:
    """The lowest level kept (None: nothing is kept)."""
    return _level


def set_capture_level(name: str) -> None:
    """``off``, ``warning``, ``info`` or ``debug``: what steps log that is kept."""
    global _level
    _level = None if name == "off" else CAPTURE_LEVELS[name]
    if _installed is not None:
        _installed.setLevel(_level if _level is not None else logging.CRITICAL + 1)


def forget_sink(sink: NodeLogSink) -> None:
    """``sink`` (a store) closes: the runs it was recording keep nothing more."""
    for run_id in [r for r, s in list(_sinks.items()) if s is sink]:
        _sinks.pop(run_id, None)


def watch_run(run_id: str, sink: NodeLogSink | None) -> None:
    """While ``sink`` is set, lines logged by ``run_id``'s steps go to it."""
    if sink is None:
        _sinks.pop(run_id, None)
    else:
        _sinks[run_id] = sink
        if _installed is None:
            install_capture()


def message_of(record: logging.LogRecord) -> str:
    """The line as a person reads it: structlog's event and key-values, or the
    formatted stdlib message; with the exception's last line, if any."""
    msg = record.msg
    if isinstance(msg, dict):  # structlog, through the stdlib
        data = {k: v for k, v in msg.items() if not k.startswith("_") and k != "event"}
        text = str(msg.get("event", ""))
        if data:
            text += " " + " ".join(f"{k}={v!r}" for k, v in data.items())
    else:
        try:
            text = record.getMessage()
        except Exception:  # a bad format string must not break the step
            text = str(msg)
    if record.exc_info and record.exc_info[1] is not None:
        error = record.exc_info[1]
        text += f" ({type(error).__name__}: {error})"
    return text[:MAX_CHARS]


class _Capture(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        ctx = get_node_run_context()
        if ctx is None:
            return
        sink = _sinks.get(ctx.run_id)
        if sink is None:
            return
        try:
            sink.node_log(ctx.run_id, ctx.node_label, ctx.attempt, record)
        except Exception:  # the store went away: the step logs on, unkept
            self.handleError(record)

    def handleError(self, record: logging.LogRecord) -> None:
        return  # a line that cannot be kept is not the step's problem


def install_capture() -> None:
    """Put the handler on the root logger (once per process)."""
    global _installed
    with _lock:
        if _installed is not None:
            return
        handler = _Capture()
        handler.setLevel(_level if _level is not None else logging.CRITICAL + 1)
        logging.getLogger().addHandler(handler)
        _installed = handler


def keep_step_lines(logger: Any, method: str, event_dict: Any) -> Any:
    """A structlog processor for a structlog set up to print by itself (not through
    the standard library, as lythonic sets it up): put it first in ``processors``
    and what steps log with structlog is kept with their runs too."""
    ctx = get_node_run_context()
    if ctx is None or _level is None:
        return event_dict
    sink = _sinks.get(ctx.run_id)
    level = logging.getLevelName(str(method).upper())
    if sink is not None and isinstance(level, int) and level >= _level:
        record = logging.LogRecord(
            str(event_dict.get("logger", "structlog")), level, "", 0, dict(event_dict), None, None
        )
        sink.node_log(ctx.run_id, ctx.node_label, ctx.attempt, record)
    return event_dict
