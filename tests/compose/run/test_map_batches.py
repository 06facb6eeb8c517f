"""Map elements whose sub-DAG is one chain of sync steps go to the executor in
batches (no Task per element), sized by how long an element takes; each element
is still a child run of its own, recorded, failed and cancelled on its own."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from lythonic.compose.dag_provenance import DagProvenance
from lythonic.compose.dag_runner import DagRunner
from lythonic.compose.executor import LocalExecutor
from lythonic.compose.log_context import get_node_run_context
from lythonic.compose.namespace import Dag, DagContext


class Counting(LocalExecutor):
    def __init__(self) -> None:
        super().__init__(max_workers=4)
        self.calls = 0

    def submit(
        self, fn: Any, kwargs: Mapping[str, Any], *, context: contextvars.Context
    ) -> asyncio.Future[Any]:
        self.calls += 1
        return super().submit(fn, kwargs, context=context)


def make(n: int) -> list[int]:
    return list(range(n))


def inc(x: int) -> int:
    return x + 1


def square(x: int) -> int:
    return x * x


def total(values: list[int]) -> int:
    return sum(values)


def mapped(sub: Dag, *, concurrency: int | None = None) -> Dag:
    dag = Dag()
    dag.node(make) >> dag.map(sub, label="each", concurrency=concurrency) >> dag.node(total)
    return dag


def two_steps() -> Dag:
    sub = Dag()
    sub.node(inc) >> sub.node(square)
    return sub


async def test_fast_elements_share_worker_calls_and_each_is_a_recorded_child_run(
    tmp_path: Path,
) -> None:
    executor = Counting()
    n = 2000
    with DagProvenance(tmp_path / "runs.db") as store:
        result = await DagRunner(mapped(two_steps()), provenance=store, executor=executor).run(
            source_inputs={"make": {"n": n}}
        )
        assert result.status == "completed"
        assert result.outputs == {"total": sum((i + 1) ** 2 for i in range(n))}
        children = store.get_child_runs(result.run_id)
        assert len(children) == n and {c.status for c in children} == {"completed"}
        steps = store.get_node_executions(children[-1].run_id)
    assert [s["node_label"] for s in steps] == ["inc", "square"]
    assert {s["status"] for s in steps} == {"completed"}
    # make and total are sync steps too: two calls of their own; the elements far fewer.
    assert executor.calls < n / 4, executor.calls


async def test_slow_elements_still_run_side_by_side() -> None:
    together = threading.Barrier(4, timeout=10)  # breaks unless four elements run at once

    def wait_for_the_others(x: int) -> int:
        together.wait()
        return x

    sub = Dag()
    sub.node(wait_for_the_others)
    result = await DagRunner(mapped(sub)).run(source_inputs={"make": {"n": 4}})
    assert result.status == "completed", result.error
    assert result.outputs == {"total": 6}


async def test_each_element_sees_its_own_run_and_context() -> None:
    seen: list[tuple[str, str, str]] = []
    lock = threading.Lock()

    def note(ctx: DagContext, x: int) -> int:
        current = get_node_run_context()
        assert current is not None
        with lock:
            seen.append((ctx.run_id, current.run_id, str(ctx.dag_nsref)))
        return x

    sub = Dag()
    sub.node(note) >> sub.node(inc)
    result = await DagRunner(mapped(sub)).run(source_inputs={"make": {"n": 50}})
    assert result.status == "completed"
    assert len(seen) == 50 and all(a == b for a, b, _ in seen)
    assert len({run for run, _, _ in seen}) == 50
    assert {path for _, _, path in seen} == {f"unknown/each[{i}]" for i in range(50)}


async def test_a_failing_element_fails_the_map_and_leaves_no_child_running(
    tmp_path: Path,
) -> None:
    def picky(x: int) -> int:
        if x == 700:
            raise ValueError("seven hundred")
        return x

    sub = Dag()
    sub.node(picky) >> sub.node(inc)
    with DagProvenance(tmp_path / "runs.db") as store:
        result = await DagRunner(mapped(sub), provenance=store).run(
            source_inputs={"make": {"n": 2000}}
        )
        assert result.status == "failed" and result.failed_node == "each"
        assert "each[700]" in (result.error or "") and "seven hundred" in (result.error or "")
        children = store.get_child_runs(result.run_id)
    statuses = {c.status for c in children}
    assert "running" not in statuses and "failed" in statuses
    failed = [c for c in children if c.status == "failed"]
    assert [c.dag_nsref for c in failed] == ["unknown/each[700]"]


async def test_a_cancelled_map_cancels_its_elements_and_starts_no_more(tmp_path: Path) -> None:
    started = threading.Event()
    release = threading.Event()
    calls: list[int] = []

    def slow(x: int) -> int:
        calls.append(x)
        started.set()
        release.wait(10)
        return x

    sub = Dag()
    sub.node(slow) >> sub.node(inc)
    with DagProvenance(tmp_path / "runs.db") as store:
        task = asyncio.create_task(
            DagRunner(mapped(sub, concurrency=3), provenance=store).run(
                source_inputs={"make": {"n": 50}}
            )
        )
        await asyncio.to_thread(started.wait, 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        release.set()
        await asyncio.sleep(0.3)  # abandoned workers finish their step, start no other
        runs = store.get_recent_runs(limit=100)
        children = [r for r in runs if r.parent_run_id is not None]
    assert len(calls) <= 3  # the concurrency bound: no element started after the cancel
    assert children and {c.status for c in children} == {"cancelled"}
