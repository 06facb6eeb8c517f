"""DagProvenance as a store: upstream's API, SQLite discipline, schema migration,
concurrent processes, sweeping interrupted runs, retention."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from lythonic.compose.dag_provenance import (
    SCHEMA_VERSION,
    DagProvenance,
    NullProvenance,
    ProvenanceSchemaError,
    initiated_by,
)
from lythonic.compose.dag_runner import DagRunner
from lythonic.compose.namespace import Dag
from lythonic.compose.provenance import _sqlite as _provenance_sqlite


class Clock:
    """A settable clock (epoch seconds)."""

    def __init__(self, t: float = 1_700_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path):
    """The run store in a SQLite file, and on PostgreSQL (a schema of this test's own)."""
    if request.param == "sqlite":
        prov = DagProvenance(tmp_path / "runs.db")
    else:
        from lythonic.compose.provenance._pg import PgProvenance

        url = request.getfixturevalue("pg_server")
        prov = PgProvenance(url, schema=request.getfixturevalue("pg_schema"))
    yield prov
    prov.close()


# -- upstream's write and read API --------------------------------------------


def test_create_and_get_run(store: DagProvenance):
    """create_run records a running run with its inputs as JSON."""
    store.create_run("run-1", "pipelines:daily", {"fetch": {"ticker": "AAPL"}})
    run = store.get_run("run-1")
    assert run is not None
    assert (run["run_id"], run["dag_nsref"], run["status"]) == (
        "run-1",
        "pipelines:daily",
        "running",
    )
    assert run["started_at"] > 0 and run["finished_at"] is None
    assert json.loads(run["source_inputs_json"]) == {"fetch": {"ticker": "AAPL"}}
    assert store.get_run("nope") is None


def test_create_run_takes_the_initiator_from_the_context(store: DagProvenance):
    """Without an explicit initiator, create_run records run_initiator."""
    with initiated_by("alice"):
        store.create_run("r", "p:d", {})
    store.create_run("r2", "p:d", {}, initiator="bob")
    assert store.get_run("r")["initiated_by"] == "alice"  # type: ignore[index]
    assert store.get_run("r2")["initiated_by"] == "bob"  # type: ignore[index]


def test_update_and_finish_run(store: DagProvenance):
    """update_run_status leaves finished_at alone; finish_run sets it and the sink outputs."""
    store.create_run("r", "p:d", {})
    store.update_run_status("r", "paused")
    run = store.get_run("r")
    assert run is not None and run["status"] == "paused" and run["finished_at"] is None
    store.finish_run("r", "completed", '{"sink": 1}')
    run = store.get_run("r")
    assert run is not None and run["status"] == "completed"
    assert run["finished_at"] is not None and run["sink_outputs_json"] == '{"sink": 1}'


def test_node_lifecycle_through_the_raw_api(store: DagProvenance):
    """record_node_start/complete/failed/skipped store the JSON text they are given."""
    store.create_run("r", "p:d", {})
    store.record_node_start("r", "fetch", '{"ticker": "AAPL"}', is_source=True)
    store.record_node_complete("r", "fetch", '{"price": 150.0}')
    store.record_node_start("r", "compute", "{}")
    store.record_node_failed("r", "compute", "Connection timeout")
    store.record_node_skipped("r", "old", '{"v": 1}')
    rows = {r["node_label"]: r for r in store.get_node_executions("r")}
    assert rows["fetch"]["status"] == "completed" and rows["fetch"]["is_source"] is True
    assert rows["fetch"]["output_json"] == '{"price": 150.0}'
    assert rows["fetch"]["finished_at"] is not None
    assert (
        rows["compute"]["status"] == "failed" and rows["compute"]["error"] == "Connection timeout"
    )
    assert rows["old"]["status"] == "skipped" and rows["old"]["output_json"] == '{"v": 1}'
    assert store.get_node_output("r", "fetch") == '{"price": 150.0}'
    assert store.get_node_output("r", "old") == '{"v": 1}'
    assert store.get_node_output("r", "compute") is None
    assert store.get_pending_nodes("r") == ["compute"]


def test_complete_with_edges_and_fail_with_run(store: DagProvenance):
    """complete_node_with_edges records the edges; fail_node_and_finish_run fails both."""
    store.create_run("r", "p:d", {})
    store.record_node_start("r", "a", "{}")
    store.complete_node_with_edges("r", "a", "1", [("a", "b"), ("a", "c")])
    store.record_node_start("r", "b", "{}")
    store.fail_node_and_finish_run("r", "b", "trace")
    edges = store.get_edge_traversals("r")
    assert [(e["upstream_label"], e["downstream_label"]) for e in edges] == [("a", "b"), ("a", "c")]
    run = store.get_run("r")
    assert run is not None and run["status"] == "failed" and run["finished_at"] is not None


def test_null_provenance_reads_find_nothing():
    """NullProvenance accepts every write and finds no run."""
    null = NullProvenance()
    null.create_run("r", "p:d", {})
    null.record_node_complete("r", "a", "1")
    assert null.get_run("r") is None
    assert null.get_node_executions("r") == []
    assert null.inspect_run("r") is None
    assert null.sweep_interrupted() == []
    assert null.prune(1) == 0


# -- SQLite discipline -----------------------------------------------------------


def _chain(n: int) -> Dag:
    async def step(x: int) -> int:
        return x + 1

    dag = Dag()
    prev = dag.node(step, label="n0")
    for i in range(1, n):
        cur = dag.node(step, label=f"n{i}")
        prev >> cur
        prev = cur
    return dag


async def test_one_connection_batched_immediate_transactions(tmp_path: Path, monkeypatch):
    """All writes of many runs go through one connection, in few BEGIN IMMEDIATE transactions."""
    opened: list[sqlite3.Connection] = []
    statements: list[str] = []
    real_connect = _provenance_sqlite.connect

    def counting_connect(path: Path) -> sqlite3.Connection:
        conn = real_connect(path)
        if threading.current_thread().name.startswith("lythonic-provenance"):  # the writer's
            conn.set_trace_callback(statements.append)
            opened.append(conn)
        return conn

    monkeypatch.setattr(_provenance_sqlite, "connect", counting_connect)
    store = DagProvenance(tmp_path / "runs.db")
    runner = DagRunner(_chain(200), provenance=store)
    for _ in range(5):
        result = await runner.run(source_inputs={"n0": {"x": 0}})
        assert result.outputs == {"n199": 200}
    await store.aflush()
    assert len(opened) == 1
    begins = [s for s in statements if s.startswith("BEGIN")]
    commits = [s for s in statements if s == "COMMIT"]
    assert begins and all(s == "BEGIN IMMEDIATE" for s in begins)
    assert len(commits) <= 10  # 1,000 node rows, 5 runs: batched, not a commit per write
    assert len(store.get_node_executions(result.run_id)) == 200
    store.close()


def test_wal_mode_and_schema_version(tmp_path: Path):
    """The file is in WAL mode and carries the schema version."""
    store = DagProvenance(tmp_path / "runs.db")
    store.close()
    conn = sqlite3.connect(store.db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    version = conn.execute(
        "SELECT version FROM lythonic_schema WHERE component = 'provenance'"
    ).fetchone()[0]
    assert version == SCHEMA_VERSION


async def test_reads_see_the_final_state_right_after_a_run(tmp_path: Path):
    """After `await runner.run(...)`, get_run shows the final status without an explicit flush."""
    store = DagProvenance(tmp_path / "runs.db", flush_interval=5.0)
    result = await DagRunner(_chain(3), provenance=store).run(source_inputs={"n0": {"x": 1}})
    run = store.get_run(result.run_id)
    assert run is not None and run["status"] == "completed"
    assert json.loads(run["sink_outputs_json"]) == {"n2": 4}
    store.close()


def test_close_makes_writes_durable_for_another_store(tmp_path: Path):
    """What one store queued is visible to a new store on the same file after close()."""
    first = DagProvenance(tmp_path / "runs.db", flush_interval=5.0)
    first.create_run("r", "p:d", {"a": {"x": 1}})
    first.close()
    second = DagProvenance(tmp_path / "runs.db")
    assert second.get_run("r") is not None
    second.close()


def test_stale_after_must_exceed_the_heartbeat(tmp_path: Path):
    """A sweep limit shorter than two heartbeats is refused (live runs would be swept)."""
    with pytest.raises(ValueError, match="heartbeat_interval"):
        DagProvenance(tmp_path / "runs.db", heartbeat_interval=10, stale_after=15)


# -- schema migration ------------------------------------------------------------

_UPSTREAM_0_0_24_DDL = [
    """CREATE TABLE IF NOT EXISTS dag_runs (
    run_id TEXT PRIMARY KEY,
    dag_nsref TEXT NOT NULL,
    parent_run_id TEXT,
    status TEXT NOT NULL,
    started_at REAL NOT NULL,
    finished_at REAL,
    source_inputs_json TEXT,
    sink_outputs_json TEXT,
    FOREIGN KEY (parent_run_id) REFERENCES dag_runs(run_id)
)""",
    """CREATE TABLE IF NOT EXISTS node_executions (
    run_id TEXT NOT NULL,
    node_label TEXT NOT NULL,
    status TEXT NOT NULL,
    is_source INTEGER DEFAULT 0,
    is_sink INTEGER DEFAULT 0,
    input_json TEXT,
    output_json TEXT,
    started_at REAL,
    finished_at REAL,
    error TEXT,
    PRIMARY KEY (run_id, node_label),
    FOREIGN KEY (run_id) REFERENCES dag_runs(run_id)
)""",
    """CREATE TABLE IF NOT EXISTS edge_traversals (
    run_id TEXT NOT NULL,
    upstream_label TEXT NOT NULL,
    downstream_label TEXT NOT NULL,
    traversed_at REAL NOT NULL,
    PRIMARY KEY (run_id, upstream_label, downstream_label),
    FOREIGN KEY (run_id) REFERENCES dag_runs(run_id)
)""",
]


@pytest.mark.parametrize("with_initiated_by", [False, True], ids=["0.0.24", "0.0.28"])
def test_upstream_database_migrates_on_open(tmp_path: Path, with_initiated_by: bool):
    """A file written by upstream lythonic opens, keeps its runs, and takes new ones."""
    path = tmp_path / "dags.db"
    conn = sqlite3.connect(path)
    for ddl in _UPSTREAM_0_0_24_DDL:
        conn.execute(ddl)
    if with_initiated_by:
        conn.execute("ALTER TABLE dag_runs ADD COLUMN initiated_by TEXT")
    conn.execute(
        "INSERT INTO dag_runs (run_id, dag_nsref, status, started_at, finished_at, "
        "source_inputs_json) VALUES ('old', 'p:d', 'completed', 100.0, 101.0, '{}')"
    )
    conn.execute(
        "INSERT INTO dag_runs (run_id, dag_nsref, status, started_at) "
        "VALUES ('stuck', 'p:d', 'running', 200.0)"
    )
    conn.execute(
        "INSERT INTO node_executions (run_id, node_label, status, output_json, started_at) "
        "VALUES ('old', 'a', 'completed', '{\"v\": 1}', 100.5)"
    )
    conn.execute(
        "INSERT INTO edge_traversals VALUES ('old', 'a', 'b', 100.7)",
    )
    conn.commit()
    conn.close()

    store = DagProvenance(path)
    old = store.inspect_run("old")
    assert old is not None and old.status == "completed" and old.initiated_by is None
    assert old.nodes["a"].attempt == 1 and old.nodes["a"].edges[0].downstream_label == "b"
    assert store.get_node_output("old", "a") == '{"v": 1}'
    store.create_run("new", "p:d", {"a": {"x": 1}}, initiator="me")
    assert store.get_run("new")["initiated_by"] == "me"  # type: ignore[index]
    # The upstream run left "running" has no owner: the sweep finds it.
    assert store.sweep_interrupted() == ["stuck"]
    assert store.get_run("stuck")["status"] == "interrupted"  # type: ignore[index]
    store.close()
    version = sqlite3.connect(path).execute("SELECT version FROM lythonic_schema").fetchone()[0]
    assert version == SCHEMA_VERSION


def test_newer_schema_is_refused_with_a_clear_message(tmp_path: Path):
    """A file from a newer lythonic is not touched; the error says what to do."""
    path = tmp_path / "runs.db"
    DagProvenance(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE lythonic_schema SET version = 99 WHERE component = 'provenance'")
    conn.commit()
    conn.close()
    with pytest.raises(ProvenanceSchemaError, match=r"version 99, newer .* upgrade lythonic"):
        DagProvenance(path)


# -- several processes, crashes, sweeping -----------------------------------------

_WRITER_SCRIPT = """
import asyncio, sys
from pathlib import Path
from lythonic.compose.dag_provenance import DagProvenance
from lythonic.compose.dag_runner import DagRunner
from lythonic.compose.namespace import Dag

async def step(x: int) -> int:
    await asyncio.sleep(0)
    return x + 1

def chain(n):
    dag = Dag()
    prev = dag.node(step, label="n0")
    for i in range(1, n):
        cur = dag.node(step, label=f"n{i}")
        prev >> cur
        prev = cur
    return dag

async def main(path, tag):
    store = DagProvenance(Path(path), flush_interval=0.005)
    runner = DagRunner(chain(20), provenance=store)
    print("ready", flush=True)
    sys.stdin.readline()  # both processes start writing together
    for i in range(RUNS):
        result = await runner.run(source_inputs={"n0": {"x": i}}, dag_nsref=tag)
        assert result.status == "completed", result
    # no close(): the store commits what is queued when the interpreter exits

RUNS = 200
asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


@pytest.mark.slow
def test_two_processes_write_one_store_concurrently(tmp_path: Path):
    """Two processes recording runs into one file both succeed and lose nothing."""
    script = tmp_path / "writer.py"
    script.write_text(_WRITER_SCRIPT)
    path = tmp_path / "shared.db"
    DagProvenance(path).close()  # schema in place before both start
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(path), f"proc:{i}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "locked" not in err and "ERROR" not in err, err
    conn = sqlite3.connect(path)
    for i in range(2):
        runs = conn.execute(
            "SELECT count(*), sum(status = 'completed') FROM dag_runs WHERE dag_nsref = ?",
            (f"proc:{i}",),
        ).fetchone()
        assert runs == (200, 200)
    assert conn.execute("SELECT count(*) FROM node_executions").fetchone()[0] == 2 * 200 * 20
    assert conn.execute("SELECT count(*) FROM edge_traversals").fetchone()[0] == 2 * 200 * 19


_HANGING_SCRIPT = """
import asyncio, sys
from pathlib import Path
from lythonic.compose.dag_provenance import DagProvenance
from lythonic.compose.dag_runner import DagRunner
from lythonic.compose.namespace import Dag

async def first(x: int) -> int:
    return x + 1

async def hang(y: int) -> int:
    print("HANGING", flush=True)
    await asyncio.sleep(3600)
    return y

dag = Dag()
dag.node(first) >> dag.node(hang)
store = DagProvenance(Path(sys.argv[1]), flush_interval=0.01)
asyncio.run(DagRunner(dag, provenance=store).run(source_inputs={"first": {"x": 1}}, dag_nsref="t:hang"))
"""


def _wait_for(predicate: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")


@pytest.mark.slow
def test_kill_9_mid_run_then_sweep_marks_it_interrupted(tmp_path: Path):
    """A run whose process is SIGKILLed stays recognisable and is swept to interrupted."""
    script = tmp_path / "hang.py"
    script.write_text(_HANGING_SCRIPT)
    path = tmp_path / "runs.db"
    observer = DagProvenance(path)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "HANGING"

        def hang_recorded() -> Any:
            runs = observer.get_recent_runs(top_level_only=True)
            if runs and "hang" in runs[0].nodes:
                return runs[0]
            return None

        run = _wait_for(hang_recorded)
        assert run.status == "running"
        assert observer.sweep_interrupted() == []  # the owner is alive: left alone
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert observer.sweep_interrupted() == [run.run_id]
    after = observer.inspect_run(run.run_id)
    assert after is not None and after.status == "interrupted"
    assert f"pid {proc.pid}" in (after.error or "")
    assert after.nodes["first"].status == "completed"
    assert after.nodes["hang"].status == "interrupted"
    assert observer.sweep_interrupted() == []
    observer.close()


def _fake_owner(path: Path, owner_id: str, *, host: str, pid: int, beat: float, proc_start: Any):
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO run_owners VALUES (?, ?, ?, ?, ?, ?)",
        (owner_id, pid, host, proc_start, beat, beat),
    )
    conn.execute(
        "INSERT INTO dag_runs (run_id, dag_nsref, status, started_at, owner_id) "
        "VALUES (?, 'p:d', 'running', ?, ?)",
        (f"run-{owner_id}", beat, owner_id),
    )
    conn.commit()
    conn.close()


def test_sweep_judges_owners_by_heartbeat_pid_and_start_time(tmp_path: Path):
    """Remote owners live by heartbeat; local ones by pid and process start time."""
    clock = Clock()
    path = tmp_path / "runs.db"
    store = DagProvenance(path, clock=clock, heartbeat_interval=5, stale_after=60)
    now = clock.t
    _fake_owner(path, "remote-fresh", host="elsewhere", pid=1, beat=now - 10, proc_start=None)
    _fake_owner(path, "remote-stale", host="elsewhere", pid=1, beat=now - 120, proc_start=None)
    here = socket.gethostname()
    _fake_owner(path, "me-other-start", host=here, pid=os.getpid(), beat=now, proc_start="1")
    from lythonic._process import proc_start

    _fake_owner(
        path,
        "me-alive",
        host=here,
        pid=os.getpid(),
        beat=now - 999,
        proc_start=proc_start(os.getpid()),
    )
    swept = set(store.sweep_interrupted())
    assert swept == {"run-remote-stale", "run-me-other-start"}

    def owners() -> set[str]:
        with sqlite3.connect(path) as con:
            return {r[0] for r in con.execute("SELECT owner_id FROM run_owners")}

    # The rows of owners found gone go with their runs; a live process's stays,
    # however old its heartbeat (a SQLite store beats only while runs are in flight).
    assert owners() >= {"remote-fresh", "me-alive"}
    assert not owners() & {"remote-stale", "me-other-start"}
    clock.t += 120
    assert store.sweep_interrupted() == ["run-remote-fresh"]
    assert "remote-fresh" not in owners() and "me-alive" in owners()
    store.close()


async def test_sweep_leaves_this_stores_live_runs_alone(tmp_path: Path):
    """A run this store is executing is never swept, even by itself."""
    import asyncio

    store = DagProvenance(tmp_path / "runs.db")
    started = asyncio.Event()

    async def wait_here(x: int) -> int:
        started.set()
        await asyncio.sleep(0.2)
        return x

    dag = Dag()
    dag.node(wait_here)
    task = asyncio.create_task(
        DagRunner(dag, provenance=store).run(source_inputs={"wait_here": {"x": 1}})
    )
    await started.wait()
    assert await asyncio.to_thread(store.sweep_interrupted) == []
    assert (await task).status == "completed"
    store.close()


async def test_heartbeat_refreshes_while_runs_are_in_flight(tmp_path: Path):
    """The owner row's heartbeat advances while a run is in flight."""
    import asyncio

    clock = Clock()
    store = DagProvenance(tmp_path / "runs.db", clock=clock, heartbeat_interval=0.05, stale_after=1)

    async def slow(x: int) -> int:
        await asyncio.sleep(0.3)
        return x

    dag = Dag()
    dag.node(slow)
    task = asyncio.create_task(
        DagRunner(dag, provenance=store).run(source_inputs={"slow": {"x": 1}})
    )
    await asyncio.sleep(0.1)
    first = store._read(
        lambda c: c.execute(
            "SELECT heartbeat_at FROM run_owners WHERE owner_id = ?", (store.owner_id,)
        ).fetchone()
    )
    clock.t += 100
    await asyncio.sleep(0.15)
    second = store._read(
        lambda c: c.execute(
            "SELECT heartbeat_at FROM run_owners WHERE owner_id = ?", (store.owner_id,)
        ).fetchone()
    )
    assert first is not None and second is not None and second[0] >= first[0] + 100
    await task
    store.close()


# -- retention, listing and IO ---------------------------------------------------------


def _map_dag() -> Dag:
    async def items(n: int) -> list[int]:
        return list(range(n))

    async def inc(x: int) -> int:
        return x + 1

    async def total(values: list[int]) -> int:
        return sum(values)

    sub = Dag()
    sub.node(inc)
    dag = Dag()
    dag.node(items) >> dag.map(sub, label="each") >> dag.node(total)
    return dag


async def test_prune_deletes_old_runs_with_their_children(tmp_path: Path):
    """prune(days) removes old finished top-level runs, their child runs, nodes and edges."""
    clock = Clock()
    store = DagProvenance(tmp_path / "runs.db", clock=clock)
    runner = DagRunner(_map_dag(), provenance=store)
    old = await runner.run(source_inputs={"items": {"n": 3}})
    clock.t += 10 * 86400
    new = await runner.run(source_inputs={"items": {"n": 2}})
    store.create_run("still-running", "p:d", {})
    assert len(store.get_child_runs(old.run_id)) == 3
    clock.t += 1
    assert store.prune(7) == 4  # the old run and its three children
    assert store.get_run(old.run_id) is None
    assert store.get_child_runs(old.run_id) == []
    assert store.get_node_executions(old.run_id) == []
    assert store.get_run(new.run_id) is not None
    assert len(store.get_child_runs(new.run_id)) == 2
    clock.t += 30 * 86400
    store.finish_run("still-running", "completed")
    assert store.prune(0) == 4  # the new run, its 2 children and the finished one
    store.close()


async def test_recent_runs_top_level_filter_and_nesting(tmp_path: Path):
    """get_recent_runs can leave child runs out; children hang under their map node."""
    store = DagProvenance(tmp_path / "runs.db")
    result = await DagRunner(_map_dag(), provenance=store).run(
        source_inputs={"items": {"n": 2}}, dag_nsref="t:mapped"
    )
    everything = store.get_recent_runs()
    top = store.get_recent_runs(top_level_only=True)
    assert len(everything) == 3
    assert [r.run_id for r in top] == [result.run_id]
    each = top[0].nodes["each"]
    assert set(each.sub_dags or {}) == {"each[0]", "each[1]"}
    assert store.get_recent_runs(dag_nsref="t:other") == []
    flat = store.get_recent_runs(top_level_only=True, children=False)
    assert flat[0].nodes["each"].sub_dags is None
    inspected = store.inspect_run(result.run_id, children=False)
    assert inspected is not None and inspected.nodes["each"].sub_dags is None
    assert store.get_active_runs() == []
    store.close()


async def test_large_values_are_left_out_when_asked(tmp_path: Path):
    """load_io(max_bytes=...) skips big JSON texts but reports their size; load_io() loads all."""
    store = DagProvenance(tmp_path / "runs.db")

    async def big(n: int) -> str:
        return "x" * n

    dag = Dag()
    dag.node(big)
    result = await DagRunner(dag, provenance=store).run(source_inputs={"big": {"n": 100_000}})
    run = store.inspect_run(result.run_id)
    assert run is not None and run.nodes["big"].io is None  # inspect_run never loads values
    store.load_io(run, max_bytes=65536)
    io = run.nodes["big"].io
    assert io is not None and io.output_json is None and (io.output_size or 0) > 100_000
    assert io.input_json == '{"n":100000}'
    store.load_io(run)
    assert run.nodes["big"].io is not None and len(run.nodes["big"].io.output_json or "") > 100_000
    store.close()


def test_a_bad_row_costs_only_itself(store: DagProvenance, caplog):
    """A row the database rejects is logged and dropped; the rest of its batch is kept."""
    store.create_run("good", "p:d", {})
    store.create_run("bad", None, {})  # type: ignore[arg-type]  # violates NOT NULL
    store.record_node_start("good", "a", "{}")
    assert store.get_run("good") is not None
    assert store.get_run("bad") is None
    assert [r["node_label"] for r in store.get_node_executions("good")] == ["a"]
    assert "dropped a provenance row" in caplog.text


async def test_a_cancelled_run_leaves_no_step_running(tmp_path: Path):
    """Cancelling a run ends the steps it was running too (interrupted), not only the run."""
    import asyncio

    async def nap(seconds: float) -> float:
        await asyncio.sleep(seconds)
        return seconds

    dag = Dag()
    dag.node(nap)
    with DagProvenance(tmp_path / "runs.db") as store:
        runner = DagRunner(dag, provenance=store)
        task = asyncio.create_task(
            runner.run(source_inputs={"nap": {"seconds": 30}}, run_id="r-cancel")
        )
        await asyncio.sleep(0.05)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        store.flush()
        run = store.get_run("r-cancel") or {}
        nodes = store.get_node_executions("r-cancel")
    assert run["status"] == "cancelled"
    assert [(n["node_label"], n["status"]) for n in nodes] == [("nap", "interrupted")]
    assert nodes[0]["finished_at"] is not None


async def test_a_failed_run_closes_the_steps_it_cancelled(tmp_path: Path):
    """When one step fails, its siblings still running are recorded cancelled, not left running."""
    import asyncio

    async def slow() -> int:
        await asyncio.sleep(30)
        return 1

    async def bad() -> str:
        await asyncio.sleep(0.01)
        raise ValueError("boom")

    dag = Dag()
    dag.node(slow)
    dag.node(bad)
    with DagProvenance(tmp_path / "runs.db") as store:
        result = await DagRunner(dag, provenance=store).run(run_id="r-failed")
        store.flush()
        nodes = {n["node_label"]: n for n in store.get_node_executions("r-failed")}
        pending = store.get_pending_nodes("r-failed")
    assert result.status == "failed"
    assert {label: n["status"] for label, n in nodes.items()} == {
        "slow": "cancelled",
        "bad": "failed",
    }
    assert nodes["slow"]["finished_at"] is not None
    assert sorted(pending) == ["bad", "slow"]


def test_ending_a_run_closes_rows_left_running(store: DagProvenance):
    """Through the raw API too, a run that ends completed or paused leaves no node running."""
    for run_id, status in (("c", "completed"), ("p", "paused")):
        store.create_run(run_id, "pkg:dag", "{}")
        store.record_node_start(run_id, "done", "{}")
        store.record_node_complete(run_id, "done", "1")
        store.record_node_start(run_id, "open", "{}")
        store.flush()
        store.finish_run(run_id, status)
        store.flush()
        rows = {n["node_label"]: n["status"] for n in store.get_node_executions(run_id)}
        assert rows == {"done": "completed", "open": "cancelled"}, status


def test_the_sqlite_store_implements_both_contracts(tmp_path: Path) -> None:
    """What a PostgreSQL store must also provide: the write side the runner calls and
    the read side restart, replay, the CLI and the daemon use (checked by mypy too)."""
    from lythonic.compose.dag_provenance import ProvenanceStore, RunHistory

    store = DagProvenance(tmp_path / "runs.db")
    try:
        history: RunHistory = store
        writer: ProvenanceStore = store
        assert isinstance(history, RunHistory) and isinstance(writer, ProvenanceStore)
        assert isinstance(NullProvenance(), RunHistory)  # an empty history: nothing recorded
    finally:
        store.close()


# -- PostgreSQL only -------------------------------------------------------------


def test_postgres_records_runs_as_sqlite_does(pg_server: str, pg_schema: str, tmp_path: Path):
    """A run with a map, recorded by each backend: the same rows (values byte for byte,
    statuses, edges) apart from times and ids; a newer schema on the server is refused."""
    import asyncio

    from lythonic.compose.provenance._pg import PgProvenance

    def shape(prov: DagProvenance, run_id: str) -> dict[str, Any]:
        run = prov.get_run(run_id)
        assert run is not None
        nodes = sorted(
            (n["node_label"], n["status"], n["input_json"], n["output_json"], n["attempt"])
            for n in prov.get_node_executions(run_id)
        )
        edges = sorted(
            (e["upstream_label"], e["downstream_label"]) for e in prov.get_edge_traversals(run_id)
        )
        keep = ("dag_nsref", "status", "source_inputs_json", "sink_outputs_json", "dag_hash")
        return {"run": {k: run[k] for k in keep}, "nodes": nodes, "edges": edges}

    seen = []
    for prov in (DagProvenance(tmp_path / "runs.db"), PgProvenance(pg_server, schema=pg_schema)):
        try:
            result = asyncio.run(
                DagRunner(_chain(20), provenance=prov).run(source_inputs={"n0": {"x": 0}})
            )
            assert result.outputs == {"n19": 20}
            seen.append(shape(prov, result.run_id))
        finally:
            prov.close()
    assert seen[0] == seen[1]
    import psycopg

    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f"UPDATE {pg_schema}.lythonic_schema SET version = 99")
    with pytest.raises(ProvenanceSchemaError, match="version 99, newer than this lythonic"):
        PgProvenance(pg_server, schema=pg_schema)


def test_postgres_sweeps_what_a_dead_peer_left_and_only_that(pg_server: str, pg_schema: str):
    """Two stores on one database (two daemons): a run of a live peer is left alone; once
    the peer's process is gone (its owner row names a dead pid on this host), the other
    store marks that run interrupted."""
    from lythonic.compose.provenance._pg import PgProvenance

    a = PgProvenance(pg_server, schema=pg_schema)
    b = PgProvenance(pg_server, schema=pg_schema)
    try:
        a.begin_run("r-live", "d", {})
        a.flush()
        assert b.sweep_interrupted() == []
        assert a.get_run("r-live")["status"] == "running"  # type: ignore[index]
        import psycopg

        with psycopg.connect(pg_server, autocommit=True) as conn:  # the peer died
            conn.execute(
                f"UPDATE {pg_schema}.run_owners SET pid = %s, proc_start = NULL "
                "WHERE owner_id = %s",
                (_dead_pid(), a.owner_id),
            )
        assert b.sweep_interrupted() == ["r-live"]
        run = b.get_run("r-live")
        assert run is not None and run["status"] == "interrupted"
    finally:
        a.close()
        b.close()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_postgres_reads_share_a_small_pool_that_survives_a_dropped_connection(
    pg_server: str, pg_schema: str
):
    """Reads go through a pool of at most two connections (so two threads read side
    by side); a read connection the server dropped is replaced, not handed out."""
    import threading

    import psycopg

    from lythonic.compose.provenance._pg import PgProvenance

    store = PgProvenance(pg_server, schema=pg_schema)
    try:
        store.begin_run("r1", "d", {})
        store.flush()
        barrier = threading.Barrier(2, timeout=10)
        pids: list[int] = []

        def read_along() -> None:
            def both(conn: Any) -> int:
                barrier.wait()  # both reads hold a connection at once
                return int(conn.execute("SELECT pg_backend_pid()").fetchone()[0])

            pids.append(store._read(both))

        threads = [threading.Thread(target=read_along) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(15)
        assert len(set(pids)) == 2
        with psycopg.connect(pg_server, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(p) FROM unnest(%s::int[]) p", (pids,))
        run = store.get_run("r1")
        assert run is not None and run["status"] == "running"
        with psycopg.connect(pg_server, autocommit=True) as admin:
            mine = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'lythonic'"
            ).fetchone()
        assert mine is not None and mine[0] <= 3  # the writer and at most two readers
    finally:
        store.close()


# -- pages for the web view ---------------------------------------------------------


def test_runs_page_is_keyed_filtered_and_exact(tmp_path: Path, store: DagProvenance):
    """Top-level runs come newest first by (start, run id); walking the pages by the
    last key lists each run once, even with start times finer than a microsecond;
    filters by DAG, status, initiator and trigger keep only those."""
    clock = Clock(1_700_000_000.123456789)
    store._clock = clock
    for i in range(23):
        clock.t += 0.0000003 if i % 3 else 1.0  # some starts closer than a microsecond
        run_id = f"nightly@{i:03d}" if i % 2 else f"manual-{i:03d}"
        with initiated_by("scheduler" if i % 2 else "alice"):
            store.begin_run(run_id, "etl" if i % 4 else "report", {})
        store.end_run(run_id, "failed" if i == 5 else "completed")
    store.begin_run("child", "etl/x[0]", {}, parent_run_id="nightly@001")
    store.flush()
    seen: list[str] = []
    before = None
    while True:
        runs, keys = store.runs_page(limit=5, before=before)
        if not runs:
            break
        assert [r.run_id for r in runs] == [k[1] for k in keys]
        seen += [r.run_id for r in runs]
        before = keys[-1]
    assert len(seen) == len(set(seen)) == 23  # each once; the child run is not listed
    starts = [r.started_at for r in store.runs_page(limit=100)[0]]
    assert starts == sorted(starts, reverse=True)
    by = {
        "dag": store.runs_page(dag_nsref="report")[0],
        "status": store.runs_page(status="failed")[0],
        "initiator": store.runs_page(initiator="alice")[0],
        "trigger": store.runs_page(trigger="nightly")[0],
    }
    assert {r.dag_nsref for r in by["dag"]} == {"report"} and len(by["dag"]) == 6
    assert [r.run_id for r in by["status"]] == ["nightly@005"]
    assert all(r.run_id.startswith("manual-") for r in by["initiator"])
    assert len(by["trigger"]) == 11 and all(r.run_id.startswith("nightly@") for r in by["trigger"])


def test_children_page_walks_a_step_by_key(store: DagProvenance):
    """A composite step's child runs come oldest first, a page at a time, optionally
    of one status; another step's children are not mixed in."""
    store.begin_run("parent", "etl", {})
    for i in range(12):
        store.begin_run(f"c{i:02d}", f"etl/chunks[{i}]", {}, parent_run_id="parent")
        store.end_run(f"c{i:02d}", "failed" if i in (3, 9) else "completed")
    store.begin_run("other", "etl/report", {}, parent_run_id="parent")
    store.flush()
    seen: list[str] = []
    after = None
    while True:
        kids, keys = store.children_page("parent", "chunks", limit=5, after=after)
        if not kids:
            break
        seen += [k.run_id for k in kids]
        after = keys[-1]
    assert seen == [f"c{i:02d}" for i in range(12)]
    failed, _ = store.children_page("parent", "chunks", status="failed")
    assert [k.run_id for k in failed] == ["c03", "c09"]
    assert store.children_page("nope", "chunks") == ([], [])


def test_node_value_gives_the_text_or_its_start_and_the_size(store: DagProvenance):
    """node_value returns a step's recorded input or output JSON and its length; with
    max_bytes only the start of it."""
    store.create_run("r", "d", {})
    store.record_node_start("r", "n", '{"x": "abcdef"}')
    store.record_node_complete("r", "n", '"0123456789"')
    store.flush()
    assert store.node_value("r", "n", "output") == ('"0123456789"', 12)
    assert store.node_value("r", "n", "output", max_bytes=4) == ('"012', 12)
    assert store.node_value("r", "n", "input") == ('{"x": "abcdef"}', 15)
    assert store.node_value("r", "missing", "output") == (None, None)


# -- what steps log -------------------------------------------------------------------

_STEP_LOG = logging.getLogger("tests.steps.talk")


def _talker(n: int = 3) -> int:
    _STEP_LOG.setLevel(logging.DEBUG)
    for i in range(n):
        _STEP_LOG.info("line %d of %d", i, n)
    _STEP_LOG.debug("too fine to keep")
    return n


async def _async_talker(n: int) -> int:
    _STEP_LOG.warning("async step got %s", n)
    try:
        raise ValueError("bad input")
    except ValueError:
        _STEP_LOG.exception("it failed inside")
    return n


def _talk_dag() -> Dag:
    dag = Dag()
    dag.node(_talker, "talk") >> dag.node(_async_talker, "more")
    return dag


def test_what_steps_log_is_kept_by_step_and_attempt(store: DagProvenance):
    """Lines logged inside sync and async steps are kept in order, with level, logger
    and the exception's message; debug lines below the capture level are not."""
    asyncio.run(DagRunner(_talk_dag(), store).run(run_id="r"))
    _STEP_LOG.info("outside any step: not kept")
    store.flush()
    lines = [
        (x.node_label, x.attempt, x.seq, x.level, x.message) for x in store.node_log_lines("r")
    ]
    assert lines == [
        ("more", 1, 1, "WARNING", "async step got 3"),
        ("more", 1, 2, "ERROR", "it failed inside (ValueError: bad input)"),
        ("talk", 1, 1, "INFO", "line 0 of 3"),
        ("talk", 1, 2, "INFO", "line 1 of 3"),
        ("talk", 1, 3, "INFO", "line 2 of 3"),
    ]
    assert {x.logger for x in store.node_log_lines("r")} == {"tests.steps.talk"}
    warn = store.node_log_lines("r", min_level=logging.WARNING)
    assert [x.level for x in warn] == ["WARNING", "ERROR"]
    page = store.node_log_lines("r", after=("talk", 1, 1), limit=1)
    assert [x.seq for x in page] == [2]


def test_capture_levels_and_the_cap_per_attempt(
    store: DagProvenance, monkeypatch: pytest.MonkeyPatch
):
    """LYTH_NODE_LOGS=warning keeps warnings only, off nothing; past the cap one line
    counts what was dropped."""
    from lythonic.compose.provenance import _sqlite as sqlite_store
    from lythonic.compose.provenance import set_capture_level

    set_capture_level("warning")
    asyncio.run(DagRunner(_talk_dag(), store).run(run_id="w"))
    set_capture_level("off")
    asyncio.run(DagRunner(_talk_dag(), store).run(run_id="o"))
    set_capture_level("info")
    monkeypatch.setattr(sqlite_store, "MAX_LINES", 4)
    dag = Dag()
    dag.node(_talker, "talk")
    asyncio.run(DagRunner(dag, store).run({"talk": {"n": 10}}, run_id="cap"))
    store.flush()
    assert [x.level for x in store.node_log_lines("w")] == ["WARNING", "ERROR"]
    assert store.node_log_lines("o") == []
    capped = store.node_log_lines("cap")
    assert [x.seq for x in capped] == [1, 2, 3, 4, 5]
    assert capped[-1].message == "6 more lines dropped (the first 4 are kept)"


def test_pruning_a_run_takes_its_log_lines(tmp_path: Path):
    """A pruned run's lines go with it."""
    clock = Clock()
    store = DagProvenance(tmp_path / "runs.db", clock=clock)
    asyncio.run(DagRunner(_talk_dag(), store).run(run_id="old"))
    store.flush()
    assert store.node_log_lines("old")
    clock.t += 40 * 86_400
    assert store.prune(30) == 1
    assert store.node_log_lines("old") == []
    store.close()


def test_a_version_1_file_gets_the_log_table_and_keeps_its_runs(tmp_path: Path):
    """A store written before node_logs (schema 1) opens, upgraded, every run kept."""
    db = tmp_path / "runs.db"
    store = DagProvenance(db)
    for i in range(3):
        asyncio.run(DagRunner(_talk_dag(), store).run(run_id=f"v1-{i}"))
    store.close()
    con = sqlite3.connect(db)
    con.execute("DROP TABLE node_logs")
    con.execute("UPDATE lythonic_schema SET version = 1 WHERE component = 'provenance'")
    con.commit()
    con.close()
    store = DagProvenance(db)
    try:
        runs = store.get_recent_runs(10, top_level_only=True, children=False)
        assert sorted(r.run_id for r in runs) == ["v1-0", "v1-1", "v1-2"]
        assert store.node_log_lines("v1-0") == []  # the table is there, empty for old runs
    finally:
        store.close()
    con = sqlite3.connect(db)
    assert con.execute(
        "SELECT version FROM lythonic_schema WHERE component = 'provenance'"
    ).fetchone() == (SCHEMA_VERSION,)
    con.close()


def test_a_closed_store_keeps_no_more_lines_and_never_breaks_a_step(tmp_path: Path):
    """A run left unfinished in a store that closed: lines logged under its context
    later are dropped quietly (no error reaches the code that logs)."""
    from lythonic.compose.log_context import node_run_context

    store = DagProvenance(tmp_path / "runs.db")
    store.begin_run("left", "d", {})
    store.close()
    with node_run_context("left", "step"):
        _STEP_LOG.warning("after the store closed")  # must not raise
