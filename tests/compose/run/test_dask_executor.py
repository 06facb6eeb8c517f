"""``DaskExecutor`` on a real local Dask cluster: in-process workers here, two worker
processes in the slow tier."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import signal
import sqlite3
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lythonic._log_context import NodeRunContext, _current
from lythonic.compose.dag_provenance import DagProvenance
from lythonic.compose.dag_runner import DagRunner
from lythonic.compose.executor import DaskExecutor, LocalExecutor, WorkerLost
from lythonic.compose.namespace import Dag
from lythonic.compose.run import StepProcessError
from tests.compose.run import dask_steps as steps
from tests.dask_cluster import Cluster, dask_cluster


@pytest.fixture(scope="module")
def dask_executor() -> Iterator[DaskExecutor]:
    executor = DaskExecutor(workers=2, processes=False)
    try:
        yield executor
    finally:
        executor.close()


def _context(node: str = "step", run_id: str = "r-1") -> contextvars.Context:
    ctx = contextvars.copy_context()
    ctx.run(_current.set, NodeRunContext(run_id, node, "etl", 1))
    return ctx


def _chain_and_fan() -> Dag:
    dag = Dag()
    a = dag.node(steps.double, "a")
    b = dag.node(steps.add_one, "b")
    c = dag.node(steps.double, "c")
    a >> b
    a >> c
    return dag


def _rows(db: Path, run_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """A run's provenance without times and ids: what must match a local run's."""
    with sqlite3.connect(db) as conn:
        run = conn.execute(
            "SELECT dag_nsref, status, source_inputs_json, sink_outputs_json, dag_hash, error "
            "FROM dag_runs WHERE run_id = ?",
            (run_id,),
        ).fetchall()
        nodes = conn.execute(
            "SELECT node_label, status, is_source, is_sink, input_json, output_json, error, "
            "attempt FROM node_executions WHERE run_id = ? ORDER BY node_label",
            (run_id,),
        ).fetchall()
        edges = conn.execute(
            "SELECT upstream_label, downstream_label FROM edge_traversals WHERE run_id = ? "
            "ORDER BY 1, 2",
            (run_id,),
        ).fetchall()
    return {"run": run, "nodes": nodes, "edges": edges}


async def test_a_run_on_dask_records_what_a_local_run_records(
    dask_executor: DaskExecutor, tmp_path: Path
) -> None:
    """Same outputs, and provenance rows equal to a local run's apart from times."""
    db = tmp_path / "dags.db"
    prov = DagProvenance(db)
    try:
        dag = _chain_and_fan()
        inputs = {"a": {"x": 5}}
        local = await DagRunner(dag, prov, executor=LocalExecutor(2)).run(inputs, "demo")
        sent = dask_executor.tasks_sent
        remote = await DagRunner(dag, prov, executor=dask_executor).run(inputs, "demo")
        assert dask_executor.tasks_sent > sent  # it did go to the cluster
    finally:
        prov.close()
    assert remote.status == local.status == "completed"
    assert remote.outputs == local.outputs == {"b": 11, "c": 20}
    assert _rows(db, remote.run_id) == _rows(db, local.run_id)


async def test_calls_of_one_turn_share_tasks_and_fail_alone(
    dask_executor: DaskExecutor,
) -> None:
    """40 calls submitted together go as a few Dask tasks (spread over the idle worker
    threads); the one that raises fails alone, with its own exception type and the
    worker's traceback as its cause."""
    sent = dask_executor.tasks_sent
    futs = [
        dask_executor.submit(steps.fail_on_two, {"x": x}, context=_context(f"s{x}"))
        for x in range(40)
    ]
    done = await asyncio.gather(*futs, return_exceptions=True)
    assert [d for i, d in enumerate(done) if i != 2] == [x for x in range(40) if x != 2]
    assert isinstance(done[2], ValueError) and "two is not allowed" in str(done[2])
    assert "fail_on_two" in "".join(traceback.format_exception(done[2]))
    assert 2 <= dask_executor.tasks_sent - sent <= 4  # both workers used, calls batched


async def test_remote_false_keeps_a_step_in_the_driver(dask_executor: DaskExecutor) -> None:
    """A step marked remote=False runs in this process's step threads, its neighbour on
    a Dask worker thread."""
    dag = Dag()
    here = dag.node(steps.where, "here", remote=False)
    there = dag.node(steps.where, "there")
    assert (here.remote, there.remote) == (False, None)
    result = await DagRunner(dag, executor=dask_executor).run({"here": {"x": 1}, "there": {"x": 2}})
    assert result.status == "completed", result.error
    assert "Dask" not in result.outputs["here"]["thread"]
    assert "Dask" in result.outputs["there"]["thread"]


async def test_a_map_goes_in_few_tasks(dask_executor: DaskExecutor) -> None:
    """2,000 elements of a map with a def step: a few dozen Dask tasks, not 2,000."""
    sub = Dag()
    sub.node(steps.double, "d")
    dag = Dag()
    src = dag.node(_numbers, "numbers")
    src >> dag.map(sub, "each")
    sent = dask_executor.tasks_sent
    result = await DagRunner(dag, executor=dask_executor).run({"numbers": {"n": 2000}})
    assert result.status == "completed", result.error
    assert result.outputs["each"] == [2 * i for i in range(2000)]
    assert dask_executor.tasks_sent - sent <= 100


def _numbers(n: int) -> list[int]:
    return list(range(n))


async def test_calls_given_up_on_before_they_go_are_never_sent() -> None:
    """With one task out at a time, calls still queued when their run gives up on them
    (cancelled futures) never become Dask tasks."""
    with DaskExecutor(workers=1, processes=False, max_tasks=1, max_batch=1) as executor:
        first = executor.submit(steps.sleepy, {"seconds": 0.3}, context=_context("first"))
        await asyncio.sleep(0)  # the first batch goes out
        queued = [
            executor.submit(steps.double, {"x": x}, context=_context(f"q{x}")) for x in range(5)
        ]
        await asyncio.sleep(0)  # they wait behind the first
        for fut in queued:
            fut.cancel()
        assert await first == 0.3
        await asyncio.sleep(0.1)
        assert executor.tasks_sent == 1


async def test_a_timeout_fails_the_run_in_time(dask_executor: DaskExecutor) -> None:
    """A step that sleeps 5 s with a 0.5 s timeout fails its run within 0.8 s. (Last of
    the in-process tests: the abandoned call keeps a worker busy for 5 s.)"""
    dag = Dag()
    dag.node(steps.sleepy, "nap", timeout=0.5)
    started = time.perf_counter()
    result = await DagRunner(dag, executor=dask_executor).run({"nap": {"seconds": 5.0}})
    took = time.perf_counter() - started
    assert result.status == "failed" and "timed out" in (result.error or "")
    assert took < 0.8


# -- worker processes (slow tier) ----------------------------------------------


@pytest.fixture(scope="module")
def process_executor() -> Iterator[DaskExecutor]:
    executor = DaskExecutor(workers=2)
    try:
        yield executor
    finally:
        executor.close()


@pytest.mark.slow
async def test_steps_run_in_worker_processes_and_their_logs_come_back(
    process_executor: DaskExecutor, caplog: pytest.LogCaptureFixture
) -> None:
    dag = Dag()
    dag.node(steps.where, "w")
    dag.node(steps.chatty, "talk")
    with caplog.at_level(logging.WARNING, logger="tests.dask_steps"):
        result = await DagRunner(dag, executor=process_executor).run(
            {"w": {"x": 1}, "talk": {"x": 7}}
        )
    assert result.status == "completed", result.error
    assert result.outputs["w"]["pid"] != os.getpid()
    [record] = [r for r in caplog.records if r.name == "tests.dask_steps"]
    assert record.getMessage() == "working on 7"
    assert record.worker_pid != os.getpid()  # type: ignore[attr-defined]
    assert record.step_note == "hi"  # type: ignore[attr-defined]
    assert (record.run_id, record.node_label) == (result.run_id, "talk")  # type: ignore[attr-defined]


@pytest.mark.slow
async def test_the_header_carries_the_scheduled_time_to_the_worker(
    process_executor: DaskExecutor,
) -> None:
    """A scheduled run's tick reaches the step's run context on the worker (as in a
    local thread), from the small header each call carries."""
    from datetime import UTC, datetime

    at = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
    dag = Dag()
    dag.node(steps.tick_of, "tick")
    for executor in (process_executor, LocalExecutor(1)):
        result = await DagRunner(dag, executor=executor).run(scheduled_at=at)
        assert result.outputs == {"tick": at.isoformat()}, executor


@pytest.mark.slow
@pytest.mark.parametrize("retries", [0, 1])
async def test_a_killed_worker_is_an_attempt(
    process_executor: DaskExecutor, tmp_path: Path, retries: int
) -> None:
    """SIGKILL of the worker running a step: with retries the run completes on attempt 2;
    without, it fails with 'worker lost' within 15 s."""
    marker = tmp_path / "pid"
    dag = Dag()
    dag.node(steps.wait_to_be_killed, "victim", retries=retries, retry_backoff=0)
    started = time.perf_counter()
    run = asyncio.ensure_future(
        DagRunner(dag, executor=process_executor).run({"victim": {"marker": str(marker)}})
    )
    for _ in range(600):  # the step writes its worker's pid, then waits
        if marker.exists():
            break
        await asyncio.sleep(0.05)
    os.kill(int(marker.read_text()), signal.SIGKILL)
    result = await asyncio.wait_for(run, 30)
    if retries:
        assert result.status == "completed", result.error
    else:
        assert result.status == "failed"
        assert WorkerLost.__name__ in (result.error or "") or "died" in (result.error or "")
        assert time.perf_counter() - started < 15


@pytest.mark.slow
async def test_an_argument_that_cannot_be_pickled_fails_its_call_only(
    process_executor: DaskExecutor,
) -> None:
    bad = process_executor.submit(steps.double, {"x": threading.Lock()}, context=_context("bad"))
    good = process_executor.submit(steps.double, {"x": 4}, context=_context("good"))
    assert await good == 8
    with pytest.raises(StepProcessError, match="step 'bad' cannot be sent to the Dask cluster"):
        await bad


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Cluster]:
    with dask_cluster(tmp_path, project_importable=True) as cluster:
        yield cluster


@pytest.mark.slow
async def test_a_lost_scheduler_fails_the_runs_in_flight_clearly(served: Cluster) -> None:
    """The scheduler process dies while a step runs: the run fails at once with
    ExecutorLost naming the scheduler, not a hang or a Dask traceback."""
    with DaskExecutor(served.address) as executor:
        for _ in range(600):
            if executor._client.scheduler_info().get("workers"):
                break
            await asyncio.sleep(0.05)
        dag = Dag()
        dag.node(steps.sleepy, "nap")
        run = asyncio.ensure_future(
            DagRunner(dag, executor=executor).run({"nap": {"seconds": 30.0}})
        )
        await asyncio.sleep(1.0)  # the step is running on the worker
        served.scheduler.kill()
        result = await asyncio.wait_for(run, 30)
    assert result.status == "failed"
    assert f"ExecutorLost: the Dask scheduler at {served.address} was lost" in (result.error or "")
