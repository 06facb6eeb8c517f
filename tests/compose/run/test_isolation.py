"""``isolation="process"``: a sync step in a child process that a timeout can kill."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import pytest

from lythonic.compose.dag_provenance import DagProvenance
from lythonic.compose.dag_runner import DagRunner
from lythonic.compose.namespace import Dag, DagValidationError, inline
from tests.compose.run import isolation_steps as steps


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_the_step_runs_in_another_process_with_its_run_context() -> None:
    """The call happens in a child process; it knows its run and step."""
    dag = Dag()
    dag.node(steps.pid_and_context, isolation="process")
    result = await DagRunner(dag).run(source_inputs={"pid_and_context": {"x": 4}})
    out = result.outputs["pid_and_context"]
    assert result.status == "completed"
    assert out["pid"] != os.getpid() and out["x"] == 4
    assert (out["node"], out["run_id"]) == ("pid_and_context", result.run_id)


async def test_a_timeout_kills_the_child(tmp_path: Path) -> None:
    """A hung step fails at its timeout and its process is gone (not merely abandoned)."""
    marker = tmp_path / "pid"
    dag = Dag()
    dag.node(steps.hang_writing_pid, isolation="process", timeout=1.0)
    started = time.monotonic()
    result = await DagRunner(dag).run(source_inputs={"hang_writing_pid": {"marker": str(marker)}})
    assert result.status == "failed" and "timed out after 1s" in (result.error or "")
    assert time.monotonic() - started < 5
    pid = int(marker.read_text())
    for _ in range(100):
        if not _alive(pid):
            break
        await asyncio.sleep(0.05)
    assert not _alive(pid)


async def test_a_cancelled_run_kills_the_child(tmp_path: Path) -> None:
    """Cancelling the run (Ctrl-C, a daemon stop, a failed sibling) ends the child."""
    marker = tmp_path / "pid"
    dag = Dag()
    dag.node(steps.hang_writing_pid, isolation="process")
    task = asyncio.ensure_future(
        DagRunner(dag).run(source_inputs={"hang_writing_pid": {"marker": str(marker)}})
    )
    for _ in range(200):
        if marker.exists() and marker.read_text():
            break
        await asyncio.sleep(0.05)
    pid = int(marker.read_text())
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(100):
        if not _alive(pid):
            break
        await asyncio.sleep(0.05)
    assert not _alive(pid)


async def test_the_steps_exception_comes_back_as_itself_and_is_recorded(tmp_path: Path) -> None:
    """The user's exception type and message survive; the store keeps the child's
    traceback (the raising line) with the run."""
    store = DagProvenance(tmp_path / "runs.db")
    dag = Dag()
    dag.node(steps.raise_unusual, isolation="process")
    result = await DagRunner(dag, provenance=store).run(source_inputs={"raise_unusual": {"x": 3}})
    assert result.status == "failed" and result.error == "Unusual: unusual 3"
    (row,) = store.get_node_executions(result.run_id)
    assert (
        'raise Unusual(f"unusual {x}")' in row["error"] and "in the child process" in row["error"]
    )
    store.close()


async def test_values_that_cannot_cross_are_a_clear_step_failure() -> None:
    """An argument or a result that cannot be pickled fails the step, naming why."""
    lock = threading.Lock()
    dag = Dag()
    dag.node(steps.pid_and_context, isolation="process")
    result = await DagRunner(dag).run(source_inputs={"pid_and_context": {"x": lock}})
    assert result.status == "failed"
    assert "cannot run in a child process" in (result.error or "")
    dag = Dag()
    dag.node(steps.unpicklable_result, isolation="process")
    result = await DagRunner(dag).run()
    assert "cannot be sent back from its child process" in (result.error or "")


async def test_a_dag_context_crosses_without_its_namespace() -> None:
    """A step asking for DagContext gets it in the child (label, attempt)."""
    dag = Dag()
    dag.node(steps.with_context, isolation="process")
    result = await DagRunner(dag).run(source_inputs={"with_context": {"x": 1}})
    assert result.outputs == {"with_context": "with_context:1:1"}


def test_isolation_applies_to_plain_sync_functions_only() -> None:
    """An async or inline step cannot ask for a process; nor can a nested DAG."""

    async def fetch() -> int:
        return 1

    @inline
    def cheap() -> int:
        return 1

    dag = Dag()
    dag.node(fetch, isolation="process")
    dag.node(cheap, isolation="process")
    codes = [i.code for i in dag.check()]
    assert codes.count("isolation_mode") == 2
    with pytest.raises(ValueError, match="isolation must be one of thread, process"):
        Dag().node(steps.raise_unusual, isolation="fork")  # type: ignore[arg-type]
    sub = Dag()
    sub.node(steps.raise_unusual)
    with pytest.raises(ValueError, match="isolation applies to function steps"):
        Dag().node(sub, "sub", isolation="process")


async def test_a_timeout_on_an_inline_step_is_an_error_not_silence() -> None:
    """@inline steps run on the event loop, where a timeout cannot fire: validation
    names it, and a run refuses to start instead of ignoring the timeout."""

    @inline
    def cheap(x: int) -> int:
        return x

    dag = Dag()
    dag.node(cheap, timeout=1.0)
    (issue,) = dag.check()
    assert issue.code == "inline_timeout" and "cannot be enforced" in issue.message
    with pytest.raises(DagValidationError, match="runs inline"):
        dag.validate()
    result = await DagRunner(dag).run(source_inputs={"cheap": {"x": 1}})
    assert result.status == "failed" and "runs inline" in (result.error or "")
