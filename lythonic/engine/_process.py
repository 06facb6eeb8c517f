"""The daemon as an operating-system process: its event loop, its exit, its re-exec.

- ``run_loop``: ``asyncio.run`` without waiting at the end for the default
  executor's threads, so a sync step still running after the grace period
  does not hold the exit.
- ``exit_process``: exits normally, or at once (``os._exit``, logs flushed)
  when such threads are left or when asked to.
- ``reexec``: replaces the program image with a fresh ``lyth start`` (same
  pid, same command line, the pid file lock handed over) to load changed
  modules; ``restart_info`` is what the new image learns about it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import Coroutine
from typing import Any

from lythonic._exit import busy_threads, exit_process
from lythonic.engine._pidfile import PidFile

__all__ = ["RESTART_ENV", "busy_threads", "exit_process", "reexec", "restart_info", "run_loop"]

RESTART_ENV = "_LYTHONIC_DAEMON_RESTART"
"""Set for a daemon that re-executed itself: the restart count and why (JSON)."""


def run_loop(coro: Coroutine[Any, Any, int]) -> int:
    """Run ``coro`` on a new event loop; cancel what is left; do not join worker threads."""
    loop = asyncio.new_event_loop()
    try:
        asyncio.set_event_loop(loop)
        return int(loop.run_until_complete(coro))
    finally:
        try:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            asyncio.set_event_loop(None)
            loop.close()


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
