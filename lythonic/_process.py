"""Running an event loop and leaving the process without waiting for sync steps
that can no longer matter.

A sync node runs in a worker thread that cannot be stopped, only abandoned.
``asyncio.run`` joins the default pool's threads on the way out and a normal
interpreter exit joins every thread, so an interrupted command would wait for
a step nobody needs any more. ``run_loop`` does not join them;
``exit_process`` exits normally when no such thread is alive, and otherwise at
once, with logs and output flushed. Kept free of heavy imports: ``lyth`` uses
it while still starting up.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["busy_threads", "exit_process", "pid_alive", "proc_start", "run_loop"]

T = TypeVar("T")


def run_loop(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on a new event loop; cancel what is left; do not join worker threads.

    A Ctrl-C propagates as ``KeyboardInterrupt`` after the coroutine's tasks were
    cancelled (a run records itself as cancelled on the way).
    """
    import asyncio  # not at import: leaving the process must not need it

    loop = asyncio.new_event_loop()
    try:
        asyncio.set_event_loop(loop)
        return loop.run_until_complete(coro)
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
            loop.close()  # shuts the default pool down without waiting for its threads


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


def _proc_stat(pid: int) -> list[bytes] | None:
    """Fields of ``/proc/<pid>/stat`` after the command name (Linux), else None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    return data[data.rindex(b")") + 2 :].split()


def proc_start(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot; Linux), else None."""
    fields = _proc_stat(pid)
    return fields[19].decode() if fields is not None and len(fields) > 19 else None


def pid_alive(pid: int) -> bool:
    """True while process ``pid`` runs (a zombie counts as dead; pid 0 or less: never)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    fields = _proc_stat(pid)
    return not (fields is not None and fields[0] == b"Z")  # a zombie is dead
