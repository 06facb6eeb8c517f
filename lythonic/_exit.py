"""Leaving the process without waiting for sync steps that can no longer matter.

A sync node runs in a worker thread that cannot be stopped, only abandoned;
a normal interpreter exit would join it. ``exit_process`` exits normally when
no such thread is alive, and otherwise at once, with logs and output flushed.
Kept free of heavy imports: ``lyth`` uses it while still starting up.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading

__all__ = ["busy_threads", "exit_process"]


def busy_threads() -> int:
    """Non-daemon threads still alive besides the main one (sync steps in workers)."""
    main = threading.main_thread()
    return sum(1 for t in threading.enumerate() if t is not main and not t.daemon and t.is_alive())


def exit_process(code: int, *, force: bool = False) -> None:
    """Exit with ``code``: normally, or at once (``os._exit``, handlers flushed) when
    ``force`` or when threads of abandoned sync steps would hold the exit."""
    if not force and not busy_threads():
        raise SystemExit(code)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe: nothing more can be said
            stream.flush()
    os._exit(code)
