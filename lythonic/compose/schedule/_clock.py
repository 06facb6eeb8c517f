"""Time for the trigger scheduler: the ``Clock`` protocol, the real clock and a fake one.

Everything that waits for a wall-clock time takes a ``Clock``, so tests can
move time instantly with ``FakeClock`` (public as ``lythonic.testing.FakeClock``).
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import itertools
import time
from collections.abc import Coroutine
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar, runtime_checkable

from lythonic._public import publish

__all__ = ["Clock", "FakeClock", "SystemClock", "spawn_watched"]

T = TypeVar("T")


@runtime_checkable
class Clock(Protocol):
    """What the scheduler needs from time: the current instant and a way to wait for one."""

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...

    async def sleep_until(self, t: datetime) -> None:
        """Return at ``t`` or soon after (at once if ``t`` has passed); cancellable."""
        ...


# Marks the tasks (and everything they start) spawned by ``spawn_watched``, so
# a FakeClock can tell that a watched task is waiting on it through a child.
_OWNER: ContextVar[object | None] = ContextVar("lythonic_clock_owner", default=None)


def spawn_watched(
    clock: Clock, coro: Coroutine[Any, Any, T], *, name: str | None = None
) -> asyncio.Task[T]:
    """Start ``coro`` as a task that a ``FakeClock`` waits for before moving time.

    With any other clock this is ``asyncio.create_task``.
    """
    watch = getattr(clock, "watch", None)
    if watch is None:
        return asyncio.get_running_loop().create_task(coro, name=name)
    marker = object()
    ctx = contextvars.copy_context()
    ctx.run(_OWNER.set, marker)
    task = asyncio.get_running_loop().create_task(coro, name=name, context=ctx)
    watch(task, marker)
    return task


class SystemClock:
    """The real wall clock.

    Sleeps are cut into pieces of at most ``max_nap`` seconds: asyncio sleeps on
    the monotonic clock, so a wall-clock jump (NTP step, suspend) is noticed
    at the next piece instead of after the whole sleep.
    """

    def __init__(self, max_nap: float = 60.0) -> None:
        self.max_nap = max_nap

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, t: datetime) -> None:
        while True:
            delay = (t - datetime.now(UTC)).total_seconds()
            if delay <= 0:
                return
            await asyncio.sleep(min(delay, self.max_nap))


class FakeClock:
    """A clock that only moves when told to, for tests.

    ``await clock.advance(...)`` moves time forward one sleeper deadline at a
    time: at each it wakes the tasks sleeping until then and waits until each
    of them is asleep again (or finished) before moving on, so a scheduler sees
    every tick at its exact time. Watched tasks (the trigger scheduler's loop
    and the runs it starts) are waited for at every step too: time does not
    move while one of them is busy, only when each is done (and its done
    callbacks, which may start the next run, have run) or sleeping on this
    clock (itself or through a task it started). So a run that should
    stay in flight across ticks sleeps on the clock. Nothing sleeps for real
    except short waits for work handed to threads.

    >>> import asyncio
    >>> from datetime import UTC, datetime
    >>> clock = FakeClock(datetime(2024, 1, 1, tzinfo=UTC))
    >>> async def main():
    ...     woke = []
    ...     async def sleeper():
    ...         await clock.sleep_until(datetime(2024, 1, 1, 0, 5, tzinfo=UTC))
    ...         woke.append(clock.now())
    ...     task = asyncio.create_task(sleeper())
    ...     await clock.advance(minutes=10)
    ...     return woke
    >>> [t.isoformat() for t in asyncio.run(main())]
    ['2024-01-01T00:05:00+00:00']
    """

    def __init__(self, start: datetime | None = None, *, settle_timeout: float = 10.0) -> None:
        if start is not None and start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start time")
        self._now = (start or datetime(2024, 1, 1, tzinfo=UTC)).astimezone(UTC)
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        # Sleeps in progress, counted per task and per spawn_watched marker.
        self._asleep: dict[object, int] = {}
        self._task_of: dict[asyncio.Future[None], asyncio.Task[Any] | None] = {}
        self._watched: dict[asyncio.Task[Any], object] = {}
        self.settle_timeout = settle_timeout

    def now(self) -> datetime:
        return self._now

    async def sleep_until(self, t: datetime) -> None:
        if t <= self._now:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        task = asyncio.current_task()
        heapq.heappush(self._sleepers, (t, next(self._seq), fut))
        self._task_of[fut] = task
        keys = [k for k in (task, _OWNER.get()) if k is not None]
        for k in keys:
            self._asleep[k] = self._asleep.get(k, 0) + 1
        try:
            await fut
        finally:
            self._task_of.pop(fut, None)
            for k in keys:
                left = self._asleep[k] - 1
                if left:
                    self._asleep[k] = left
                else:
                    del self._asleep[k]

    def watch(self, task: asyncio.Task[Any], marker: object | None = None) -> None:
        """Before moving time, wait until ``task`` is done or asleep on this clock.

        With ``marker`` (see ``spawn_watched``), a sleep by any task started
        inside ``task`` counts as ``task`` being asleep.
        """
        self._watched[task] = marker
        task.add_done_callback(lambda t: self._watched.pop(t, None))

    def _settled(self, task: asyncio.Task[Any]) -> bool:
        if task.done():
            # A finished watched task leaves ``_watched`` in a done callback;
            # all its done callbacks (which may start the next run) run in
            # the same loop turn. Until they have, it is still settling.
            return task not in self._watched
        if self._asleep.get(task):
            return True
        marker = self._watched.get(task)
        return marker is not None and bool(self._asleep.get(marker))

    def pending(self) -> list[datetime]:
        """Deadlines of the tasks sleeping now, earliest first."""
        return sorted(t for t, _, fut in self._sleepers if not fut.done())

    async def advance(
        self,
        delta: timedelta | float = 0.0,
        *,
        seconds: float = 0.0,
        minutes: float = 0.0,
        hours: float = 0.0,
        days: float = 0.0,
    ) -> None:
        """Move time forward by ``delta`` (seconds or a timedelta) plus the keyword parts."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        step += timedelta(seconds=seconds, minutes=minutes, hours=hours, days=days)
        await self.advance_to(self._now + step)

    async def advance_to(self, t: datetime) -> None:
        """Move time to ``t``, waking every sleeper on the way in deadline order."""
        if t.tzinfo is None:
            raise ValueError("advance_to needs a timezone-aware time")
        if t < self._now:
            raise ValueError(f"a FakeClock does not go back: {t} < {self._now}")
        await self._settle(())
        while True:
            heap = self._sleepers
            while heap and heap[0][2].done():
                heapq.heappop(heap)
            if not heap or heap[0][0] > t:
                break
            deadline = heap[0][0]
            self._now = max(self._now, deadline)
            woken: list[asyncio.Task[Any]] = []
            while heap and heap[0][0] <= deadline:
                _, _, fut = heapq.heappop(heap)
                if not fut.done():
                    task = self._task_of.get(fut)
                    fut.set_result(None)
                    if task is not None:
                        woken.append(task)
            await self._settle(woken)
        self._now = t
        await self._settle(())

    async def _settle(self, woken: list[asyncio.Task[Any]] | tuple[()]) -> None:
        """Wait until each woken or watched task sleeps again or is done."""
        deadline = time.monotonic() + self.settle_timeout
        quiet = 0
        for i in itertools.count():
            # The first yields are free; after that, tasks wait on threads
            # (the trigger store's I/O, sync nodes), so give those real time.
            await asyncio.sleep(0 if i < 4 else 0.0002)
            waited = [*woken, *self._watched]
            # Settled twice in a row: the done callbacks of an unwatched woken
            # task that just finished have run too, and what they started is
            # watched. (A watched task is not settled until its callbacks ran.)
            quiet = quiet + 1 if all(self._settled(task) for task in waited) else 0
            if i >= 4 and quiet >= 2:
                return
            if time.monotonic() > deadline:
                busy = [t for t in waited if not self._settled(t)]
                raise RuntimeError(
                    f"FakeClock: {len(busy)} task(s) woken at {self._now.isoformat()} did not "
                    f"sleep again within {self.settle_timeout}s: {busy!r}"
                )


publish("lythonic.testing", FakeClock)
