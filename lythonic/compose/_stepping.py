"""Stepping coroutines by hand: run a node's coroutine until it first suspends.

A coroutine that finishes without suspending (a cheap node) never needs a
Task; one that suspends is handed to a Task that continues it where it
stopped. This is most of the runner's speed on cheap nodes.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine, Generator
from typing import Any

__all__ = ["Ready", "drive"]


class _Continue:
    """Hands a coroutine that already ran its first step over to a Task.

    The Task drives this awaitable, which forwards every resumption (values,
    exceptions, cancellation) to the wrapped coroutine, exactly as ``await``
    would have.
    """

    __slots__ = ("coro", "first")

    def __init__(self, coro: Coroutine[Any, Any, Any], first: Any) -> None:
        self.coro = coro
        self.first = first

    def __await__(self) -> Generator[Any, Any, Any]:
        coro, value = self.coro, self.first
        while True:
            try:
                sent = yield value
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:
                try:
                    value = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    value = coro.send(sent)
                except StopIteration as stop:
                    return stop.value


async def _resume(coro: Coroutine[Any, Any, Any], first: Any) -> Any:
    return await _Continue(coro, first)


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
    return False, asyncio.get_running_loop().create_task(_resume(coro, first), context=ctx)


class Ready:
    """The result of a call that completed on the spot (an inline node)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value
