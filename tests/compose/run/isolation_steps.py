"""Steps run in child processes by the isolation tests (importable there too)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from lythonic.compose.log_context import get_node_run_context
from lythonic.compose.namespace import DagContext


class Unusual(Exception):
    """An exception type of the user's, which must come back as itself."""


def pid_and_context(x: int) -> dict[str, object]:
    ctx = get_node_run_context()
    return {
        "pid": os.getpid(),
        "x": x,
        "node": ctx.node_label if ctx else None,
        "run_id": ctx.run_id if ctx else None,
    }


def hang_writing_pid(marker: str) -> int:
    Path(marker).write_text(str(os.getpid()))
    time.sleep(3600)
    return 0


def raise_unusual(x: int) -> int:
    raise Unusual(f"unusual {x}")


def with_context(ctx: DagContext, x: int) -> str:
    return f"{ctx.node_label}:{ctx.attempt}:{x}"


def unpicklable_result() -> object:
    return lambda: None
