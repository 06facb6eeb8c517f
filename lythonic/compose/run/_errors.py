"""What can end a node or a run, as exception classes, and their one-line form."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import threading
import types

import lythonic
from lythonic._public import publish

__all__ = [
    "ChildPaused",
    "DagPause",
    "NodeInputError",
    "NodeTimeout",
    "SubDagFailed",
    "short_error",
    "user_traceback",
]


class DagPause(Exception):
    """Raise from a node to pause the run; ``DagRunner.restart`` resumes it there."""


class NodeInputError(TypeError):
    """A node was about to be called without a required argument."""


class NodeTimeout(TimeoutError):
    """An attempt of a node ran longer than its ``timeout``."""


class SubDagFailed(RuntimeError):
    """A sub-DAG run (map element, call, switch branch) failed."""


class ChildPaused(Exception):
    """A sub-DAG run paused; its composite pauses the parent run."""


def short_error(exc: BaseException) -> str:
    """``Type: message`` for a user's exception; our own messages stand alone."""
    text = str(exc)
    if isinstance(exc, NodeInputError | NodeTimeout | SubDagFailed):
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# Frames of these directories are the machinery around a step, not the step.
_INTERNAL = (
    *(
        os.path.dirname(m.__file__) + os.sep
        for m in (lythonic, asyncio, concurrent.futures)
        if m.__file__
    ),
    os.path.splitext(threading.__file__)[0],
)


def user_traceback(tb: types.TracebackType | None) -> types.TracebackType | None:
    """``tb`` without the frames of lythonic, asyncio, threads and futures: what is
    left is the user's code (None when nothing is)."""
    frames = []
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(_INTERNAL):
            frames.append(tb)
        tb = tb.tb_next
    trimmed = None
    for frame in reversed(frames):
        trimmed = types.TracebackType(trimmed, frame.tb_frame, frame.tb_lasti, frame.tb_lineno)
    return trimmed


publish("lythonic.compose.dag_runner", DagPause, NodeInputError, NodeTimeout, SubDagFailed)
