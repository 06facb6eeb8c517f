"""Stepping coroutines by hand: run a node's coroutine until it first suspends.

A coroutine that finishes without suspending (a cheap node) never needs a
Task; one that suspends is handed to a Task that continues it where it
stopped. This is most of the runner's speed on cheap nodes.
"""

from __future__ import annotations

import asyncio
import collections.abc
import contextvars
from collections.abc import Coroutine, Generator
from typing import Any

__all__ = ["Ready", "drive"]


class _Resumed(collections.abc.Coroutine[Any, Any, Any]):
    """A coroutine that already ran its first step, handed over to a Task.

    The Task's first ``send`` gets back the awaitable the coroutine first
    suspended on; every later ``send``/``throw`` is forwarded, exactly as an
    ``await`` would. A cancellation that arrives before the Task's first step
    cancels what the coroutine awaits and is thrown into it, so its cleanup
    (``except CancelledError``/``finally``) runs and nothing it started is
    left behind.
    """

    __slots__ = ("_coro", "_first", "_started")

    def __init__(self, coro: Coroutine[Any, Any, Any], first: Any) -> None:
        self._coro = coro
        self._first = first
        self._started = False

    def send(self, value: Any) -> Any:
        if not self._started:
            self._started = True
            first, self._first = self._first, None
            return first
        return self._coro.send(value)

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        if not self._started:
            self._started = True
            first, self._first = self._first, None
            exc = typ if isinstance(typ, BaseException) else typ(*(() if val is None else (val,)))
            if isinstance(exc, asyncio.CancelledError) and isinstance(first, asyncio.Future):
                first.cancel()
            return self._coro.throw(exc)
        if val is None and tb is None:
            return self._coro.throw(typ)
        return self._coro.throw(typ, val, tb)  # the three-argument form, for old callers

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> Generator[Any, Any, Any]:
        raise TypeError("a resumed node coroutine is driven by its Task, not awaited")


def drive(
    coro: Coroutine[Any, Any, Any], ctx: contextvars.Context | None = None
) -> tuple[bool, Any]:
    """Run ``coro`` until it first suspends.

    Returns ``(True, result)`` when it finished, else ``(False, task)`` with a
    Task that continues it. Exceptions it raised before suspending propagate.
    """
    try:
        first = ctx.run(coro.send, None) if ctx is not None else coro.send(None)
    except StopIteration as stop:
        return True, stop.value
    return False, asyncio.get_running_loop().create_task(_Resumed(coro, first), context=ctx)


class Ready:
    """The result of a call that completed on the spot (an inline node)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value
