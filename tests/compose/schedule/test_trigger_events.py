"""Event triggers in the scheduler: each file or delivery key claimed once, run with its context."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg

from lythonic.compose.schedule import TriggerStore
from lythonic.compose.schedule._scheduler import Tick, TickOutcome
from lythonic.compose.schedule._store import SCHEMA_VERSION
from lythonic.compose.schedule._trigger_event import TriggerEvent, event_run_id
from lythonic.compose.trigger import TriggerSpec
from tests.compose.schedule import test_scheduler
from tests.compose.schedule.test_scheduler import T0, Harness, Runs

h = test_scheduler.h  # the scheduler harness, on SQLite and on PostgreSQL


def file_spec(name: str = "files", **kw: Any) -> TriggerSpec:
    kw.setdefault("overlap", "allow")  # the event triggers' default in lyth.yaml
    return TriggerSpec(name=name, dag_nsref="t:dag", type="file", catchup_cap=1000, **kw)


def files(*names: str) -> list[TriggerEvent]:
    return [TriggerEvent(key=f"/in/{n}|1|1", context={"file": {"name": n}}) for n in names]


class ContextRuns(Runs):
    """Records the event context each run got."""

    def __init__(self, clock: Any) -> None:
        super().__init__(clock)
        self.contexts: list[dict[str, Any]] = []

    async def __call__(self, tick: Tick) -> TickOutcome:
        assert tick.event is not None
        self.contexts.append(tick.event.context)
        return await super().__call__(tick)


async def test_each_event_runs_once_with_its_context_and_a_key_run_id(h: Harness) -> None:
    """Offered events run once each, with what fired them; offering a key again starts nothing."""
    runs = ContextRuns(h.clock)
    sched = h.scheduler(file_spec(), runs=runs)
    await asyncio.sleep(0.05)  # the loop applies the specs
    offers = await sched.offer("files", files("a.csv", "b.csv"))
    assert [o.status for o in offers] == ["claimed", "claimed"]
    assert [o.run_id for o in offers] == [
        event_run_id("files", "/in/a.csv|1|1"),
        event_run_id("files", "/in/b.csv|1|1"),
    ]
    await sched.drain()
    assert sorted(c["file"]["name"] for c in runs.contexts) == ["a.csv", "b.csv"]
    again = await sched.offer("files", files("a.csv", "c.csv"))
    assert [o.status for o in again] == ["duplicate", "claimed"]
    assert again[0].run_id == offers[0].run_id
    await sched.drain()
    events = h.stores[0].get_events("files")
    assert sorted(e["dedupe_key"] for e in events) == [
        "/in/a.csv|1|1",
        "/in/b.csv|1|1",
        "/in/c.csv|1|1",
    ]
    assert {e["status"] for e in events} == {"completed"}
    assert all(e["scheduled_at"] is None for e in events)


async def test_a_key_claimed_before_a_restart_or_by_another_scheduler_does_not_run(
    h: Harness,
) -> None:
    """Two schedulers on one store offered the same 50 keys run each once; a fresh
    scheduler (a restarted daemon) offered them again runs none."""
    a_runs, b_runs = Runs(h.clock), Runs(h.clock)
    a = h.scheduler(file_spec(), runs=a_runs)
    b = h.scheduler(file_spec(), runs=b_runs)
    await asyncio.sleep(0.05)
    names = [f"f{i}.csv" for i in range(50)]
    got = await asyncio.gather(a.offer("files", files(*names)), b.offer("files", files(*names)))
    await a.drain()
    await b.drain()
    assert len(a_runs.calls) + len(b_runs.calls) == 50
    claimed = [o for offers in got for o in offers if o.status == "claimed"]
    assert len(claimed) == 50
    await h.stop(a)
    await h.stop(b)
    c_runs = Runs(h.clock)
    c = h.scheduler(file_spec(), runs=c_runs)
    await asyncio.sleep(0.05)
    offers = await c.offer("files", files(*names))
    await c.drain()
    assert {o.status for o in offers} == {"duplicate"} and c_runs.calls == []


async def test_overlap_skip_records_an_event_skipped_and_queue_runs_it_after(h: Harness) -> None:
    """With `skip` an event arriving during a run is recorded skipped (and never runs); with
    `queue` it runs when the run before it ended."""
    h.runs.durations = {"skipper": timedelta(minutes=5), "queuer": timedelta(minutes=5)}
    sched = h.scheduler(file_spec("skipper", overlap="skip"), file_spec("queuer", overlap="queue"))
    await asyncio.sleep(0.05)
    first = await sched.offer("skipper", files("a"))
    second = await sched.offer("skipper", files("b"))
    assert (first[0].action, second[0].action, second[0].run_id) == ("run", "skip", None)
    await sched.offer("queuer", files("a", "b"))
    await h.clock.advance(minutes=11)
    await sched.drain()
    assert [n for n, *_ in h.runs.calls].count("skipper") == 1
    assert [at for n, _, at in h.runs.calls if n == "queuer"] == [T0, T0 + timedelta(minutes=5)]
    skipped = [e for e in h.stores[0].get_events("skipper") if e["status"] == "skipped"]
    assert [e["dedupe_key"] for e in skipped] == ["/in/b|1|1"]
    assert (await sched.offer("skipper", files("b")))[0].status == "duplicate"


async def test_settled_hears_the_outcome_of_runs_only(h: Harness) -> None:
    """`settled` gets the outcome of a run its event started, and is not called for a
    duplicate; a `settled` that raises is logged and the event still records its status."""
    heard: list[str] = []

    def settle(outcome: TickOutcome) -> None:
        heard.append(outcome.status)

    def broken(outcome: TickOutcome) -> None:
        raise OSError("disk gone")

    sched = h.scheduler(file_spec())
    await asyncio.sleep(0.05)
    ev = TriggerEvent(key="k1", context={}, settled=settle)
    bad = TriggerEvent(key="k2", context={}, settled=broken)
    await sched.offer("files", [ev, bad])
    await sched.drain()
    await sched.offer("files", [ev])
    await sched.drain()
    assert heard == ["completed"]
    assert {e["status"] for e in h.stores[0].get_events("files")} == {"completed"}


async def test_events_for_an_unknown_or_cron_trigger_are_inactive(h: Harness) -> None:
    """Only a scheduled event trigger takes events; others answer inactive and record nothing."""
    sched = h.scheduler(TriggerSpec(name="cron", dag_nsref="t:dag", cron="0 * * * *"))
    await asyncio.sleep(0.05)
    assert [o.status for o in await sched.offer("cron", files("a"))] == ["inactive"]
    assert [o.status for o in await sched.offer("nope", files("a"))] == ["inactive"]
    assert h.stores[0].get_events("cron") == []


def test_a_version_2_sqlite_store_gains_the_dedupe_key_keeping_its_events(tmp_path: Path) -> None:
    """A trigger store written before event triggers (version 2) gets `dedupe_key` and its
    unique index on open; its events stay."""
    db = tmp_path / "triggers.db"
    with TriggerStore(db) as store:
        store.activate(TriggerSpec(name="t", dag_nsref="p:d", cron="@daily"), "p:d")
        event_id = store.record_event("t", status="completed")
    con = sqlite3.connect(db)
    con.execute("DROP INDEX trigger_events_dedupe")
    con.execute("ALTER TABLE trigger_events DROP COLUMN dedupe_key")
    con.execute("UPDATE lythonic_schema SET version = 2 WHERE component = 'triggers'")
    con.commit()
    con.close()
    with TriggerStore(db) as store:
        assert [(e["event_id"], e["dedupe_key"]) for e in store.get_events("t")] == [
            (event_id, None)
        ]
    con = sqlite3.connect(db)
    assert con.execute(
        "SELECT version FROM lythonic_schema WHERE component = 'triggers'"
    ).fetchone() == (SCHEMA_VERSION,)
    assert con.execute(
        "SELECT 1 FROM sqlite_master WHERE name = 'trigger_events_dedupe'"
    ).fetchone() == (1,)
    con.close()


def test_a_version_2_postgres_store_gains_the_dedupe_key(pg_server: str, pg_schema: str) -> None:
    """The PostgreSQL trigger tables at version 2 get `dedupe_key` and its index; events stay."""
    from lythonic.compose.schedule._pg_store import PgTriggerStore

    with PgTriggerStore(pg_server, schema=pg_schema) as store:
        store.activate(TriggerSpec(name="t", dag_nsref="p:d", cron="@daily"), "p:d")
        event_id = store.record_event("t", status="completed")
    with psycopg.connect(pg_server, autocommit=True) as con:
        con.execute(f"ALTER TABLE {pg_schema}.trigger_events DROP COLUMN dedupe_key")
        con.execute(
            f"UPDATE {pg_schema}.lythonic_schema SET version = 2 WHERE component = 'triggers'"
        )
    with PgTriggerStore(pg_server, schema=pg_schema) as store:
        assert [(e["event_id"], e["dedupe_key"]) for e in store.get_events("t")] == [
            (event_id, None)
        ]
    with psycopg.connect(pg_server, autocommit=True) as con:
        row = con.execute(
            "SELECT 1 FROM pg_indexes WHERE schemaname = %s AND indexname = "
            "'trigger_events_dedupe'",
            (pg_schema,),
        ).fetchone()
        assert row == (1,)
