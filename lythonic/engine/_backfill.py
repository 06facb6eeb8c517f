"""``lyth backfill``: the runs a cron trigger's schedule would have made in a window.

Each tick gets the run id a scheduled fire would (``tick_run_id``) and is
claimed in the trigger store exactly as the scheduler claims it (the unique
key on trigger and scheduled time), so a tick the daemon already fired, or
another backfill is running, is not run twice. What a tick on record gets:

- completed: skipped (``force``: its run is deleted and it runs again);
- interrupted (a Ctrl-C, a daemon stopped): resumed — the run is restarted under
  its id, keeping the steps that completed;
- failed, error, cancelled: skipped unless ``rerun_failed`` (then restarted);
- running, queued: skipped (someone is on it).

So a backfill stopped halfway finishes the rest when started again.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lythonic.compose.schedule import TickClaim, TickResult, tick_run_id

__all__ = ["BackfillTick", "plan_backfill", "run_backfill"]

RESUMED = frozenset({"interrupted"})
_EPSILON = timedelta(microseconds=1)
FAILED = frozenset({"failed", "error", "cancelled", "skipped", "replaced"})


@dataclass
class BackfillTick:
    """One tick of the window and what the backfill does with it."""

    at: datetime
    run_id: str
    action: str
    """``run``, ``resume``, ``rerun``, or ``skip`` (``why`` says why)."""
    why: str = ""
    event_id: str | None = None
    status: str | None = None
    """How it ended in this backfill (``completed``, ``failed`` …), once it ran."""


def plan_backfill(
    spec: Any,
    start: datetime,
    end: datetime,
    events: dict[float, dict[str, Any]],
    *,
    rerun_failed: bool = False,
    force: bool = False,
) -> list[BackfillTick]:
    """The ticks of ``spec`` in ``[start, end]`` with their action; ``events``: the
    trigger's recorded events by scheduled time (Unix seconds)."""
    schedule = spec.schedule
    assert schedule is not None
    out: list[BackfillTick] = []
    t = schedule.next_after(start - _EPSILON)
    while t is not None and t <= end:
        run_id = tick_run_id(spec.name, t)
        event = events.get(t.timestamp())
        status = event["status"] if event else None
        if event is None:
            tick = BackfillTick(t, run_id, "run")
        elif status == "completed":
            tick = BackfillTick(t, run_id, "rerun" if force else "skip", "completed")
        elif status in RESUMED:
            tick = BackfillTick(t, run_id, "resume", status)
        elif status in FAILED:
            act = "rerun" if (rerun_failed or force) else "skip"
            tick = BackfillTick(t, run_id, act, status)
        else:  # running or queued: someone else is on it
            tick = BackfillTick(t, run_id, "skip", f"{status} elsewhere")
        if event is not None:
            tick.event_id = event["event_id"]
        out.append(tick)
        t = schedule.next_after(t)
    return out


async def run_backfill(
    ticks: list[BackfillTick],
    spec: Any,
    store: Any,
    run_fresh: Callable[[BackfillTick], Any],
    restart: Callable[[BackfillTick], Any],
    forget: Callable[[BackfillTick], None],
    *,
    max_parallel: int = 1,
    on_done: Callable[[BackfillTick], None] | None = None,
) -> None:
    """Claim and run the ticks to run, at most ``max_parallel`` at once, oldest first.

    ``run_fresh(tick)``/``restart(tick)`` are coroutines returning the run's result
    (``status``, ``run_id``, ``error``); ``forget(tick)`` deletes a recorded run
    before it runs again. A tick cancelled (Ctrl-C) is recorded ``interrupted``.
    """
    gate = asyncio.Semaphore(max_parallel)

    async def one(tick: BackfillTick) -> None:
        async with gate:
            claimed = await _claim(store, spec, tick)
            if not claimed:
                tick.action, tick.why = "skip", "claimed by someone else meanwhile"
                return
            assert tick.event_id is not None
            try:
                if tick.action == "rerun" and tick.why == "completed":
                    await asyncio.to_thread(forget, tick)
                    result = await run_fresh(tick)
                elif tick.action in ("resume", "rerun"):
                    result = await restart(tick)
                else:
                    result = await run_fresh(tick)
            except asyncio.CancelledError:
                store.finish_now(
                    TickResult(tick.event_id, spec.name, "interrupted", run_id=tick.run_id)
                )
                tick.status = "interrupted"
                raise
            except Exception as e:
                result = None
                tick.status = "error"
                tick.why = f"{type(e).__name__}: {e}"
                done = TickResult(
                    tick.event_id, spec.name, "error", tick.run_id, f"{type(e).__name__}: {e}"
                )
            else:
                tick.status = result.status
                done = TickResult(
                    tick.event_id, spec.name, result.status, result.run_id, result.error, ran=True
                )
            await store.awrite(lambda cur: store.finish_event(cur, done))
            if on_done is not None:
                on_done(tick)

    todo = [t for t in ticks if t.action != "skip"]
    tasks = [asyncio.ensure_future(one(t)) for t in todo]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await store.awrite(lambda cur: None)


async def _claim(store: Any, spec: Any, tick: BackfillTick) -> bool:
    """Take the tick in the store: a new event row, or the recorded one moved back to
    ``running`` from the status seen when planning (one of two racers wins)."""
    if tick.event_id is None:
        tick.event_id = str(uuid.uuid4())
        claim = TickClaim(
            spec.name, tick.at.timestamp(), tick.run_id, "running", spec.payload, tick.event_id
        )
        outcome = await store.awrite(lambda cur: store.claim_ticks(cur, [claim], {}))
        return bool(outcome == ["claimed"])
    seen = tick.why

    def reclaim(cur: Any) -> int:
        cur.execute(
            "UPDATE trigger_events SET status = 'running', finished_at = NULL, error = NULL "
            "WHERE event_id = ? AND status = ?",
            (tick.event_id, seen),
        )
        return int(cur.rowcount)

    return bool(await store.awrite(reclaim))
