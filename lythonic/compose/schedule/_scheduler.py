"""The scheduling loop: fire each trigger's ticks on time, once, by its policies.

The loop keeps the triggers' next fire times in a heap and sleeps (on an
injectable ``Clock``) until the earliest; ``set_specs`` wakes it early. At a
wake it takes every due tick, records them all in one store transaction
(the claim: a unique key per trigger and scheduled time, so a tick fires at
most once whoever else schedules on the store), and starts each run as its
own task: a slow run never holds up the loop or another trigger.

Which due ticks fire: a tick handled within ``misfire_grace`` of its time is
on time, unless it fell before this scheduler started (then nobody was there
to fire it); older ones and ticks from before the start were missed
(downtime, a suspended machine) and follow the trigger's ``catchup`` policy:
with ``none``, no tick from before the start runs.

A trigger whose schedule cannot be computed (a bug, a value beyond what the
calendar can represent) is taken off the schedule with one error; the other
triggers go on. Ticks that come due together run one after
another, oldest first. A tick arriving while the trigger's previous run still
goes follows its ``overlap`` policy.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import heapq
import itertools
import logging
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from lythonic._events import event
from lythonic._public import publish
from lythonic.compose.schedule._clock import Clock, SystemClock, spawn_watched
from lythonic.compose.schedule._spec import TriggerSpec
from lythonic.compose.schedule._store import TickClaim, TickResult, TriggerStore
from lythonic.compose.schedule._trigger_event import (
    EVENT_TYPES,
    Offer,
    TriggerEvent,
    event_run_id,
)

__all__ = ["Scheduler", "Tick", "TickOutcome", "tick_run_id"]

log = logging.getLogger("lythonic.compose.trigger")

# The loop wakes at least this often even with nothing due (cheap; it also
# bounds how long a wall-clock jump can go unnoticed with a custom clock).
MAX_PARK = timedelta(hours=1)
# After a failed step (a store error), the loop waits this long before the next.
RETRY_DELAY = timedelta(seconds=1)
_INSTANT = timedelta(microseconds=1)
# Ticks due together from which the garbage collector waits until their runs started.
_GC_PAUSE_AT = 64


def tick_run_id(name: str, scheduled_at: datetime) -> str:
    """The run id of a trigger's tick: ``"name@20241027T003000Z"`` (UTC).

    >>> from datetime import UTC, datetime
    >>> tick_run_id("nightly", datetime(2024, 10, 27, 0, 30, tzinfo=UTC))
    'nightly@20241027T003000Z'
    """
    return f"{name}@{_utc_stamp(scheduled_at)}Z"


@functools.lru_cache(maxsize=64)
def _utc_stamp(scheduled_at: datetime) -> str:
    # Cached: the ticks of a burst share their time (an aware datetime hashes by instant).
    t = scheduled_at.astimezone(UTC)
    stamp = t.strftime("%Y%m%dT%H%M%S")
    return f"{stamp}.{t.microsecond:06d}" if t.microsecond else stamp


class _EventIds:
    """Time-ordered random UUID strings (version 7: milliseconds, then random bits).

    The random part comes from one ``os.urandom`` call per 256 ids (a burst of
    1,000 ticks needs 1,000 ids; a system call each was a third of what
    claiming them cost on the event loop), and ids made later sort later, so
    the store's index on them grows at its end. A forked child refills.
    """

    __slots__ = ("_at", "_buf", "_pid")

    def __init__(self) -> None:
        self._buf = bytearray()
        self._at = 0
        self._pid = 0

    def __call__(self) -> str:
        at = self._at
        if at >= len(self._buf) or self._pid != os.getpid():
            self._buf, at, self._pid = bytearray(os.urandom(10 * 256)), 0, os.getpid()
        self._at = at + 10
        rand = self._buf[at : at + 10]
        rand[0] = (rand[0] & 0x0F) | 0x70  # version 7
        rand[2] = (rand[2] & 0x3F) | 0x80  # RFC 9562 variant
        h = (time.time_ns() // 1_000_000).to_bytes(6, "big").hex() + rand.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass(frozen=True, slots=True)
class Tick:
    """One scheduled fire of a trigger, as claimed in the store."""

    spec: TriggerSpec
    scheduled_at: datetime
    run_id: str
    event_id: str
    event: TriggerEvent | None = None
    """The file or delivery that fired it (event triggers); None for a scheduled tick."""


@dataclass(frozen=True, slots=True)
class TickOutcome:
    """What running a tick gave: the event's final status and what to record."""

    status: str
    run_id: str | None = None
    error: str | None = None
    payload: dict[str, object] | None = None
    ran: bool = False
    checked: bool = False


TickRunner = Callable[[Tick], Awaitable[TickOutcome]]


@dataclass(eq=False, slots=True)
class _Entry:
    spec: TriggerSpec
    cursor: datetime  # every tick at or before it has been handled
    next_at: datetime | None = None
    gen: int = 0
    running: set[asyncio.Task[None]] = field(default_factory=set)
    queue: deque[Tick] = field(default_factory=deque)


Plan = tuple["_Entry", Tick, str]
"""A tick to claim, its trigger's entry, and what to do once it is claimed."""


class Scheduler:
    """Fires the scheduled ticks of a set of ``TriggerSpec`` through ``run_tick``.

    ``run_tick(tick)`` does the work of one tick (poll, run the DAG) and
    returns a ``TickOutcome``; the scheduler records claims and outcomes in
    ``store`` and applies the catch-up and overlap policies.
    """

    def __init__(
        self,
        store: TriggerStore,
        run_tick: TickRunner,
        *,
        clock: Clock | None = None,
        misfire_grace: float = 60.0,
    ) -> None:
        self.store = store
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.misfire_grace = timedelta(seconds=misfire_grace)
        self._run_tick = run_tick
        self._entries: dict[str, _Entry] = {}
        self._heap: list[tuple[datetime, int, str, int]] = []
        self._seq = itertools.count()
        self._gens = itertools.count(1)
        self._wanted: dict[str, TriggerSpec] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._replaced: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._started_at: datetime | None = None
        self._broken: dict[str, str] = {}  # triggers taken off the schedule, and why
        self._parked = False
        self._wake_sent = False
        self._stopping = False
        self._event_id = _EventIds()

    # -- control --------------------------------------------------------------

    def set_specs(self, specs: Iterable[TriggerSpec]) -> None:
        """Schedule exactly these triggers (those that are enabled, poll type, with a cron).

        Takes effect at once if the loop runs (it wakes up), else at ``start``.
        A trigger whose cron or timezone changed continues from now; runs in
        flight are not touched.
        """
        self._wanted = {
            s.name: s for s in specs if s.enabled and (s.scheduled or s.type in EVENT_TYPES)
        }
        self._wake()

    def start(self) -> asyncio.Task[None]:
        """Start the loop as a task on the running event loop (once)."""
        if self._task is None or self._task.done():
            self._stopping = False
            if self._started_at is None:
                self._started_at = self.clock.now()
            self._task = spawn_watched(self.clock, self._main(), name="lythonic trigger scheduler")
        return self._task

    @property
    def task(self) -> asyncio.Task[None] | None:
        return self._task

    def stop(self) -> None:
        """Stop scheduling and cancel the runs in flight (recorded as interrupted)."""
        self._stopping = True
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._abandon_queues()
        for task in list(self._tasks):
            task.cancel()

    async def shutdown(self, grace: float | None = None) -> None:
        """Stop scheduling, let runs in flight finish for up to ``grace`` seconds, cancel the rest."""
        self._stopping = True
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._abandon_queues()
        if self._tasks and (grace is None or grace > 0):
            await asyncio.wait(list(self._tasks), timeout=grace)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.store.awrite(lambda cur: None)

    async def drain(self) -> None:
        """Wait until no run is in flight or queued and every record is written."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
            await asyncio.sleep(0)
        await self.store.awrite(lambda cur: None)

    def next_fire_times(self) -> dict[str, datetime | None]:
        """Each scheduled trigger's next fire time (UTC)."""
        return {name: e.next_at for name, e in self._entries.items()}

    def broken(self) -> dict[str, str]:
        """Triggers taken off the schedule because their next fire time could not be
        computed, with the error; a new spec for one (a reload) tries again."""
        return dict(self._broken)

    def in_flight(self) -> dict[str, int]:
        """How many runs of each trigger are going now."""
        return {name: len(e.running) for name, e in self._entries.items() if e.running}

    # -- the loop ---------------------------------------------------------------

    def _wake(self) -> None:
        task = self._task
        if self._parked and not self._wake_sent and task is not None and not task.done():
            self._wake_sent = True
            task.cancel()

    async def _park(self, until: datetime) -> None:
        self._parked = True
        try:
            await self.clock.sleep_until(until)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self._wake_sent and not self._stopping and task is not None:
                task.uncancel()  # the cancel was only our wake-up call
                return
            raise
        finally:
            self._parked = False
            self._wake_sent = False

    async def _main(self) -> None:
        while not self._stopping:
            try:
                await self._step()
            except asyncio.CancelledError:
                raise
            except Exception:
                # A store error (disk full, a lock held past the busy timeout)
                # must not end scheduling: the ticks of this step are lost
                # (never fired twice), the loop goes on.
                log.exception(
                    "trigger scheduler: a step failed; retrying in %s",
                    RETRY_DELAY,
                    extra=event("scheduler_step_failed", retry_in=str(RETRY_DELAY)),
                )
                await self._park(self.clock.now() + RETRY_DELAY)

    async def _step(self) -> None:
        if self._wanted is not None:
            await self._apply_specs()
            return
        now = self.clock.now()
        due = self._pop_due(now)
        if due:
            await self._handle_due(due, now)
            return
        until = now + MAX_PARK
        if self._heap:
            until = min(until, self._heap[0][0])
        await self._park(until)

    def _push(self, e: _Entry) -> None:
        if e.next_at is not None:
            heapq.heappush(self._heap, (e.next_at, next(self._seq), e.spec.name, e.gen))

    def _pop_due(self, now: datetime) -> list[_Entry]:
        due: list[_Entry] = []
        heap = self._heap
        while heap and heap[0][0] <= now:
            _, _, name, gen = heapq.heappop(heap)
            e = self._entries.get(name)
            if e is not None and e.gen == gen:
                due.append(e)
        return due

    async def _apply_specs(self) -> None:
        pending = self._wanted
        wanted = pending or {}
        cursors = await self.store.aread(self.store.tick_cursors)
        if self._wanted is pending:  # else set_specs came meanwhile: the next pass applies it
            self._wanted = None
        now = self.clock.now()
        for name in [n for n in self._entries if n not in wanted]:
            self._drop(name, "no longer scheduled")
        for name, spec in wanted.items():
            e = self._entries.get(name)
            status, since = cursors.get(name, (None, None))
            if status != "active":
                self._drop(name, "is not active in the store")
                continue
            if spec.type in EVENT_TYPES:  # fires when its source offers events, not on time
                if e is None:
                    self._entries[name] = _Entry(spec, now)
                else:
                    e.spec = spec
                continue
            schedule = spec.schedule
            assert schedule is not None
            if e is None:
                cursor = datetime.fromtimestamp(since, UTC) if since is not None else now
                e = self._entries[name] = _Entry(spec, cursor)
            elif not e.spec.same_timing(spec):
                e.spec = spec
                e.cursor = max(e.cursor, now)
            else:
                e.spec = spec
                continue
            e.gen = next(self._gens)  # unique, so heap items of a dropped entry stay stale
            self._broken.pop(name, None)
            try:
                e.next_at = schedule.next_after(e.cursor)
            except Exception as exc:
                self._take_off(name, exc)
                continue
            self._push(e)
        nexts = {n: _ts(e.next_at) for n, e in self._entries.items()}
        await self.store.awrite(lambda cur: self.store.set_next_runs(cur, nexts))

    def _drop(self, name: str, why: str) -> None:
        e = self._entries.pop(name, None)
        if e is None:
            return
        log.info(
            "trigger %r: %s", name, why, extra=event("trigger_unscheduled", trigger=name, why=why)
        )
        while e.queue:
            tick = e.queue.popleft()
            self._finish_soon(TickResult(tick.event_id, name, "skipped", error=f"trigger {why}"))

    def _take_off(self, name: str, exc: BaseException) -> None:
        """One trigger's schedule failed: drop it, say why once, keep the others."""
        self._entries.pop(name, None)
        error = f"{type(exc).__name__}: {exc}"
        self._broken[name] = error
        log.error(
            "trigger %r taken off the schedule: its next fire time cannot be computed (%s)",
            name,
            error,
            extra=event("trigger_schedule_failed", trigger=name, error=error),
        )

    def _due_ticks(self, e: _Entry, now: datetime) -> list[datetime]:
        """The ticks of ``e`` to fire now, oldest first: chosen missed ones, then on-time ones."""
        spec = e.spec
        schedule = spec.schedule
        assert schedule is not None
        cursor = e.cursor
        # A tick before this scheduler started was missed, however recent: nobody
        # was there to fire it (catchup decides), as a tick older than the grace.
        # (A tick at the very instant of the start is on time.)
        started = (self._started_at or cursor) - _INSTANT
        on_time_from = max(cursor, now - self.misfire_grace, min(started, now))
        t = e.next_at if on_time_from == cursor else schedule.next_after(on_time_from)
        on_time: list[datetime] = []
        while t is not None and t <= now:
            on_time.append(t)
            t = schedule.next_after(t)
        missed: list[datetime] = []
        had_missed = e.next_at is not None and e.next_at <= on_time_from
        if had_missed and spec.catchup != "none" and not (spec.catchup == "latest" and on_time):
            window = spec.catchup_window
            lo = cursor if window is None else max(cursor, now - window)
            if lo < on_time_from:
                n = 1 if spec.catchup == "latest" else spec.catchup_cap
                missed = schedule.last_ticks(lo, on_time_from, n)
        if had_missed:
            log.info(
                "trigger %r: ticks missed since %s; catchup %s runs %d of them",
                spec.name,
                cursor.isoformat(),
                spec.catchup,
                len(missed),
                extra=event(
                    "ticks_missed",
                    trigger=spec.name,
                    since=cursor.isoformat(),
                    catchup=spec.catchup,
                    runs=len(missed),
                ),
            )
        e.next_at = t
        e.cursor = now
        return missed + on_time

    async def _handle_due(self, due: list[_Entry], now: datetime) -> None:
        # One claim transaction for all due ticks, while the loop waits: the
        # store's thread then has the GIL to itself. (Claiming in chunks while
        # the loop starts runs was slower: the thread and the loop hand the GIL
        # back and forth at every row.)
        paused = len(due) >= _GC_PAUSE_AT and gc.isenabled()
        if paused:
            # A burst allocates a lot while its runs start: no collection until every
            # run has (the callback below queues behind the runs' first steps).
            gc.disable()
        try:
            plans, claims = self._plan(due, now)
            nexts = {e.spec.name: _ts(e.next_at) for e in due}
            store = self.store
            outcomes = await store.awrite(lambda cur: store.claim_ticks(cur, claims, nexts))
            self._act(plans, outcomes)
        finally:
            if paused:
                asyncio.get_running_loop().call_soon(gc.enable)

    def _plan(self, due: list[_Entry], now: datetime) -> tuple[list[Plan], list[TickClaim]]:
        """The ticks of ``due`` to claim now, each with what to do once claimed."""
        plans: list[Plan] = []
        claims: list[TickClaim] = []
        new_id = self._event_id
        stamps: dict[datetime, float] = {}
        for e in due:
            spec = e.spec
            try:
                ticks = self._due_ticks(e, now)
            except Exception as exc:
                self._take_off(spec.name, exc)
                continue
            self._push(e)
            busy = bool(e.running or e.queue)
            first = ""
            for i, t in enumerate(ticks):
                tick = Tick(spec, t, tick_run_id(spec.name, t), new_id())
                if i > 0 and first != "skip":
                    action = "queue"  # ticks due together run one after another
                elif not busy:
                    action = "run"
                elif spec.overlap == "queue":
                    action = "queue" if len(e.queue) < spec.catchup_cap else "skip"
                else:
                    action = _OVERLAP_ACTION[spec.overlap]
                first = first or action
                status = _CLAIM_STATUS[action]
                run_id = None if action == "skip" else tick.run_id
                ts = stamps.get(t)
                if ts is None:
                    ts = stamps[t] = t.timestamp()
                # A tick this scheduler would run (no run of its own going) asks a shared
                # store to apply the overlap policy to other schedulers' runs.
                overlap = spec.overlap if action == "run" else "allow"
                claims.append(
                    TickClaim(spec.name, ts, run_id, status, spec.payload, tick.event_id, overlap)
                )
                plans.append((e, tick, action))
        return plans, claims

    def _act(self, plans: list[Plan], outcomes: list[str]) -> None:
        """Start, queue or skip each claimed tick (by its claim's outcome)."""
        for (e, tick, action), outcome in zip(plans, outcomes, strict=True):
            name = tick.spec.name
            if outcome == "inactive":
                self._drop(name, "is not active in the store")
            elif outcome == "taken":
                log.debug(
                    "trigger %r: tick %s taken by another scheduler",
                    name,
                    tick.run_id,
                    extra=event("tick_taken", trigger=name, run_id=tick.run_id),
                )
            elif outcome == "busy":  # recorded skipped by the store (a shared one)
                _log_skipped(tick, "overlap_elsewhere", "a run of it is going on another daemon")
            elif self._entries.get(name) is not e:
                self._finish_soon(TickResult(tick.event_id, name, "skipped", error="unscheduled"))
            elif action == "skip":
                _log_skipped(tick, "overlap", "the previous run is still going")
            elif action == "queue":
                e.queue.append(tick)
                if not e.running:
                    self._start(e, e.queue.popleft(), queued=True)
            elif action == "replace":
                old = list(e.running)
                for task in old:
                    self._replaced.add(task)
                    task.cancel()
                log.info(
                    "trigger %r: tick %s replaces the run in flight",
                    name,
                    tick.run_id,
                    extra=event("tick_replaces_run", trigger=name, run_id=tick.run_id),
                )
                self._start(e, tick, wait_for=old)
            else:
                self._start(e, tick)

    # -- events ---------------------------------------------------------------

    async def offer(self, name: str, events: list[TriggerEvent]) -> list[Offer]:
        """Claim and start a run for each event of the event trigger ``name``.

        All events are claimed in one store transaction, each keyed by its
        ``key``: a key claimed before (by this or another scheduler, before a
        restart too) comes back ``duplicate`` and starts nothing. A claimed
        event follows the trigger's ``overlap`` policy against the runs of the
        trigger still going (and the earlier events of the same offer).
        """
        e = self._entries.get(name)
        if e is None or e.spec.type not in EVENT_TYPES or self._stopping:
            return [Offer("inactive") for _ in events]
        spec = e.spec
        now = self.clock.now()
        plans: list[Plan] = []
        claims: list[TickClaim] = []
        busy = bool(e.running or e.queue)
        queued = len(e.queue)
        for ev in events:
            tick = Tick(spec, ev.at or now, event_run_id(name, ev.key), self._event_id(), ev)
            if not busy or spec.overlap == "allow":
                action = "run"
            elif spec.overlap == "queue":
                action = "queue" if queued < spec.catchup_cap else "skip"
            else:
                action = _OVERLAP_ACTION[spec.overlap]
            busy = True
            queued += action == "queue"
            run_id = None if action == "skip" else tick.run_id
            overlap = spec.overlap if action == "run" else "allow"
            record = ev.record if ev.record is not None else ev.context
            claims.append(
                TickClaim(
                    name,
                    None,
                    run_id,
                    _CLAIM_STATUS[action],
                    record,
                    tick.event_id,
                    overlap,
                    ev.key,
                )
            )
            plans.append((e, tick, action))
        store = self.store
        outcomes = await store.awrite(lambda cur: store.claim_ticks(cur, claims, {}))
        self._act(plans, outcomes)
        out: list[Offer] = []
        for (_, tick, action), outcome in zip(plans, outcomes, strict=True):
            if outcome == "taken":
                out.append(
                    Offer("duplicate", event_run_id(name, tick.event.key if tick.event else ""))
                )
            elif outcome == "inactive":
                out.append(Offer("inactive"))
            else:
                shown = "skip" if outcome == "busy" else action
                run_id = None if shown == "skip" else tick.run_id
                out.append(Offer("claimed", run_id, tick.event_id, shown))
        return out

    # -- runs -----------------------------------------------------------------

    def _start(
        self,
        e: _Entry,
        tick: Tick,
        *,
        queued: bool = False,
        wait_for: list[asyncio.Task[None]] | None = None,
    ) -> None:
        task = spawn_watched(
            self.clock, self._run(tick, queued, wait_for), name=f"trigger {tick.run_id}"
        )
        e.running.add(task)
        self._tasks.add(task)
        task.add_done_callback(lambda t: self._on_done(e, t))

    def _on_done(self, e: _Entry, task: asyncio.Task[None]) -> None:
        e.running.discard(task)
        self._tasks.discard(task)
        self._replaced.discard(task)
        live = self._entries.get(e.spec.name) is e
        if live and not e.running and e.queue and not self._stopping:
            self._start(e, e.queue.popleft(), queued=True)

    async def _run(
        self, tick: Tick, queued: bool, wait_for: list[asyncio.Task[None]] | None
    ) -> None:
        store = self.store
        name = tick.spec.name
        try:
            if wait_for:
                await asyncio.wait(wait_for)  # the replaced runs finish cancelling first
            if queued:
                await store.awrite(lambda cur: store.start_event(cur, tick.event_id))
            outcome = await self._run_tick(tick)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            status = "replaced" if task in self._replaced else "interrupted"
            self._finish_now(TickResult(tick.event_id, name, status, run_id=tick.run_id))
            raise
        except Exception as exc:
            log.exception(
                "trigger %r: tick %s failed",
                name,
                tick.run_id,
                extra=event("tick_failed", trigger=name, run_id=tick.run_id, error=str(exc)),
            )
            outcome = TickOutcome("error", error=f"{type(exc).__name__}: {exc}")
        if tick.event is not None and tick.event.settled is not None and outcome.ran:
            try:  # off the loop: it may move or delete a file
                await asyncio.get_running_loop().run_in_executor(None, tick.event.settled, outcome)
            except Exception as exc:
                log.exception(
                    "trigger %r: settling event of %s failed",
                    name,
                    tick.run_id,
                    extra=event(
                        "event_settle_failed", trigger=name, run_id=tick.run_id, error=str(exc)
                    ),
                )
        result = TickResult(
            tick.event_id,
            name,
            outcome.status,
            run_id=outcome.run_id,
            error=outcome.error,
            payload=outcome.payload,
            ran=outcome.ran,
            checked=outcome.checked,
        )
        await store.awrite(lambda cur: store.finish_event(cur, result))

    def _finish_soon(self, result: TickResult) -> None:
        store = self.store
        fut = store.awrite(lambda cur: store.finish_event(cur, result))
        fut.add_done_callback(_log_failure)

    def _finish_now(self, result: TickResult) -> None:
        """Record an outcome synchronously: the task is being cancelled and may get no other turn."""
        try:
            self.store.finish_now(result)
        except Exception:
            log.exception(
                "trigger %r: could not record %s",
                result.trigger_name,
                result.status,
                extra=event("tick_not_recorded", trigger=result.trigger_name, status=result.status),
            )

    def _abandon_queues(self) -> None:
        for e in self._entries.values():
            while e.queue:
                tick = e.queue.popleft()
                self._finish_now(TickResult(tick.event_id, tick.spec.name, "interrupted"))


_OVERLAP_ACTION = {"skip": "skip", "queue": "queue", "replace": "replace", "allow": "run"}
_CLAIM_STATUS = {"run": "running", "replace": "running", "queue": "queued", "skip": "skipped"}


def _log_skipped(tick: Tick, reason: str, why: str) -> None:
    at = tick.scheduled_at.isoformat()
    log.info(
        "trigger %r: tick %s skipped: %s",
        tick.spec.name,
        at,
        why,
        extra=event("tick_skipped", trigger=tick.spec.name, scheduled_at=at, reason=reason),
    )


def _ts(t: datetime | None) -> float | None:
    return t.timestamp() if t is not None else None


def _log_failure(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled() and fut.exception() is not None:
        log.error(
            "trigger store: a write failed: %s",
            fut.exception(),
            extra=event("trigger_store_write_failed", error=str(fut.exception())),
        )


publish("lythonic.compose.trigger", tick_run_id)
