"""TriggerStore: activations, events, tick claims, schema versions, SQLite settings."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pydantic import ValidationError

from lythonic.compose.dag_provenance import initiated_by
from lythonic.compose.namespace import TriggerConfig
from lythonic.compose.schedule._store import SCHEMA_VERSION, TickClaim, TickResult
from lythonic.compose.trigger import (
    TriggerConfigError,
    TriggerSpec,
    TriggerStore,
    TriggerStoreError,
)
from lythonic.testing import FakeClock

T0 = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture(params=["sqlite", "postgres"])
def opener(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Any:
    """Opens a store on this test's database: a SQLite file, or a PostgreSQL schema.
    Two stores it opens share their data (two processes on one store)."""
    if request.param == "sqlite":
        return lambda: TriggerStore(tmp_path / "triggers.db", clock=clock)
    from lythonic.compose.schedule._pg_store import PgTriggerStore

    url = request.getfixturevalue("pg_server")
    schema = request.getfixturevalue("pg_schema")
    return lambda: PgTriggerStore(url, schema=schema, clock=clock)


@pytest.fixture
def sqlite_store(tmp_path: Path, clock: FakeClock) -> Iterator[TriggerStore]:
    s = TriggerStore(tmp_path / "triggers.db", clock=clock)
    yield s
    s.close()


@pytest.fixture
def store(opener: Any) -> Iterator[TriggerStore]:
    s = opener()
    yield s
    s.close()


def poll(name: str, schedule: str = "0 * * * *", **kw: object) -> TriggerConfig:
    return TriggerConfig(name=name, type="poll", schedule=schedule, **kw)  # type: ignore[arg-type]


def test_activate_and_get(store: TriggerStore) -> None:
    """An activated trigger is stored active with its DAG, type and config."""
    assert store.activate(poll("daily", "0 0 * * *"), dag_nsref="p:etl") is True
    a = store.get_activation("daily")
    assert a is not None
    assert (a["name"], a["dag_nsref"], a["status"], a["trigger_type"]) == (
        "daily",
        "p:etl",
        "active",
        "poll",
    )
    assert a["created_at"] == a["last_run_at"] == a["activated_at"] == T0.timestamp()
    config = json.loads(a["config_json"])
    assert config["schedule"] == "0 0 * * *"
    assert (config["timezone"], config["catchup"], config["overlap"]) == ("UTC", "none", "skip")
    assert store.get_activation("missing") is None


def test_config_json_keeps_policies_and_payload(store: TriggerStore) -> None:
    """The stored config holds poll_fn, timezone, policies and a JSON payload."""
    tc = poll(
        "t",
        poll_fn="json:dumps",
        timezone="Europe/Berlin",
        catchup="all",
        catchup_window=timedelta(hours=6),
        catchup_cap=5,
        overlap="queue",
        payload={"k": 1},
    )
    store.activate(tc, "p:d")
    config = json.loads(store.get_activation("t")["config_json"])  # type: ignore[index]
    assert config == {
        "schedule": "0 * * * *",
        "poll_fn": "json:dumps",
        "timezone": "Europe/Berlin",
        "catchup": "all",
        "catchup_window": 21600.0,
        "catchup_cap": 5,
        "overlap": "queue",
        "payload": {"k": 1},
    }


def test_deactivate(store: TriggerStore) -> None:
    """deactivate sets the status to disabled."""
    store.activate(TriggerConfig(name="t1", type="push"), "p:d")
    store.deactivate("t1")
    assert store.get_activation("t1")["status"] == "disabled"  # type: ignore[index]


async def test_reactivating_an_active_trigger_keeps_its_history(
    store: TriggerStore, clock: FakeClock
) -> None:
    """Activating an active trigger again updates its config but keeps run times and activation time."""
    store.activate(poll("t"), "p:d")
    await clock.advance(hours=2)
    store.update_last_run("t", "run-1")
    before = store.get_activation("t")
    await clock.advance(hours=1)
    assert store.activate(poll("t", "*/5 * * * *"), "p:d2") is True
    after = store.get_activation("t")
    assert after is not None and before is not None
    for col in ("last_run_at", "last_checked_at", "activated_at", "created_at", "last_run_id"):
        assert after[col] == before[col], col
    assert after["dag_nsref"] == "p:d2"
    assert json.loads(after["config_json"])["schedule"] == "*/5 * * * *"


async def test_keep_disabled_and_reenable(store: TriggerStore, clock: FakeClock) -> None:
    """keep_disabled leaves a disabled trigger alone; a plain activate restarts its schedule from now."""
    store.activate(poll("t"), "p:d")
    store.deactivate("t")
    await clock.advance(hours=5)
    assert store.activate(poll("t"), "p:d", keep_disabled=True) is False
    assert store.get_activation("t")["status"] == "disabled"  # type: ignore[index]
    assert store.activate(poll("t"), "p:d") is True
    a = store.get_activation("t")
    assert a is not None and a["status"] == "active"
    now = clock.now().timestamp()
    assert a["activated_at"] == a["last_run_at"] == a["last_checked_at"] == now
    assert a["created_at"] == T0.timestamp()


def test_changed_by_records_the_initiator(store: TriggerStore) -> None:
    """Who changed a trigger is recorded; a silent re-activation keeps the last deliberate change."""
    with initiated_by("alice"):
        store.activate(poll("t"), "p:d")
    assert store.get_activation("t")["changed_by"] == "alice"  # type: ignore[index]
    store.activate(poll("t"), "p:d")  # e.g. a process start: no initiator, no status change
    assert store.get_activation("t")["changed_by"] == "alice"  # type: ignore[index]
    with initiated_by("bob"):
        store.deactivate("t")
    assert store.get_activation("t")["changed_by"] == "bob"  # type: ignore[index]
    store.activate(poll("t"), "p:d")  # status changes, no initiator: nobody is named
    assert store.get_activation("t")["changed_by"] is None  # type: ignore[index]


def test_active_poll_triggers(store: TriggerStore) -> None:
    """Only active triggers of type poll are listed."""
    store.activate(poll("poll1", "0 0 * * *"), "p:a")
    store.activate(TriggerConfig(name="push1", type="push"), "p:b")
    store.activate(poll("poll2"), "p:c")
    store.deactivate("poll2")
    assert [a["name"] for a in store.get_active_poll_triggers()] == ["poll1"]


async def test_events_newest_first(store: TriggerStore, clock: FakeClock) -> None:
    """record_event stores payload, run id and status; get_events lists newest first."""
    store.activate(TriggerConfig(name="t1", type="push"), "p:d")
    first = store.record_event("t1", payload={"key": "value"}, run_id="run-1", status="completed")
    await clock.advance(seconds=1)
    store.record_event("t1", payload={}, run_id="run-2")
    events = store.get_events("t1")
    assert [e["run_id"] for e in events] == ["run-2", "run-1"]
    assert events[1]["event_id"] == first
    assert json.loads(events[1]["payload_json"]) == {"key": "value"}
    assert events[0]["payload_json"] is None
    assert events[0]["status"] == "pending"
    assert [e["run_id"] for e in store.get_events("t1", limit=1)] == ["run-2"]


async def test_update_last_run_and_record_check(store: TriggerStore, clock: FakeClock) -> None:
    """update_last_run moves last_run_at and last_checked_at; record_check only the latter."""
    store.activate(poll("t"), "p:d")
    await clock.advance(minutes=5)
    store.record_check("t")
    a = store.get_activation("t")
    assert a is not None
    assert a["last_checked_at"] == clock.now().timestamp()
    assert a["last_run_at"] == T0.timestamp()
    await clock.advance(minutes=5)
    store.update_last_run("t", "run-9")
    a = store.get_activation("t")
    assert a is not None
    assert a["last_run_at"] == a["last_checked_at"] == clock.now().timestamp()
    assert a["last_run_id"] == "run-9"


def claim(name: str, at: datetime, status: str = "running", event_id: str = "") -> TickClaim:
    return TickClaim(name, at.timestamp(), f"{name}@x", status, None, event_id or f"{name}-{at}")


def test_a_tick_is_claimed_once_across_connections(opener: Any) -> None:
    """Two stores on one database: the second claim of the same tick is refused; a
    disabled trigger's tick too."""
    a, b = opener(), opener()
    try:
        a.activate(poll("t"), "p:d")
        a.activate(poll("off"), "p:d")
        a.deactivate("off")
        tick = T0 + timedelta(hours=1)
        with a._write() as cur:
            assert a.claim_ticks(cur, [claim("t", tick, event_id="e1")], {"t": 7.0}) == ["claimed"]
        with b._write() as cur:
            got = b.claim_ticks(
                cur,
                [claim("t", tick, event_id="e2"), claim("off", tick), claim("nope", tick)],
                {},
            )
        assert got == ["taken", "inactive", "inactive"]
        assert [e["event_id"] for e in a.get_events("t")] == ["e1"]
        assert a.get_activation("t")["next_run_at"] == 7.0  # type: ignore[index]
    finally:
        a.close()
        b.close()


def test_a_batch_of_claims_tells_taken_ticks_from_new_ones(store: TriggerStore) -> None:
    """One claim call with ticks already claimed among new ones: each gets its own outcome,
    and each trigger its next run time (some sharing one)."""
    for name in ("a", "b", "c"):
        store.activate(poll(name), "p:d")
    tick = T0 + timedelta(hours=1)
    with store._write() as cur:
        assert store.claim_ticks(cur, [claim("b", tick, event_id="first-b")], {}) == ["claimed"]
    with store._write() as cur:
        got = store.claim_ticks(
            cur,
            [claim("a", tick, event_id="ea"), claim("b", tick, event_id="eb"), claim("c", tick)],
            {"a": 9.0, "b": 9.0, "c": 11.0},
        )
    assert got == ["claimed", "taken", "claimed"]
    assert [e["event_id"] for e in store.get_events("b")] == ["first-b"]
    nexts = {n: store.get_activation(n)["next_run_at"] for n in ("a", "b", "c")}  # type: ignore[index]
    assert nexts == {"a": 9.0, "b": 9.0, "c": 11.0}


def test_tick_cursor_is_latest_tick_or_activation(store: TriggerStore) -> None:
    """The schedule continues from the latest claimed tick, or from the activation time."""
    store.activate(poll("t"), "p:d")
    store.activate(poll("u"), "p:d")
    with store._write() as cur:
        store.claim_ticks(
            cur, [claim("t", T0 + timedelta(hours=1)), claim("t", T0 + timedelta(hours=3))], {}
        )
    cursors = store.tick_cursors()
    assert cursors["t"] == ("active", (T0 + timedelta(hours=3)).timestamp())
    assert cursors["u"] == ("active", T0.timestamp())


def test_finish_event_and_sweep(store: TriggerStore) -> None:
    """Finishing a tick records status, run and error; sweep_unfinished marks the rest interrupted."""
    store.activate(poll("t"), "p:d")
    with store._write() as cur:
        store.claim_ticks(
            cur,
            [
                claim("t", T0 + timedelta(hours=1), event_id="e1"),
                claim("t", T0 + timedelta(hours=2), event_id="e2"),
                claim("t", T0 + timedelta(hours=3), "queued", event_id="e3"),
            ],
            {},
        )
    store.finish_now(TickResult("e1", "t", "failed", run_id="r1", error="boom", ran=True))
    shared = type(store).__name__ == "PgTriggerStore"
    # A shared (PostgreSQL) store leaves queued ticks to the daemon that queued them.
    assert store.sweep_unfinished() == (1 if shared else 2)
    by_id = {e["event_id"]: e for e in store.get_events("t")}
    assert (by_id["e1"]["status"], by_id["e1"]["error"]) == ("failed", "boom")
    assert by_id["e2"]["status"] == "interrupted"
    assert by_id["e3"]["status"] == ("queued" if shared else "interrupted")
    assert store.get_activation("t")["last_run_id"] == "r1"  # type: ignore[index]


def test_postgres_sweep_leaves_the_ticks_of_runs_still_going(
    pg_server: str, pg_schema: str, clock: FakeClock
) -> None:
    """On a shared database a tick whose run is running (a live peer's) stays running;
    one whose run ended or never began is interrupted."""
    from lythonic.compose.provenance._pg import PgProvenance
    from lythonic.compose.schedule._pg_store import PgTriggerStore

    runs = PgProvenance(pg_server, schema=pg_schema)
    store = PgTriggerStore(pg_server, schema=pg_schema, clock=clock)
    try:
        store.activate(poll("t"), "p:d")
        with store._write() as cur:
            store.claim_ticks(
                cur,
                [
                    TickClaim(
                        "t",
                        (T0 + timedelta(hours=h)).timestamp(),
                        f"r{h}",
                        "running",
                        None,
                        f"e{h}",
                    )
                    for h in (1, 2)
                ],
                {},
            )
        runs.begin_run("r1", "p:d", {})  # r1 is going; r2 never began
        runs.flush()
        assert store.sweep_unfinished() == 1
        by_id = {e["event_id"]: e["status"] for e in store.get_events("t")}
        assert by_id == {"e1": "running", "e2": "interrupted"}
    finally:
        store.close()
        runs.close()


def test_postgres_sweep_takes_the_queued_ticks_of_a_gone_daemon(
    pg_server: str, pg_schema: str, clock: FakeClock
) -> None:
    """A queued or running tick names the process that claimed it: a peer's sweep
    interrupts it once that process has no row in ``run_owners`` (gone), never while it
    has — even before the run of a running tick is on record."""
    from lythonic.compose.provenance._pg import PgProvenance
    from lythonic.compose.schedule._pg_store import PgTriggerStore

    runs = PgProvenance(pg_server, schema=pg_schema)
    live = PgTriggerStore(pg_server, schema=pg_schema, clock=clock)
    gone = PgTriggerStore(pg_server, schema=pg_schema, clock=clock)
    try:
        runs.begin_run("r0", "p:d", {})
        runs.flush()  # the owner row is written with the first batch
        live.owner_id, gone.owner_id = runs.owner_id, "a-daemon-that-died"
        live.activate(poll("t"), "p:d")
        for store, hour in ((live, 1), (gone, 2)):
            at = (T0 + timedelta(hours=hour)).timestamp()
            with store._write() as cur:
                store.claim_ticks(
                    cur, [TickClaim("t", at, f"r{hour}", "queued", None, f"e{hour}")], {}
                )
        assert live.sweep_unfinished() == 1
        by_id = {e["event_id"]: (e["status"], e["owner_id"]) for e in live.get_events("t")}
        assert by_id == {
            "e1": ("queued", runs.owner_id),
            "e2": ("interrupted", "a-daemon-that-died"),
        }
    finally:
        live.close()
        gone.close()
        runs.close()


def test_postgres_version_1_schema_is_upgraded_keeping_its_events(
    pg_server: str, pg_schema: str, clock: FakeClock
) -> None:
    """A schema written at version 1 (no ``owner_id``) gets the column; events stay."""
    from lythonic.compose.schedule._pg_store import PgTriggerStore

    with PgTriggerStore(pg_server, schema=pg_schema, clock=clock) as store:
        store.activate(poll("t"), "p:d")
        event_id = store.record_event("t", status="completed")
    with psycopg.connect(pg_server, autocommit=True) as con:
        con.execute(f"ALTER TABLE {pg_schema}.trigger_events DROP COLUMN owner_id")
        con.execute(
            f"UPDATE {pg_schema}.lythonic_schema SET version = 1 WHERE component = 'triggers'"
        )
    with PgTriggerStore(pg_server, schema=pg_schema, clock=clock) as store:
        assert [(e["event_id"], e["owner_id"]) for e in store.get_events("t")] == [(event_id, None)]
    with psycopg.connect(pg_server, autocommit=True) as con:
        row = con.execute(
            f"SELECT version FROM {pg_schema}.lythonic_schema WHERE component = 'triggers'"
        ).fetchone()
        assert row == (SCHEMA_VERSION,)


async def test_async_writes_batch_and_return_results(store: TriggerStore) -> None:
    """Writes queued together commit in one transaction and each gets its own result."""
    futs = [
        store.awrite(lambda cur, i=i: cur.execute("SELECT ?", (i,)).fetchone()[0]) for i in range(5)
    ]
    assert await asyncio.gather(*futs) == [0, 1, 2, 3, 4]
    assert await store.aread(lambda: store.get_activation("x")) is None


async def test_a_failed_write_fails_its_batch_only(store: TriggerStore) -> None:
    """A failing write op fails its batch; the store keeps working afterwards."""

    def bad(cur: sqlite3.Cursor) -> None:
        cur.execute("INSERT INTO no_such_table VALUES (1)")

    with pytest.raises((sqlite3.OperationalError, psycopg.errors.UndefinedTable)):
        await store.awrite(bad)
    assert await store.awrite(lambda cur: 42) == 42


def test_wal_mode_and_schema_version(sqlite_store: TriggerStore) -> None:
    """The store runs in WAL mode and records its schema version."""
    con = sqlite3.connect(sqlite_store.db_path)
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        rows = con.execute("SELECT component, version FROM lythonic_schema").fetchall()
        assert rows == [("triggers", SCHEMA_VERSION)]
    finally:
        con.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    """A file written by a newer schema version is refused with a clear message."""
    db = tmp_path / "t.db"
    TriggerStore(db).close()
    con = sqlite3.connect(db)
    con.execute(
        "UPDATE lythonic_schema SET version = ? WHERE component = 'triggers'", (SCHEMA_VERSION + 1,)
    )
    con.commit()
    con.close()
    with pytest.raises(
        TriggerStoreError, match=rf"schema version {SCHEMA_VERSION + 1}.*upgrade lythonic"
    ):
        TriggerStore(db)


def test_a_file_with_the_old_version_table_moves_to_lythonic_schema(tmp_path: Path) -> None:
    """A trigger store written before ``lythonic_schema`` (version in ``trigger_schema``)
    keeps its rows; its version moves to the shared table and the old table goes."""
    db = tmp_path / "t.db"
    con = sqlite3.connect(db)
    con.executescript(
        """
        CREATE TABLE trigger_activations (name TEXT PRIMARY KEY, dag_nsref TEXT NOT NULL,
            trigger_type TEXT NOT NULL, status TEXT NOT NULL, last_run_at REAL,
            next_run_at REAL, last_run_id TEXT, created_at REAL NOT NULL, config_json TEXT,
            changed_by TEXT, changed_at REAL, last_checked_at REAL, activated_at REAL);
        CREATE TABLE trigger_events (event_id TEXT PRIMARY KEY, trigger_name TEXT NOT NULL,
            fired_at REAL NOT NULL, run_id TEXT, payload_json TEXT, status TEXT NOT NULL,
            scheduled_at REAL, finished_at REAL, error TEXT);
        CREATE TABLE trigger_schema (version INTEGER NOT NULL);
        INSERT INTO trigger_schema VALUES (1);
        INSERT INTO trigger_activations (name, dag_nsref, trigger_type, status, created_at)
            VALUES ('nightly', 'etl', 'cron', 'disabled', 1.0);
        """
    )
    con.commit()
    con.close()
    with TriggerStore(db) as store:
        assert store.get_activation("nightly") is not None
    con = sqlite3.connect(db)
    try:
        assert con.execute("SELECT * FROM lythonic_schema").fetchall() == [
            ("triggers", SCHEMA_VERSION)
        ]
        columns = {r[1] for r in con.execute("PRAGMA table_info(trigger_events)")}
        assert "owner_id" in columns
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "trigger_schema" not in tables
        assert con.execute("SELECT status FROM trigger_activations").fetchall() == [("disabled",)]
    finally:
        con.close()


def test_an_old_file_with_a_newer_version_is_refused(tmp_path: Path) -> None:
    """The version of the old ``trigger_schema`` table is honoured: newer is refused."""
    db = tmp_path / "t.db"
    con = sqlite3.connect(db)
    con.executescript(
        "CREATE TABLE trigger_schema (version INTEGER NOT NULL); INSERT INTO trigger_schema VALUES (9);"
    )
    con.close()
    with pytest.raises(TriggerStoreError, match="schema version 9"):
        TriggerStore(db)


def test_upstream_tables_are_migrated(tmp_path: Path) -> None:
    """Tables from upstream lythonic 0.0.24 gain the new columns and keep their rows."""
    db = tmp_path / "t.db"
    con = sqlite3.connect(db)
    con.execute(
        "CREATE TABLE trigger_activations (name TEXT PRIMARY KEY, dag_nsref TEXT NOT NULL, "
        "trigger_type TEXT NOT NULL, status TEXT NOT NULL, last_run_at REAL, next_run_at REAL, "
        "last_run_id TEXT, created_at REAL NOT NULL, config_json TEXT)"
    )
    con.execute(
        "CREATE TABLE trigger_events (event_id TEXT PRIMARY KEY, trigger_name TEXT NOT NULL, "
        "fired_at REAL NOT NULL, run_id TEXT, payload_json TEXT, status TEXT NOT NULL)"
    )
    con.execute(
        "INSERT INTO trigger_activations VALUES ('old', 'p:d', 'poll', 'disabled', 1, NULL, NULL, 1, '{}')"
    )
    con.execute("INSERT INTO trigger_events VALUES ('e', 'old', 2, 'r', NULL, 'completed')")
    con.commit()
    con.close()
    with TriggerStore(db) as store:
        a = store.get_activation("old")
        assert a is not None and a["status"] == "disabled" and a["changed_by"] is None
        assert {"last_checked_at", "activated_at"} <= a.keys()
        assert store.get_events("old")[0]["scheduled_at"] is None
        assert store.activate(poll("old"), "p:d", keep_disabled=True) is False


def test_trigger_without_a_name_is_refused(store: TriggerStore) -> None:
    """Activating an unnamed trigger fails with a message saying what to do."""
    with pytest.raises(TriggerConfigError, match="has no name"):
        store.activate(poll("x").model_copy(update={"name": None}), "p:d")


def test_bad_cron_or_timezone_fails_validation() -> None:
    """TriggerConfig rejects a bad schedule or timezone when it is built."""
    with pytest.raises(ValidationError, match="out of range in the minute field"):
        TriggerConfig(name="t", schedule="99 * * * *")
    with pytest.raises(ValidationError, match="unknown timezone"):
        TriggerConfig(name="t", schedule="0 * * * *", timezone="Nowhere/Town")


def test_spec_from_config_resolves_defaults() -> None:
    """A TriggerConfig without policies gives a spec with the defaults filled in."""
    spec = TriggerSpec.from_config(poll("t"), "p:d")
    assert (spec.timezone, spec.catchup, spec.catchup_cap, spec.overlap, spec.enabled) == (
        "UTC",
        "none",
        100,
        "skip",
        True,
    )
    assert spec.scheduled
    assert not TriggerSpec.from_config(TriggerConfig(name="p", type="push"), "p:d").scheduled
    with pytest.raises(TriggerConfigError, match="overlap 'never'"):
        TriggerSpec("t", "p:d", overlap="never")  # type: ignore[arg-type]


# -- PostgreSQL only ---------------------------------------------------------------


def test_postgres_claims_each_tick_exactly_once_under_a_race(
    pg_server: str, pg_schema: str, clock: FakeClock
) -> None:
    """Four stores (four connections, as four daemons) race to claim the same 2,000
    ticks, each under its own event ids: exactly 2,000 claims succeed in all."""
    import threading

    from lythonic.compose.schedule._pg_store import PgTriggerStore

    stores = [PgTriggerStore(pg_server, schema=pg_schema, clock=clock) for _ in range(4)]
    try:
        for i in range(10):
            stores[0].activate(poll(f"t{i}"), "p:d")
        ticks = [(f"t{i % 10}", T0 + timedelta(seconds=i // 10)) for i in range(2000)]
        won: list[int] = [0] * 4
        start = threading.Barrier(4)

        def race(k: int) -> None:
            start.wait()
            for j in range(0, 2000, 100):  # in bursts, as a scheduler claims
                batch = [
                    claim(n, at, event_id=f"d{k}-{j + x}")
                    for x, (n, at) in enumerate(ticks[j : j + 100])
                ]
                with stores[k]._write() as cur:
                    won[k] += stores[k].claim_ticks(cur, batch, {}).count("claimed")

        threads = [threading.Thread(target=race, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sum(won) == 2000
        assert sum(len(stores[0].get_events(f"t{i}")) for i in range(10)) == 2000
    finally:
        for s in stores:
            s.close()


def test_postgres_daemons_starting_together_create_the_tables_once(
    pg_server: str, pg_schema: str
) -> None:
    """Stores opening an empty schema at the same moment all succeed (the tables are
    created under an advisory lock)."""
    import threading

    from lythonic.compose.schedule._pg_store import PgTriggerStore

    opened: list[PgTriggerStore] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def open_one() -> None:
        start.wait()
        try:
            opened.append(PgTriggerStore(pg_server, schema=pg_schema))
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for s in opened:
        s.close()
    assert errors == [] and len(opened) == 4


def test_postgres_refuses_a_newer_schema_and_a_bad_schema_name(
    pg_server: str, pg_schema: str
) -> None:
    from lythonic.compose.schedule._pg_store import PgTriggerStore

    PgTriggerStore(pg_server, schema=pg_schema).close()
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f"UPDATE {pg_schema}.lythonic_schema SET version = 99")
    with pytest.raises(TriggerStoreError, match="schema version 99, this lythonic knows"):
        PgTriggerStore(pg_server, schema=pg_schema)
    with pytest.raises(TriggerStoreError, match="lower-case letters"):
        PgTriggerStore(pg_server, schema="Robert'); DROP TABLE x;--")


def test_postgres_unreachable_is_one_line_without_the_password() -> None:
    from lythonic.compose.schedule._pg_store import PgTriggerStore

    with pytest.raises(TriggerStoreError) as caught:
        PgTriggerStore("postgresql://me:s3cret@127.0.0.1:1/db?connect_timeout=2")
    assert "cannot connect to PostgreSQL at postgresql://me@127.0.0.1:1/db" in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_postgres_overlap_holds_across_schedulers(
    pg_server: str, pg_schema: str, clock: FakeClock
) -> None:
    """A run of a trigger going on one scheduler: another scheduler's tick of it is
    recorded skipped (`busy`) under overlap skip, and runs under overlap allow."""
    from lythonic.compose.schedule._pg_store import PgTriggerStore

    a = PgTriggerStore(pg_server, schema=pg_schema, clock=clock)
    b = PgTriggerStore(pg_server, schema=pg_schema, clock=clock)
    try:
        a.activate(poll("t"), "p:d")

        def tick(store: PgTriggerStore, hour: int, overlap: str) -> str:
            at = (T0 + timedelta(hours=hour)).timestamp()
            one = TickClaim("t", at, f"t@{hour}", "running", None, f"e{hour}", overlap)
            with store._write() as cur:
                return store.claim_ticks(cur, [one], {})[0]

        assert tick(a, 1, "skip") == "claimed"
        assert tick(b, 2, "skip") == "busy"
        assert tick(b, 3, "allow") == "claimed"
        events = {e["event_id"]: (e["status"], e["run_id"]) for e in a.get_events("t")}
        assert events == {
            "e1": ("running", "t@1"),
            "e2": ("skipped", None),
            "e3": ("running", "t@3"),
        }
    finally:
        a.close()
        b.close()
