"""Structured logs: one setup for lythonic's own events and for stdlib ``logging``.

``configure_logging`` routes every record (structlog events and plain
``logging`` calls from user code alike) through one processor chain that adds
a UTC timestamp, the level, the logger name and, inside a DAG run, the run id,
DAG and node (from ``lythonic.compose.log_context``). Output is rendered for
people on a terminal and as JSON lines otherwise; a log file, when given,
always gets JSON lines.

Set up once, then log events with fields::

    configure_logging(level="INFO", fmt="json")
    get_logger("lythonic.engine").info("scheduled", trigger="nightly", next="02:30")
    # {"trigger": "nightly", "next": "02:30", "event": "scheduled", "level": "info", ...}
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any, Literal, TextIO

import structlog

from lythonic._events import EVENT_KEY
from lythonic._log_context import get_node_run_context

__all__ = [
    "LogFormat",
    "add_run_context",
    "configure_logging",
    "get_logger",
    "log_to_file",
    "parse_level",
]

LogFormat = Literal["auto", "console", "json"]

# Set on the handlers installed here: True for the console stream, the resolved
# path for a log file, so a new setup replaces them instead of adding more.
_HANDLER_MARK = "_lythonic_handler"

# Third-party loggers that are chatty at INFO and rarely what an operator wants.
_QUIET = {"watchfiles": logging.WARNING, "asyncio": logging.WARNING}


def add_run_context(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Add ``run_id``, ``dag`` and ``node`` when the event happens inside a node."""
    ctx = get_node_run_context()
    if ctx is not None:
        event_dict.setdefault("run_id", ctx.run_id)
        if ctx.dag_nsref:
            event_dict.setdefault("dag", ctx.dag_nsref)
        event_dict.setdefault("node", ctx.node_label)
        if ctx.attempt > 1:
            event_dict.setdefault("attempt", ctx.attempt)
    return event_dict


# LogRecord attributes that ExtraAdder would copy although they are not user extras:
# the formatted message, and what NodeRunLogFilter adds (add_run_context covers it).
_NOT_EXTRAS = ("message", "node_label", "dag_nsref", "_lythonic_rendered")


def _drop_record_noise(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in _NOT_EXTRAS:
        event_dict.pop(key, None)
    if not event_dict.get("run_id"):  # NodeRunLogFilter's "" outside a node
        event_dict.pop("run_id", None)
    name = event_dict.pop(EVENT_KEY, None)
    if name is not None:  # lythonic._events.event(): constant name, readable text kept
        event_dict["message"] = event_dict.get("event")
        event_dict["event"] = name
    return event_dict


def _shared_processors(*, stdlib_records: bool) -> list[Any]:
    """The chain every event passes; stdlib records also get their ``extra`` fields."""
    extras = [structlog.stdlib.ExtraAdder(), _drop_record_noise] if stdlib_records else []
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        *extras,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_run_context,
    ]


def _renderer(json_lines: bool, colors: bool) -> list[Any]:
    # structlog's default tracebacks show local variables (secrets, inputs): never here.
    if json_lines:
        tracebacks = structlog.processors.ExceptionRenderer(
            structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
        )
        return [tracebacks, structlog.processors.JSONRenderer()]
    formatter: Any = (
        structlog.dev.RichTracebackFormatter(show_locals=False)
        if structlog.dev.rich is not None
        else structlog.dev.plain_traceback
    )
    return [structlog.dev.ConsoleRenderer(colors=colors, exception_formatter=formatter)]


class _Formatter(structlog.stdlib.ProcessorFormatter):
    """Renders a record once per output kind: the JSON line written to stderr and
    the one written to the log file are the same text, so the second handler
    reuses the first one's (rendering is most of a log call's cost)."""

    def __init__(self, kind: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind = kind

    def format(self, record: logging.LogRecord) -> str:
        cached = record.__dict__.get("_lythonic_rendered")
        if cached is not None and cached[0] == self.kind:
            return str(cached[1])
        text = super().format(record)
        record.__dict__["_lythonic_rendered"] = (self.kind, text)
        return text


def _handler(
    handler: logging.Handler, json_lines: bool, colors: bool, mark: object = True
) -> logging.Handler:
    handler.setFormatter(
        _Formatter(
            "json" if json_lines else f"console-{colors}",
            foreign_pre_chain=_shared_processors(stdlib_records=True),
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *_renderer(json_lines, colors),
            ],
        )
    )
    setattr(handler, _HANDLER_MARK, mark)
    return handler


def _file_handler(log_file: Path) -> logging.Handler:
    path = log_file.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return _handler(logging.FileHandler(path, encoding="utf-8"), True, False, mark=path)


def configure_logging(
    *,
    level: str | int = "INFO",
    fmt: LogFormat = "auto",
    log_file: Path | None = None,
    stream: TextIO | None = None,
    loggers: Mapping[str, str | int] | None = None,
    capture: str | int | None = None,
) -> None:
    """Set up logging for a lythonic process; calling it again replaces the setup.

    ``fmt="auto"`` renders for people when ``stream`` is a terminal and as
    JSON lines otherwise. ``log_file`` (JSON lines) is appended to. ``loggers``
    sets levels of individual loggers (e.g. ``{"lythonic.state": "DEBUG"}``
    to see SQL statements, which are hidden at the default INFO). ``capture``:
    records from this level on are made (for the handler that keeps what steps
    log with their runs) while the stream and file still show ``level`` on.
    """
    out = stream if stream is not None else sys.stderr
    json_lines = fmt == "json" or (fmt == "auto" and not _isatty(out))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(_handler(logging.StreamHandler(out), json_lines, colors=not json_lines))
    if log_file is not None:
        root.addHandler(_file_handler(log_file))
    _set_levels(level, loggers, capture)
    _configure_structlog()


def log_to_file(
    log_file: Path,
    *,
    level: str | int = "INFO",
    loggers: Mapping[str, str | int] | None = None,
) -> None:
    """Write JSON lines to ``log_file`` and set the levels; other handlers stay.

    Calling it again for the same file changes nothing but the levels; for
    another file, the handler of the old one is replaced (one log file at a
    time). ``LogConfig.setup_logging`` and ``Namespace.mount`` use it.
    """
    path = log_file.resolve()
    root = logging.getLogger()
    files = [h for h in root.handlers if isinstance(getattr(h, _HANDLER_MARK, None), Path)]
    if not any(getattr(h, _HANDLER_MARK) == path for h in files):
        for old in files:
            root.removeHandler(old)
            old.close()
        root.addHandler(_file_handler(path))
    _set_levels(level, loggers)
    _configure_structlog()


class _Shown(logging.Filter):
    """On the output handlers while records below the output level are made (for the
    handler that keeps what steps log): a record shows when it reaches the output level,
    or when its logger (or a parent, not the root) was set to let it through."""

    def __init__(self, shown: int) -> None:
        super().__init__()
        self.shown = shown

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= self.shown:
            return True
        logger: logging.Logger | None = logging.getLogger(record.name)
        while logger is not None and logger.parent is not None:  # stop before the root
            if logger.level:
                return record.levelno >= logger.level
            logger = logger.parent
        return False


def _set_levels(
    level: str | int,
    loggers: Mapping[str, str | int] | None,
    capture: str | int | None = None,
) -> None:
    root = logging.getLogger()
    shown = parse_level(level)
    floor = shown if capture is None else min(shown, parse_level(capture))
    root.setLevel(floor)
    for handler in root.handlers:
        if getattr(handler, _HANDLER_MARK, False):
            for old in [f for f in handler.filters if isinstance(f, _Shown)]:
                handler.removeFilter(old)
            if floor < shown:
                handler.addFilter(_Shown(shown))
    for name, quiet in _QUIET.items():
        logging.getLogger(name).setLevel(max(quiet, shown))
    for name, value in (loggers or {}).items():
        logging.getLogger(name).setLevel(parse_level(value))


def _configure_structlog() -> None:
    structlog.configure(
        processors=[
            # First: an event below its logger's level costs a level check, not the
            # chain (the daemon logs a DEBUG line per tick; at INFO it must be free).
            structlog.stdlib.filter_by_level,
            *_shared_processors(stdlib_records=False),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> Any:
    """A structlog logger; its events go through ``configure_logging``'s handlers."""
    return structlog.stdlib.get_logger(name)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def parse_level(value: str | int) -> int:
    """The ``logging`` level of ``"info"``, ``"WARNING"`` … (a number stays as it is).

    >>> parse_level("debug")
    10
    """
    if isinstance(value, int):
        return value
    level = logging.getLevelName(value.upper())
    if not isinstance(level, int):
        raise ValueError(
            f"unknown log level {value!r}; use DEBUG, INFO, WARNING, ERROR or CRITICAL"
        )
    return level
