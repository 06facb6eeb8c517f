"""Threads for sync steps: daemon threads, abandoned calls counted, results in batches.

A Python thread cannot be stopped. When the runner gives up on a call (its
timeout fired, its run was cancelled or failed), the thread goes on running
it: the call is *abandoned*. Three consequences shape this pool:

- Its threads are daemon threads: a finished command or a stopping daemon
  never waits for a call nobody needs any more (``concurrent.futures``'
  threads are joined at interpreter exit, so one hung step would hold the
  process forever).
- A thread stuck in an abandoned call does not count against the pool's
  size: the pool starts another thread in its place, up to ``size + spare``
  threads, so a few hung steps never starve the other runs. When every spare
  thread is stuck too, new calls wait for a thread and one warning says so.
- Abandoned calls are counted per step and reported (``stats()``, ``lyth
  status``), each with one warning naming the run, DAG and step.

Results travel back in batches: a worker appends to its loop's completion
queue and wakes the loop only when no wake-up is pending, so a burst of
short calls costs one loop wake-up, not one per call.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from contextvars import Context
from dataclasses import dataclass, field
from typing import Any

from lythonic._events import event
from lythonic._log_context import NodeRunContext, _current

__all__ = ["StepThreads", "ThreadStats"]

log = logging.getLogger("lythonic.compose.dag_runner")


@dataclass(slots=True)
class ThreadStats:
    """A snapshot of a ``StepThreads`` pool."""

    size: int
    """Threads doing live work at most."""
    limit: int
    """Threads at most, the spares for abandoned calls included."""
    threads: int
    """Threads that exist now."""
    busy: int
    """Calls running now (abandoned ones included)."""
    queued: int
    """Calls waiting for a thread."""
    abandoned: int
    """Calls still running that nobody waits for."""
    abandoned_total: int
    """Calls abandoned since the pool started (finished ones included)."""
    abandoned_by_step: dict[str, int] = field(default_factory=dict)
    """Abandoned calls still running, per ``dag/step``."""


class _Call:
    __slots__ = ("abandoned", "channel", "context", "fn", "fut", "kwargs", "started", "state")

    def __init__(
        self,
        fn: Callable[..., Any],
        kwargs: Mapping[str, Any],
        context: Context,
        fut: asyncio.Future[Any],
        channel: _Channel,
    ) -> None:
        self.fn = fn
        self.kwargs = kwargs
        self.context = context
        self.fut = fut
        self.channel = channel
        self.state = 0  # 0 queued, 1 running, 2 finished
        self.abandoned = False
        self.started = 0.0


class _Channel:
    """Completions on their way to one event loop."""

    __slots__ = ("done", "lock", "loop", "scheduled")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.done: collections.deque[tuple[_Call, bool, Any]] = collections.deque()
        self.lock = threading.Lock()
        self.scheduled = False

    def post(self, call: _Call, ok: bool, value: Any) -> None:
        """From a worker: queue a result; wake the loop unless a wake-up is pending."""
        self.done.append((call, ok, value))
        with self.lock:
            if self.scheduled:
                return
            self.scheduled = True
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            self.loop.call_soon_threadsafe(self.drain)

    def drain(self) -> None:
        with self.lock:
            self.scheduled = False
        done = self.done
        while done:
            call, ok, value = done.popleft()
            fut = call.fut
            if fut.done():
                continue
            if ok:
                fut.set_result(value)
            else:
                fut.set_exception(value)


class StepThreads:
    """A pool of daemon threads for sync step calls; see the module docstring.

    ``size``: calls running at once (not counting abandoned ones); ``spare``:
    extra threads that may replace threads stuck in abandoned calls.
    """

    def __init__(self, size: int, spare: int, *, name: str = "lythonic-step") -> None:
        if size < 1:
            raise ValueError(f"size must be at least 1, got {size}")
        if spare < 0:
            raise ValueError(f"spare must be at least 0, got {spare}")
        self.size = size
        self.spare = spare
        self.name = name
        self._cond = threading.Condition(threading.Lock())
        self._queue: collections.deque[_Call] = collections.deque()
        self._threads = 0
        self._idle = 0
        self._wakeups = 0  # idle threads notified that have not woken yet
        self._running = 0  # calls being executed, abandoned ones included
        self._abandoned: dict[_Call, str] = {}
        self._abandoned_total = 0
        self._exhausted_logged = False
        self._closed = False
        self._channels: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Channel] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def limit(self) -> int:
        return self.size + self.spare

    # -- the loop's side ------------------------------------------------------

    def submit(
        self, fn: Callable[..., Any], kwargs: Mapping[str, Any], context: Context
    ) -> asyncio.Future[Any]:
        """Queue ``fn(**kwargs)`` (run in ``context``); a future of its result."""
        loop = asyncio.get_running_loop()
        channel = self._channels.get(loop)
        if channel is None:
            channel = self._channels[loop] = _Channel(loop)
        fut: asyncio.Future[Any] = loop.create_future()
        call = _Call(fn, kwargs, context, fut, channel)
        fut.add_done_callback(lambda f: self._settled(call) if f.cancelled() else None)
        with self._cond:
            if self._closed:
                raise RuntimeError("the step thread pool is closed")
            self._queue.append(call)
            if self._idle > self._wakeups:  # an idle thread nobody has woken yet
                self._wakeups += 1
                self._cond.notify()
            else:
                self._grow()
        return fut

    def _settled(self, call: _Call) -> None:
        """The runner cancelled ``call``'s future (timeout, cancellation, failure)."""
        with self._cond:
            if call.state != 1:
                return  # still queued (a worker will skip it) or already finished
            call.abandoned = True
            step = _step_name(call.context)
            self._abandoned[call] = step
            self._abandoned_total += 1
            self._grow()
        ctx = call.context.get(_current)
        log.warning(
            "Step %s was abandoned: its thread goes on running the call, which nobody "
            "waits for (a sync step cannot be stopped; isolation: process can)",
            step,
            extra=event(
                "step_abandoned",
                run_id=ctx.run_id if ctx else None,
                dag=(ctx.dag_nsref or None) if ctx else None,
                node=ctx.node_label if ctx else None,
                attempt=ctx.attempt if ctx else None,
                abandoned=len(self._abandoned),
            ),
        )

    def _grow(self) -> None:
        """Start a thread when work waits and the live threads allow one (lock held)."""
        live = self._threads - len(self._abandoned)
        if not self._queue or self._idle > self._wakeups or live >= self.size:
            return
        if self._threads >= self.limit:
            if not self._exhausted_logged:
                self._exhausted_logged = True
                log.warning(
                    "All %d step threads are taken, %d of them by abandoned calls: new "
                    "sync steps wait until one ends",
                    self._threads,
                    len(self._abandoned),
                    extra=event(
                        "step_threads_exhausted",
                        threads=self._threads,
                        abandoned=len(self._abandoned),
                        steps=sorted(set(self._abandoned.values())),
                    ),
                )
            return
        self._threads += 1
        threading.Thread(
            target=self._work, name=f"{self.name}-{self._threads}", daemon=True
        ).start()

    def stats(self) -> ThreadStats:
        with self._cond:
            by_step: dict[str, int] = {}
            for step in self._abandoned.values():
                by_step[step] = by_step.get(step, 0) + 1
            return ThreadStats(
                size=self.size,
                limit=self.limit,
                threads=self._threads,
                busy=self._running,
                queued=len(self._queue),
                abandoned=len(self._abandoned),
                abandoned_total=self._abandoned_total,
                abandoned_by_step=by_step,
            )

    def close(self) -> None:
        """Stop idle threads; calls still running are left to finish (never joined)."""
        with self._cond:
            self._closed = True
            for call in self._queue:
                with contextlib.suppress(RuntimeError):  # its loop is closed
                    call.channel.loop.call_soon_threadsafe(call.fut.cancel)
            self._queue.clear()
            self._cond.notify_all()

    # -- the workers ------------------------------------------------------------

    def _work(self) -> None:
        cond = self._cond
        queue = self._queue
        while True:
            with cond:
                while True:
                    if queue:
                        call = queue.popleft()
                        if call.fut.cancelled():  # given up while it waited
                            continue
                        break
                    if self._closed or self._threads - len(self._abandoned) > self.size:
                        self._threads -= 1  # surplus: a replaced stuck thread came back
                        return
                    self._idle += 1
                    cond.wait()
                    self._idle -= 1
                    if self._wakeups:
                        self._wakeups -= 1
                call.state = 1
                self._running += 1
            call.started = time.monotonic()
            try:
                value = call.context.run(call.fn, **call.kwargs)
                ok = True
            except BaseException as exc:  # the step's own failure, SystemExit included
                value, ok = exc, False
            with cond:
                call.state = 2
                self._running -= 1
                if call.abandoned:
                    step = self._abandoned.pop(call, "?")
                    if len(self._abandoned) < self.spare:
                        self._exhausted_logged = False
            if call.abandoned:
                log.info(
                    "Abandoned step %s finished after %.1fs; its result was dropped",
                    step,
                    time.monotonic() - call.started,
                    extra=event("abandoned_step_finished", step=step),
                )
                continue
            call.channel.post(call, ok, value)


def _step_name(context: Context) -> str:
    ctx: NodeRunContext | None = context.get(_current)
    if ctx is None:
        return "?"
    return f"{ctx.dag_nsref}/{ctx.node_label}" if ctx.dag_nsref else ctx.node_label
