"""Steps the Dask executor tests send to workers (importable there by reference)."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path


def double(x: int) -> int:
    return 2 * x


def add_one(x: int) -> int:
    return x + 1


def fail_on_two(x: int) -> int:
    if x == 2:
        raise ValueError(f"two is not allowed ({x})")
    return x


def where(x: int) -> dict[str, object]:
    """Which process and thread ran the call."""
    return {"x": x, "pid": os.getpid(), "thread": threading.current_thread().name}


def sleepy(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def chatty(x: int) -> int:
    logging.getLogger("tests.dask_steps").warning("working on %s", x, extra={"step_note": "hi"})
    return x


def spin(n: int) -> int:
    """Pure-Python CPU work (holds the GIL)."""
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def wait_to_be_killed(marker: str) -> int:
    """Writes its pid to ``marker`` (first attempt only), then waits to be killed."""
    path = Path(marker)
    if path.exists():
        return os.getpid()  # a later attempt: finish at once
    path.write_text(str(os.getpid()))
    time.sleep(60)
    return -1


def tick_of() -> str | None:
    """The scheduled time of the run, as the step's run context has it."""
    from lythonic.compose.log_context import get_node_run_context

    ctx = get_node_run_context()
    return None if ctx is None or ctx.scheduled_at is None else ctx.scheduled_at.isoformat()
