"""What can end a node or a run, as exception classes, and their one-line form."""

from __future__ import annotations

__all__ = [
    "ChildPaused",
    "DagPause",
    "NodeInputError",
    "NodeTimeout",
    "SubDagFailed",
    "short_error",
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
