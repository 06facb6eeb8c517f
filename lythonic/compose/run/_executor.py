"""Where sync node functions run.

The runner keeps async functions and ``@inline`` sync functions on the event
loop; every other sync call is handed to an ``Executor``. ``LocalExecutor``
(the default) uses a pool of threads of this process (``_step_threads``:
daemon threads, calls the runner gave up on counted and replaced); a
distributed executor implements the same methods and the runner does not
change.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from lythonic._public import publish
from lythonic.compose.run._step_threads import StepThreads, ThreadStats

__all__ = ["Executor", "LocalExecutor", "ThreadStats", "default_executor"]


class Executor(ABC):
    """Runs one sync node call away from the event loop.

    ``submit`` is called on the loop and must not block; it returns an
    asyncio future that resolves to the function's result or exception.
    The runner may cancel that future (a sibling failed, a timeout): an
    executor that cannot interrupt a call lets it finish and drops the result.
    ``context`` carries the node's contextvars (run id, node label): run the
    function inside it where the process allows.
    """

    in_process: ClassVar[bool] = True
    """Calls run in this process: the runner may hand over a chain of sync steps as
    one call (one hop instead of one per step). An executor that ships calls
    elsewhere (another process, a cluster) sets it False."""

    @abstractmethod
    def submit(
        self,
        fn: Callable[..., Any],
        kwargs: Mapping[str, Any],
        *,
        context: contextvars.Context,
    ) -> asyncio.Future[Any]:
        """Start ``fn(**kwargs)`` and return a future of its result."""

    def close(self) -> None:  # noqa: B027 -- optional hook, a no-op by default
        """Release resources (threads, connections); called by the owner, not the runner."""

    def stats(self) -> ThreadStats | None:
        """Calls running, queued and abandoned, for ``lyth status``; None if not known."""
        return None

    def map_concurrency(self) -> int | None:
        """Elements a ``map`` keeps in flight by default with this executor (a cluster
        wants more than one machine's threads, to fill its batches); None: 256."""
        return None


def default_pool_size() -> int:
    """Sync calls the default executor runs at once: ``min(32, CPUs + 4)``, as
    ``concurrent.futures`` sizes its thread pools."""
    return min(32, (os.cpu_count() or 1) + 4)


class LocalExecutor(Executor):
    """Runs sync calls in threads of this process.

    ``max_workers`` calls run at once (default ``min(32, CPUs + 4)``). A call
    the runner gave up on (a timeout, a cancelled or failed run) cannot be
    stopped: its thread is replaced by a spare one, up to ``spare_threads``
    extra threads (default ``max(32, 4 * max_workers)``), so hung steps never
    starve other runs; ``stats()`` counts them. The threads never keep the
    process alive at exit.
    """

    def __init__(self, max_workers: int | None = None, *, spare_threads: int | None = None) -> None:
        size = max_workers if max_workers is not None else default_pool_size()
        spare = spare_threads if spare_threads is not None else max(32, 4 * size)
        self._threads = StepThreads(size, spare)

    def submit(
        self,
        fn: Callable[..., Any],
        kwargs: Mapping[str, Any],
        *,
        context: contextvars.Context,
    ) -> asyncio.Future[Any]:
        return self._threads.submit(fn, kwargs, context)

    def stats(self) -> ThreadStats:
        return self._threads.stats()

    def close(self) -> None:
        self._threads.close()


_default: LocalExecutor | None = None


def default_executor() -> LocalExecutor:
    """The process-wide executor of runners that were given none (made on first use)."""
    global _default
    if _default is None:
        _default = LocalExecutor()
    return _default


publish("lythonic.compose.executor", Executor, LocalExecutor)
