"""EngineRecorder: runs cut off by a shutdown are recorded interrupted, not cancelled."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lythonic.compose.dag_provenance import DagProvenance
from lythonic.compose.dag_runner import DagRunner
from lythonic.compose.namespace import Dag
from lythonic.engine import EngineRecorder


async def nap(seconds: float) -> float:
    await asyncio.sleep(seconds)
    return seconds


async def _cancelled_run(recorder: EngineRecorder, run_id: str) -> None:
    dag = Dag()
    dag.node(nap)
    task = asyncio.create_task(
        DagRunner(dag, provenance=recorder).run(
            source_inputs={"nap": {"seconds": 30}}, run_id=run_id
        )
    )
    await asyncio.sleep(0.05)
    assert run_id in recorder.in_flight
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_a_cancel_after_the_grace_period_is_an_interruption(tmp_path: Path) -> None:
    """With a stop reason set, the cancelled run and its step end interrupted, with the reason."""
    with DagProvenance(tmp_path / "dags.db") as store:
        recorder = EngineRecorder(store)
        recorder.stop_reason = "the daemon stopped (grace period 1s)"
        await _cancelled_run(recorder, "r1")
        store.flush()
        run = store.get_run("r1") or {}
        nodes = store.get_node_executions("r1")
    assert (run["status"], run["error"]) == (
        "interrupted",
        "interrupted: the daemon stopped (grace period 1s)",
    )
    assert [n["status"] for n in nodes] == ["interrupted"]
    assert recorder.interrupted == ["r1"] and recorder.in_flight == set()


async def test_without_a_stop_reason_a_cancel_stays_a_cancel(tmp_path: Path) -> None:
    """Outside a shutdown, a cancelled run is recorded as cancelled (someone meant it)."""
    with DagProvenance(tmp_path / "dags.db") as store:
        recorder = EngineRecorder(store)
        await _cancelled_run(recorder, "r2")
        store.flush()
        run = store.get_run("r2") or {}
    assert run["status"] == "cancelled" and recorder.interrupted == []


async def test_reads_go_to_the_inner_store(tmp_path: Path) -> None:
    """Restart, replay and status read through the wrapper (get_run, inspect_run ...)."""
    with DagProvenance(tmp_path / "dags.db") as store:
        recorder = EngineRecorder(store)
        dag = Dag()
        dag.node(nap)
        result = await DagRunner(dag, provenance=recorder).run(
            source_inputs={"nap": {"seconds": 0}}
        )
        store.flush()
        assert recorder.get_run(result.run_id)["status"] == "completed"  # type: ignore[index]
        assert recorder.in_flight == set()


def test_backpressure_of_the_inner_store_reaches_the_runner() -> None:
    """A congested inner store is reported as congested through the wrapper."""
    from lythonic.compose.provenance._store import NullProvenance

    class Busy(NullProvenance):
        def congested(self) -> bool:
            return True

    assert EngineRecorder(Busy()).congested() is True
    assert EngineRecorder(NullProvenance()).congested() is False
