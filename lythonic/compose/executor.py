"""Where sync steps run: ``Executor``, the thread-pool ``LocalExecutor`` and
``default_executor()``.

The code lives in ``lythonic.compose.run``; this path is the public one.
"""

from lythonic.compose.run import (
    Executor,
    LocalExecutor,
    ThreadStats,
    default_executor,
)

__all__ = ["Executor", "LocalExecutor", "ThreadStats", "default_executor"]
