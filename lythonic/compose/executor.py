"""Where sync steps run: ``Executor``, the thread-pool ``LocalExecutor``,
``default_executor()``, and ``DaskExecutor`` for a Dask cluster
(``pip install lythonic[dask]``; nothing of Dask loads until one is made).

The code lives in ``lythonic.compose.run``; this path is the public one.
"""

from typing import TYPE_CHECKING, Any

from lythonic.compose.run import (
    Executor,
    LocalExecutor,
    ThreadStats,
    default_executor,
)

if TYPE_CHECKING:
    from lythonic.compose.run import DaskExecutor, ExecutorLost, WorkerLost

__all__ = [
    "DaskExecutor",
    "Executor",
    "ExecutorLost",
    "LocalExecutor",
    "ThreadStats",
    "WorkerLost",
    "default_executor",
]


def __getattr__(name: str) -> Any:
    if name in ("DaskExecutor", "ExecutorLost", "WorkerLost"):
        from lythonic.compose import run

        return getattr(run, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
