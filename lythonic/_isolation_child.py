"""The child side of ``isolation: process``: one step call, then exit.

Reads ``sys.path``, then ``(function, kwargs, node header)``, pickled, from
stdin; runs the function inside the node's run context and writes
``(True, value)`` or ``(False, (pickled exception, type name, message,
traceback text))``, pickled, to the file descriptor named on the command
line. Kept light: it imports nothing of lythonic but the run context until
the function needs it.
"""

from __future__ import annotations

import io
import os
import pickle
import sys
import traceback
from typing import Any

Outcome = tuple[bool, Any]


def _failure(exc: BaseException, message: str | None = None) -> Outcome:
    """The step's exception (pickled when it can be); with ``message``, a failure of
    the child itself, which the parent raises as ``StepProcessError(message)``."""
    text = traceback.format_exc()
    if message is not None:
        return False, (None, "", message, text)
    try:
        blob: bytes | None = pickle.dumps(exc)
    except Exception:
        blob = None
    return False, (blob, f"{type(exc).__module__}.{type(exc).__qualname__}", str(exc), text)


def _call(fn: Any, kwargs: dict[str, Any], header: Any) -> Outcome:
    if header is not None:
        from lythonic._log_context import set_node_run_context

        set_node_run_context(*header)
    try:
        return True, fn(**kwargs)
    except BaseException as exc:  # the step's failure, whatever it is, goes back
        return _failure(exc)


def main(result_fd: int) -> int:
    stream = io.BytesIO(sys.stdin.buffer.read())
    outcome: Outcome
    try:
        sys.path[:] = pickle.load(stream)
        fn, kwargs, header = pickle.load(stream)
    except BaseException as exc:  # the function or an argument cannot be loaded here
        outcome = _failure(exc, f"cannot load the step in its child process: {exc}")
    else:
        outcome = _call(fn, kwargs, header)
    try:
        data = pickle.dumps(outcome)
    except Exception as exc:
        message = f"the step's result cannot be sent back from its child process: {exc}"
        data = pickle.dumps(_failure(exc, message))
    with os.fdopen(result_fd, "wb") as out:
        out.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
