"""Where sync node functions run.

The runner keeps async functions and ``@inline`` sync functions on the event
loop; every other sync call is handed to an ``Executor``. ``LocalExecutor``
(the default) uses a thread pool; a distributed executor implements the
same two methods and the runner does not change.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["Executor", "LocalExecutor"]


class Executor(ABC):
    """Runs one sync node call away from the event loop.

    ``submit`` is called on the loop and must not block; it returns an
    asyncio future that resolves to the function's result or exception.
    The runner may cancel that future (a sibling failed, a timeout): an
    executor that cannot interrupt a call lets it finish and drops the result.
    ``context`` carries the node's contextvars (run id, node label): run the
    function inside it where the process allows.
    """

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


class LocalExecutor(Executor):
    """Runs sync calls in a thread pool of this process.

    With ``max_workers=None`` it uses the event loop's default executor (the
    same pool ``loop.run_in_executor(None, ...)`` uses).
    """

    def __init__(self, max_workers: int | None = None) -> None:
        self._pool: ThreadPoolExecutor | None = (
            ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="lythonic-node")
            if max_workers is not None
            else None
        )

    def submit(
        self,
        fn: Callable[..., Any],
        kwargs: Mapping[str, Any],
        *,
        context: contextvars.Context,
    ) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        call = (
            functools.partial(context.run, fn, **kwargs)
            if kwargs
            else functools.partial(context.run, fn)
        )
        return loop.run_in_executor(self._pool, call)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
