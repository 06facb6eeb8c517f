"""Where the CLI writes: data on stdout; diagnostics, logs and progress on stderr.

Progress is shown only when stderr is a terminal; logs from the runner go to
stderr as one line per record, without tracebacks unless the level is DEBUG
(the full traceback of a failed node is in the provenance store).
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from lythonic.logs import LogFormat

__all__ = ["Console", "setup_cli_logging"]


class Console:
    """The two output streams of one command."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self.out = out if out is not None else sys.stdout
        self.err = err if err is not None else sys.stderr

    @property
    def interactive(self) -> bool:
        """True when a person watches stderr (progress is worth drawing)."""
        isatty = getattr(self.err, "isatty", None)
        return bool(isatty and isatty())

    def data(self, text: str) -> None:
        if text:
            self.out.write(text if text.endswith("\n") else text + "\n")
            self.out.flush()

    def note(self, text: str) -> None:
        self.err.write(text if text.endswith("\n") else text + "\n")
        self.err.flush()


class _NoTraceback(logging.Filter):
    """Drop tracebacks from records: a failed node's traceback is in the provenance
    store, and a traceback printed on a terminal may show local variables."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


def setup_cli_logging(
    level: str, fmt: LogFormat, stream: TextIO | None = None, *, capture: str | None = None
) -> None:
    """Log to stderr through ``lythonic.logs``; tracebacks only at DEBUG. ``capture``
    (``LYTH_NODE_LOGS``): what steps log at that level and above is kept with their
    runs, whatever the console shows."""
    from lythonic.compose.provenance import set_capture_level
    from lythonic.logs import configure_logging  # structlog: only for commands that log

    target = stream if stream is not None else sys.stderr
    keep = None if capture in (None, "off") else capture
    configure_logging(level=level, fmt=fmt, stream=target, capture=keep)
    if capture is not None:
        set_capture_level(capture)
    if level.upper() == "DEBUG":
        return
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream is target:
            handler.addFilter(_NoTraceback())
