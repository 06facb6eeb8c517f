"""The daemon as an operating-system process: its event loop, its exit, its re-exec.

- ``run_loop`` and ``exit_process`` (from ``lythonic._process``, shared with
  the other ``lyth`` commands): a loop that does not wait at the end for
  sync steps still running after the grace period, and an exit that does not
  either.
- ``reexec``: replaces the program image with a fresh ``lyth start`` (same
  pid, same command line, the pid file lock handed over) to load changed
  modules; ``restart_info`` is what the new image learns about it.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any

from lythonic._process import busy_threads, exit_process, run_loop
from lythonic.engine._pidfile import PidFile

__all__ = ["RESTART_ENV", "busy_threads", "exit_process", "reexec", "restart_info", "run_loop"]

RESTART_ENV = "_LYTHONIC_DAEMON_RESTART"
"""Set for a daemon that re-executed itself: the restart count and why (JSON)."""


def restart_info() -> dict[str, Any]:
    """What the previous program image of this process left (empty on a first start)."""
    text = os.environ.pop(RESTART_ENV, None)
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def reexec(info: dict[str, Any], pid_file: PidFile) -> None:
    """Become a fresh copy of this command (``sys.orig_argv``) with the same pid."""
    os.environ[RESTART_ENV] = json.dumps(info)
    pid_file.pass_to_exec()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])
