"""Running DAGs: ``DagRunner``, its result ``DagRunResult``, and ``DagPause``.

The code lives in ``lythonic.compose.run``; this path is the public one.
"""

from lythonic.compose.run import (
    DagPause,
    DagRunner,
    DagRunResult,
    FailedStep,
    NodeInputError,
    NodeTimeout,
    RunSummary,
    SubDagFailed,
)

__all__ = [
    "DagPause",
    "DagRunResult",
    "DagRunner",
    "FailedStep",
    "NodeInputError",
    "NodeTimeout",
    "RunSummary",
    "SubDagFailed",
]
