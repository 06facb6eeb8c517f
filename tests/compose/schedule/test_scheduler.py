"""The scheduling loop on a fake clock: exact fire times, DST, catch-up, overlap, races."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from lythonic.compose.schedule._clock import SystemClock
from lythonic.compose.schedule._scheduler import (
    Scheduler,
    Tick,
    TickOutcome,
    _EventIds,
    tick_run_id,
)
from lythonic.compose.trigger import TriggerSpec, TriggerStore
from lythonic.testing import FakeClock

T0 = datetime(2024, 1, 1, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


class Runs:
    """A tick runner that records calls; a trigger listed in `durations` stays busy
    for that long on the fake clock."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.calls: list[tuple[str, datetime, datetime]] = []
        self.ended: list[tuple[str, datetime, datetime]] = []
        self.durations: dict[str, timedelta] = {}

    async def __call__(self, tick: Tick) -> TickOutcome:
        name = tick.spec.name
        self.calls.append((name, tick.scheduled_at, self.clock.now()))
        busy = self.durations.get(name)
        if busy:
            await self.clock.sleep_until(self.clock.now() + busy)
        self.ended.append((name, tick.scheduled_at, self.clock.now()))
        return TickOutcome("completed", run_id=tick.run_id, ran=True)

    def ticks(self, name: str) -> list[datetime]:
        return [at for n, at, _ in self.calls if n == name]


class Harness:
    def __init__(
        self, tmp_path: Path, start: datetime = T0, pg: tuple[str, str] | None = None
    ) -> None:
        self.db = tmp_path / "triggers.db"
        self.pg = pg  # (url, schema): the stores are on PostgreSQL
        self.clock = FakeClock(start)
        self.stores: list[TriggerStore] = []
        self.schedulers: list[Scheduler] = []
        self.runs = Runs(self.clock)

    def store(self) -> TriggerStore:
        if self.pg is not None:
            from lythonic.compose.schedule._pg_store import PgTriggerStore

            url, schema = self.pg
            s: TriggerStore = PgTriggerStore(url, schema=schema, clock=self.clock)
        else:
            s = TriggerStore(self.db, clock=self.clock)
        self.stores.append(s)
        return s

    def scheduler(self, *specs: TriggerSpec, runs: Any = None, **kw: Any) -> Scheduler:
        store = self.store()
        for spec in specs:
            store.activate(spec, spec.dag_nsref, keep_disabled=True)
        sched = Scheduler(store, runs or self.runs, clock=self.clock, **kw)
        sched.set_specs(specs)
        sched.start()
        self.schedulers.append(sched)
        return sched

    def events(self, name: str) -> list[dict[str, Any]]:
        return sorted(self.stores[0].get_events(name), key=lambda e: e["scheduled_at"])

    async def stop(self, sched: Scheduler) -> None:
        sched.stop()
        if sched.task is not None:
            await asyncio.gather(sched.task, return_exceptions=True)

    async def close(self) -> None:
        for sched in self.schedulers:
            await self.stop(sched)
        for s in self.stores:
            s.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def h(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    """The scheduler on a trigger store in SQLite, and on PostgreSQL."""
    pg = None
    if request.param == "postgres":
        pg = (request.getfixturevalue("pg_server"), request.getfixturevalue("pg_schema"))
    harness = Harness(tmp_path, pg=pg)
    yield harness
    await harness.close()


def spec(name: str, cron: str, **kw: Any) -> TriggerSpec:
    return TriggerSpec(name=name, dag_nsref="t:dag", cron=cron, **kw)


def hours(*hs: float, base: datetime = T0) -> list[datetime]:
    return [base + timedelta(hours=x) for x in hs]


async def test_fires_each_tick_at_its_exact_time(h: Harness) -> None:
    """Every tick fires once, at its scheduled time, with a run id derived from it."""
    sched = h.scheduler(spec("hourly", "0 * * * *"))
    await h.clock.advance(hours=3, minutes=30)
    await sched.drain()
    assert h.runs.calls == [("hourly", t, t) for t in hours(1, 2, 3)]
    events = h.events("hourly")
    assert [e["run_id"] for e in events] == [
        "hourly@20240101T010000Z",
        "hourly@20240101T020000Z",
        "hourly@20240101T030000Z",
    ]
    assert {e["status"] for e in events} == {"completed"}
    next_run = h.stores[0].get_activation("hourly")["next_run_at"]  # type: ignore[index]
    assert next_run == hours(4)[0].timestamp()
    assert sched.next_fire_times() == {"hourly": hours(4)[0]}


def test_tick_run_id_is_recognisable() -> None:
    """Run ids read `<trigger>@<UTC time>`; sub-second ticks keep their microseconds."""
    assert tick_run_id("t", datetime(2024, 3, 31, 3, 0, tzinfo=BERLIN)) == "t@20240331T010000Z"
    at = datetime(2024, 1, 1, 0, 0, 0, 250_000, tzinfo=UTC)
    assert tick_run_id("t", at) == "t@20240101T000000.250000Z"


async def test_seconds_resolution(h: Harness) -> None:
    """A 6-field cron fires every few seconds."""
    sched = h.scheduler(spec("fast", "*/5 * * * * *"))
    await h.clock.advance(seconds=21)
    await sched.drain()
    assert h.runs.ticks("fast") == [T0 + timedelta(seconds=s) for s in (5, 10, 15, 20)]


async def berlin_night(tmp_path: Path, day: datetime) -> dict[str, list[str]]:
    """Berlin-time fire times of `30 2 * * *` and `0 * * * *` from noon UTC before
    `day` to noon UTC on it (hourly: 00:00-04:59 local only), each checked to fire on time."""
    h = Harness(tmp_path, day - timedelta(hours=12))
    try:
        sched = h.scheduler(
            spec("daily", "30 2 * * *", timezone="Europe/Berlin"),
            spec("hourly", "0 * * * *", timezone="Europe/Berlin"),
        )
        await h.clock.advance_to(day + timedelta(hours=12))
        await sched.drain()
        assert all(fired == at for _, at, fired in h.runs.calls)
        local = {n: [t.astimezone(BERLIN) for t in h.runs.ticks(n)] for n in ("daily", "hourly")}
        local["hourly"] = [t for t in local["hourly"] if t.day == day.day and t.hour < 5]
        return {n: [t.isoformat() for t in ts] for n, ts in local.items()}
    finally:
        await h.close()


async def test_dst_fall_back_in_berlin(tmp_path: Path) -> None:
    """Across Berlin's fall-back night `30 2 * * *` fires once and `0 * * * *` at both 02:00s."""
    fired = await berlin_night(tmp_path, datetime(2024, 10, 27, tzinfo=UTC))
    assert fired["daily"] == ["2024-10-27T02:30:00+02:00"]
    assert fired["hourly"] == [
        "2024-10-27T00:00:00+02:00",
        "2024-10-27T01:00:00+02:00",
        "2024-10-27T02:00:00+02:00",
        "2024-10-27T02:00:00+01:00",
        "2024-10-27T03:00:00+01:00",
        "2024-10-27T04:00:00+01:00",
    ]


async def test_dst_spring_forward_in_berlin(tmp_path: Path) -> None:
    """On Berlin's spring-forward day `30 2 * * *` fires at 03:00 and `0 * * * *` has no 02:00."""
    fired = await berlin_night(tmp_path, datetime(2024, 3, 31, tzinfo=UTC))
    assert fired["daily"] == ["2024-03-31T03:00:00+02:00"]
    assert fired["hourly"] == [
        "2024-03-31T00:00:00+01:00",
        "2024-03-31T01:00:00+01:00",
        "2024-03-31T03:00:00+02:00",
        "2024-03-31T04:00:00+02:00",
    ]


async def test_utc_is_the_default_timezone(h: Harness) -> None:
    """A trigger without a timezone fires on UTC wall-clock times."""
    sched = h.scheduler(spec("daily", "30 2 * * *"))
    await h.clock.advance(days=2)
    await sched.drain()
    assert h.runs.ticks("daily") == hours(2.5, 26.5)


# -- after downtime ----------------------------------------------------------


async def downtime(h: Harness, first: TriggerSpec, down: timedelta, *, after: timedelta) -> None:
    """Run `first` for 1h30, stop the scheduler for `down`, restart it and run for `after`."""
    sched = h.scheduler(first)
    await h.clock.advance(hours=1, minutes=30)
    await sched.drain()
    await h.stop(sched)
    await h.clock.advance(down)
    h.scheduler(first)
    await h.clock.advance(after)
    await h.schedulers[-1].drain()


async def test_catchup_none_waits_for_the_next_tick(h: Harness) -> None:
    """catchup none (the default): ticks missed while down never run; the next tick does."""
    await downtime(h, spec("t", "0 * * * *"), timedelta(hours=5), after=timedelta(hours=1))
    # Up 00:00-01:30, down until 06:30, up again until 07:30.
    assert h.runs.ticks("t") == hours(1, 7)


async def test_catchup_latest_runs_the_most_recent_missed_tick_once(h: Harness) -> None:
    """catchup latest: right after the restart, the latest missed tick runs once."""
    await downtime(
        h, spec("t", "0 * * * *", catchup="latest"), timedelta(hours=5), after=timedelta(hours=1)
    )
    assert [(at, fired) for _, at, fired in h.runs.calls] == [
        (hours(1)[0], hours(1)[0]),
        (hours(6)[0], hours(6.5)[0]),
        (hours(7)[0], hours(7)[0]),
    ]
    assert h.events("t")[1]["run_id"] == "t@20240101T060000Z"


async def test_catchup_all_runs_every_missed_tick_in_order(h: Harness) -> None:
    """catchup all: every missed tick runs after the restart, oldest first, one after another."""
    await downtime(
        h, spec("t", "0 * * * *", catchup="all"), timedelta(hours=5), after=timedelta(hours=1)
    )
    assert h.runs.ticks("t") == hours(1, 2, 3, 4, 5, 6, 7)
    assert [fired for _, _, fired in h.runs.calls[1:6]] == hours(6.5) * 5


async def test_catchup_all_keeps_to_window_and_cap(h: Harness) -> None:
    """catchup all runs only missed ticks inside the window, and at most the cap (the latest)."""
    windowed = spec("w", "0 * * * *", catchup="all", catchup_window=timedelta(hours=2, minutes=1))
    await downtime(h, windowed, timedelta(hours=5), after=timedelta(0))
    assert h.runs.ticks("w") == hours(1, 5, 6)

    h.runs.calls.clear()
    capped = spec("c", "0 * * * *", catchup="all", catchup_cap=3)
    await downtime(h, capped, timedelta(hours=5), after=timedelta(0))
    # c is up 06:30-08:00 (07:00, 08:00 fire), down until 13:00: 13:00 is on time,
    # 09:00-12:00 were missed and the cap keeps the latest three.
    assert h.runs.ticks("c") == hours(7, 8, 10, 11, 12, 13)


@pytest.mark.parametrize(("catchup", "fired"), [("none", []), ("latest", [timedelta(seconds=30)])])
async def test_a_tick_missed_by_a_quick_restart_follows_catchup(
    h: Harness, catchup: str, fired: list[timedelta]
) -> None:
    """A tick that fell while the scheduler was down, by seconds only, is a missed
    tick: catchup none never runs it (no tick from before the start runs), latest
    runs it at the restart."""
    t = spec("t", "0 * * * *", catchup=catchup)
    sched = h.scheduler(t)
    await h.clock.advance(minutes=59, seconds=50)
    await h.stop(sched)
    await h.clock.advance(seconds=40)  # down over 01:00, back at 01:00:30
    h.scheduler(t)
    await h.clock.advance(seconds=1)
    await h.schedulers[-1].drain()
    assert [(at, at_) for _, at, at_ in h.runs.calls] == [
        (hours(1)[0], hours(1)[0] + late) for late in fired
    ]


async def test_catchup_none_runs_no_tick_from_before_a_restart(h: Harness) -> None:
    """Restarted at hh:mm:45 after 5 hours down: the minutely tick of hh:mm:00 and the
    ten-second ticks of the last minute do not run; the first ticks after the start do."""
    minutely, tens = spec("m", "* * * * *"), spec("s", "*/10 * * * * *")
    sched = h.scheduler(minutely, tens)
    await h.clock.advance(minutes=1)
    await h.stop(sched)
    h.runs.calls.clear()
    await h.clock.advance(hours=5, seconds=45)  # back at 05:01:45
    h.scheduler(minutely, tens)
    await h.clock.advance(seconds=20)
    await h.schedulers[-1].drain()
    back = T0 + timedelta(hours=5, minutes=1, seconds=45)
    assert h.runs.ticks("m") == [T0 + timedelta(hours=5, minutes=2)]
    assert h.runs.ticks("s") == [back + timedelta(seconds=5), back + timedelta(seconds=15)]


async def test_one_trigger_whose_schedule_fails_does_not_stop_the_others(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """A trigger whose next fire time cannot be computed (here a catch-up window that
    reaches before year 1) is taken off the schedule with one error; the others fire."""
    broken = spec("broken", "0 * * * *", catchup="all", catchup_window=timedelta(days=999_999))
    fine = spec("fine", "0 * * * *")
    sched = h.scheduler(broken, fine)
    await h.clock.advance(hours=1, minutes=30)
    await h.stop(sched)
    await h.clock.advance(hours=3)  # missed ticks: the broken window is computed now
    with caplog.at_level(logging.ERROR, logger="lythonic.compose.trigger"):
        again = h.scheduler(broken, fine)
        await h.clock.advance(hours=3)
        await again.drain()
    assert h.runs.ticks("fine") == hours(1, 5, 6, 7)
    assert h.runs.ticks("broken") == hours(1)
    assert "broken" in again.broken() and "OverflowError" in again.broken()["broken"]
    failures = [
        r for r in caplog.records if getattr(r, "lythonic_event", "") == "trigger_schedule_failed"
    ]
    assert len(failures) == 1


# -- overlap -----------------------------------------------------------------


async def test_overlap_skip_records_the_tick_as_skipped(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """overlap skip (the default): a tick while the last run goes is skipped and recorded so;
    the log record names the trigger as a field, for structured logs."""
    h.runs.durations["t"] = timedelta(minutes=90)
    sched = h.scheduler(spec("t", "0 * * * *"))
    with caplog.at_level(logging.INFO, logger="lythonic.compose"):
        await h.clock.advance(hours=4, minutes=45)
        await sched.drain()
    skipped = [r for r in caplog.records if "skipped" in r.getMessage()]
    assert skipped and all(r.trigger == "t" for r in skipped)  # type: ignore[attr-defined]
    assert h.runs.ticks("t") == hours(1, 3)
    assert [(e["run_id"], e["status"]) for e in h.events("t")] == [
        ("t@20240101T010000Z", "completed"),
        (None, "skipped"),
        ("t@20240101T030000Z", "completed"),
        (None, "skipped"),
    ]


async def test_overlap_queue_runs_the_tick_after_the_last_run(h: Harness) -> None:
    """overlap queue: the tick waits and runs as soon as the previous run ends."""
    h.runs.durations["t"] = timedelta(minutes=90)
    sched = h.scheduler(spec("t", "0 * * * *", overlap="queue"))
    await h.clock.advance(hours=2, minutes=10)
    assert [e["status"] for e in h.events("t")] == ["running", "queued"]
    await h.clock.advance(hours=1, minutes=50)  # 04:00
    sched.set_specs([])  # no more ticks; what is queued is dropped, the run goes on
    await h.clock.advance(hours=2)
    await sched.drain()
    assert [(at, fired) for _, at, fired in h.runs.calls] == [
        (hours(1)[0], hours(1)[0]),
        (hours(2)[0], hours(2.5)[0]),
        (hours(3)[0], hours(4)[0]),
    ]
    assert [e["status"] for e in h.events("t")] == ["completed"] * 3 + ["skipped"]


async def test_overlap_queue_is_capped(h: Harness) -> None:
    """overlap queue keeps at most catchup_cap ticks waiting; further ones are skipped."""
    h.runs.durations["t"] = timedelta(hours=10)
    sched = h.scheduler(spec("t", "0 * * * *", overlap="queue", catchup_cap=2))
    await h.clock.advance(hours=5, minutes=30)
    statuses = [e["status"] for e in h.events("t")]
    assert statuses == ["running", "queued", "queued", "skipped", "skipped"]
    await h.stop(sched)
    assert {e["status"] for e in h.events("t")[:3]} == {"interrupted"}


async def test_overlap_replace_cancels_the_running_run(h: Harness) -> None:
    """overlap replace: the running run is cancelled and recorded as replaced; the new one runs."""
    h.runs.durations["t"] = timedelta(minutes=90)
    sched = h.scheduler(spec("t", "0 * * * *", overlap="replace"))
    await h.clock.advance(hours=2, minutes=10)
    assert [e["status"] for e in h.events("t")] == ["replaced", "running"]
    await h.clock.advance(hours=1)
    sched.set_specs([])
    await h.clock.advance(hours=2)
    await sched.drain()
    assert [e["status"] for e in h.events("t")] == ["replaced", "replaced", "completed"]
    assert [at for _, at, _ in h.runs.ended] == hours(3)


async def test_overlap_allow_runs_concurrently(h: Harness) -> None:
    """overlap allow: a new run starts while the previous one still goes."""
    h.runs.durations["t"] = timedelta(minutes=90)
    sched = h.scheduler(spec("t", "0 * * * *", overlap="allow"))
    await h.clock.advance(hours=2, minutes=10)
    assert sched.in_flight() == {"t": 2}
    await h.clock.advance(hours=2)
    sched.set_specs([])
    await h.clock.advance(hours=2)
    await sched.drain()
    assert h.runs.ticks("t") == hours(1, 2, 3, 4)
    assert {e["status"] for e in h.events("t")} == {"completed"}


async def test_a_slow_run_does_not_delay_another_trigger(h: Harness) -> None:
    """A trigger whose run takes 10 hours does not hold up another trigger's hourly ticks."""
    h.runs.durations["slow"] = timedelta(hours=10)
    sched = h.scheduler(spec("slow", "0 1 * * *"), spec("quick", "0 * * * *"))
    await h.clock.advance(hours=6, minutes=30)
    quick = [(at, fired) for n, at, fired in h.runs.calls if n == "quick"]
    assert quick == [(t, t) for t in hours(1, 2, 3, 4, 5, 6)]
    assert sched.in_flight() == {"slow": 1}
    await h.clock.advance(hours=5)
    await sched.drain()


# -- races and changes -------------------------------------------------------


async def test_two_schedulers_on_one_store_fire_each_tick_once(h: Harness) -> None:
    """Two schedulers on one store (two connections) share the ticks: each fires exactly once."""
    a_runs, b_runs = Runs(h.clock), Runs(h.clock)
    t = spec("t", "*/10 * * * *")
    a = h.scheduler(t, runs=a_runs)
    b = h.scheduler(t, runs=b_runs)
    await h.clock.advance(hours=2)
    await a.drain()
    await b.drain()
    fired = sorted(a_runs.ticks("t") + b_runs.ticks("t"))
    assert fired == [T0 + timedelta(minutes=10 * i) for i in range(1, 13)]
    assert len(h.events("t")) == 12


async def test_a_tick_claimed_before_a_restart_does_not_fire_again(h: Harness) -> None:
    """A tick recorded by a previous process (e.g. killed right after deciding) is not fired again."""
    t = spec("t", "0 * * * *")
    store = h.store()
    store.activate(t, t.dag_nsref)
    store.record_event("t")  # unrelated manual event
    claim = (hours(1)[0].timestamp(), "t@20240101T010000Z")
    with store._write() as cur:
        cur.execute(
            "INSERT INTO trigger_events (event_id, trigger_name, fired_at, run_id, status, "
            "scheduled_at) VALUES ('x', 't', 0, ?, 'running', ?)",
            (claim[1], claim[0]),
        )
    store.sweep_unfinished()  # as a restarted daemon does first: that process is gone
    # The tick at 01:00 is on record; restart just before it (the cursor is the activation).
    sched = Scheduler(store, h.runs, clock=h.clock)
    sched.set_specs([t])
    sched.start()
    h.schedulers.append(sched)
    await h.clock.advance(hours=2, minutes=30)
    await sched.drain()
    assert h.runs.ticks("t") == hours(2)


async def test_new_triggers_wake_the_loop_early(h: Harness) -> None:
    """Adding a trigger while the loop sleeps until a far tick takes effect at once."""
    daily = spec("daily", "0 0 * * *")
    sched = h.scheduler(daily)
    await h.clock.advance(minutes=5)
    minutely = spec("minutely", "* * * * *")
    h.stores[0].activate(minutely, minutely.dag_nsref)
    sched.set_specs([daily, minutely])
    await h.clock.advance(minutes=3)
    await sched.drain()
    assert h.runs.ticks("minutely") == [T0 + timedelta(minutes=m) for m in (6, 7, 8)]


async def test_changed_cron_continues_from_now(h: Harness) -> None:
    """A trigger whose cron changes follows the new cron from now, without catching up."""
    sched = h.scheduler(spec("t", "0 * * * *", catchup="all"))
    await h.clock.advance(hours=1, minutes=30)
    sched.set_specs([spec("t", "*/20 * * * *", catchup="all")])
    await h.clock.advance(hours=1)
    await sched.drain()
    assert h.runs.ticks("t") == [T0 + timedelta(minutes=m) for m in (60, 100, 120, 140)]


async def test_removed_trigger_stops_and_can_come_back(h: Harness) -> None:
    """A trigger left out of set_specs stops firing; put back, it fires once per tick again."""
    sched = h.scheduler(spec("a", "0 * * * *"), spec("b", "0 * * * *"))
    await h.clock.advance(hours=1, minutes=30)
    sched.set_specs([spec("a", "0 * * * *")])
    await h.clock.advance(hours=2)
    await sched.drain()
    assert h.runs.ticks("b") == hours(1)
    assert h.runs.ticks("a") == hours(1, 2, 3)
    sched.set_specs([spec("a", "0 * * * *"), spec("b", "0 * * * *")])  # back: once per tick
    await h.clock.advance(hours=2)
    await sched.drain()
    assert h.runs.ticks("b") == hours(1, 4, 5)
    assert h.runs.ticks("a") == hours(1, 2, 3, 4, 5)


async def test_trigger_disabled_elsewhere_does_not_fire(h: Harness) -> None:
    """A trigger disabled in the store by another process is not fired, and is dropped."""
    sched = h.scheduler(spec("t", "0 * * * *"))
    await h.clock.advance(hours=1, minutes=30)
    other = h.store()
    other.deactivate("t")
    await h.clock.advance(hours=2)
    await sched.drain()
    assert h.runs.ticks("t") == hours(1)
    assert sched.next_fire_times() == {}


async def test_a_failing_tick_runner_is_recorded_and_the_loop_goes_on(h: Harness) -> None:
    """An exception from a run is recorded as an error event; later ticks still fire."""
    calls: list[datetime] = []

    async def flaky(tick: Tick) -> TickOutcome:
        calls.append(tick.scheduled_at)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return TickOutcome("completed", run_id=tick.run_id, ran=True)

    sched = h.scheduler(spec("t", "0 * * * *"), runs=flaky)
    await h.clock.advance(hours=2, minutes=30)
    await sched.drain()
    events = h.events("t")
    assert [(e["status"], e["error"]) for e in events] == [
        ("error", "RuntimeError: boom"),
        ("completed", None),
    ]


async def test_a_store_error_does_not_stop_the_scheduler(h: Harness) -> None:
    """A failing store read is logged and retried; scheduling goes on."""
    store = h.store()
    t = spec("t", "0 * * * *")
    store.activate(t, t.dag_nsref)
    real = store.tick_cursors
    failures = [sqlite3.OperationalError("disk I/O error")]

    def flaky_cursors() -> Any:
        if failures:
            raise failures.pop()
        return real()

    store.tick_cursors = flaky_cursors  # type: ignore[method-assign]
    sched = Scheduler(store, h.runs, clock=h.clock)
    h.schedulers.append(sched)
    sched.set_specs([t])
    sched.start()
    await h.clock.advance(hours=2)
    await sched.drain()
    assert not failures
    assert h.runs.ticks("t") == hours(1, 2)


async def test_shutdown_waits_for_runs_within_grace(h: Harness) -> None:
    """shutdown lets a run in flight finish within the grace period; one that does not is interrupted."""
    gates = {"quick": asyncio.Event(), "stuck": asyncio.Event()}

    async def waiting(tick: Tick) -> TickOutcome:
        await gates[tick.spec.name].wait()
        return TickOutcome("completed", run_id=tick.run_id, ran=True)

    store = h.store()
    specs = [spec("quick", "0 * * * *"), spec("stuck", "0 * * * *")]
    for t in specs:
        store.activate(t, t.dag_nsref)
    await h.clock.advance(hours=1)  # nothing runs yet: the 01:00 ticks are due at start
    sched = Scheduler(store, waiting, clock=h.clock)
    sched.set_specs(specs)
    sched.start()
    for _ in range(200):
        if len(sched.in_flight()) == 2:
            break
        await asyncio.sleep(0.001)
    assert sched.in_flight() == {"quick": 1, "stuck": 1}
    asyncio.get_running_loop().call_later(0.01, gates["quick"].set)
    await sched.shutdown(grace=0.2)
    assert sched.task is not None and sched.task.done()
    assert h.events("quick")[0]["status"] == "completed"
    assert h.events("stuck")[0]["status"] == "interrupted"


async def test_system_clock_sleeps_until_the_time() -> None:
    """SystemClock.sleep_until returns once the wall clock reaches the time, not before."""
    clock = SystemClock()
    target = clock.now() + timedelta(milliseconds=20)
    await clock.sleep_until(target)
    assert clock.now() >= target
    await clock.sleep_until(clock.now() - timedelta(seconds=1))  # past: returns at once


async def test_fake_clock_refuses_to_go_back() -> None:
    """A FakeClock only moves forward and needs aware datetimes."""
    clock = FakeClock(T0)
    with pytest.raises(ValueError, match="does not go back"):
        await clock.advance_to(T0 - timedelta(seconds=1))
    with pytest.raises(ValueError, match="aware"):
        FakeClock(datetime(2024, 1, 1))


async def test_fake_clock_reports_a_task_that_never_sleeps_again() -> None:
    """A watched task busy forever makes advance fail with a message instead of hanging."""
    from lythonic.compose.schedule._clock import spawn_watched

    clock = FakeClock(T0, settle_timeout=0.05)
    gate = asyncio.Event()
    task = spawn_watched(clock, gate.wait())
    with pytest.raises(RuntimeError, match="did not sleep again"):
        await clock.advance(seconds=1)
    gate.set()
    await task


async def test_fake_clock_follows_runs_started_from_done_callbacks() -> None:
    """advance waits for every run of a chain in which each run's done callback starts the next
    (as queued catch-up ticks do), even when a run ends between two of the clock's checks."""
    from lythonic.compose.schedule._clock import spawn_watched

    clock = FakeClock(T0)
    ran: list[int] = []

    async def run(i: int) -> None:
        for _ in range(i % 2):  # runs of one and two loop turns, so checks hit every phase
            await asyncio.sleep(0)
        ran.append(i)

    def start(i: int) -> None:
        task = spawn_watched(clock, run(i))
        if i < 5000:
            task.add_done_callback(lambda _: start(i + 1))

    start(1)
    await clock.advance(seconds=1)
    assert ran == list(range(1, 5001))


def test_event_ids_are_unique_time_ordered_uuids() -> None:
    """Tick event ids: valid version-7 UUIDs, all different across refills of the
    random buffer, later ones sorting after earlier ones."""
    import time
    import uuid

    new_id = _EventIds()
    ids = [new_id() for _ in range(600)]  # more than one buffer of 256
    assert len(set(ids)) == 600
    for text in ids:
        u = uuid.UUID(text)
        assert (u.version, u.variant, str(u)) == (7, uuid.RFC_4122, text)
    time.sleep(0.002)
    assert new_id() > max(ids)


async def test_a_burst_starts_its_runs_before_the_collector_runs_again(h: Harness) -> None:
    """100 ticks due together: the garbage collector waits while their runs start (so a
    collection cannot land in the middle of the burst), and is back on afterwards."""
    import gc

    collecting: list[bool] = []

    async def note(tick: Tick) -> TickOutcome:
        collecting.append(gc.isenabled())
        return TickOutcome("completed", run_id=tick.run_id, ran=True)

    assert gc.isenabled()
    sched = h.scheduler(*(spec(f"t{i}", "0 * * * *") for i in range(100)), runs=note)
    await h.clock.advance(hours=1)
    await sched.drain()
    assert collecting == [False] * 100
    assert gc.isenabled()
