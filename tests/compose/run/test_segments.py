"""Chains of plain sync steps run in one worker hop (a segment) and behave as
steps run one hop each: recorded one by one, failures and cancellation stop
the chain where they happen, branches still run side by side."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
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
    """Counts the calls the runner hands over and the threads they ran on."""

    def __init__(self) -> None:
        super().__init__(max_workers=4)
        self.calls = 0
        self.threads: set[int] = set()

    def submit(
        self, fn: Any, kwargs: Mapping[str, Any], *, context: contextvars.Context
    ) -> asyncio.Future[Any]:
        self.calls += 1
        return super().submit(fn, kwargs, context=context)


def add_one(x: int) -> int:
    return x + 1


def linear(n: int, step: Any = add_one) -> Dag:
    dag = Dag()
    prev = dag.node(step, label="s0")
    for i in range(1, n):
        node = dag.node(step, label=f"s{i}")
        prev >> node
        prev = node
    return dag


async def test_a_chain_of_sync_steps_is_one_executor_call_and_every_step_is_recorded(
    tmp_path: Path,
) -> None:
    executor = Counting()
    with DagProvenance(tmp_path / "runs.db") as store:
        result = await DagRunner(linear(50), provenance=store, executor=executor).run(
            source_inputs={"s0": {"x": 0}}
        )
        assert result.status == "completed" and result.outputs == {"s49": 50}
        assert executor.calls == 1
        rows = sorted(store.get_node_executions(result.run_id), key=lambda r: r["started_at"])
        edges = store.get_edge_traversals(result.run_id)
    assert [r["node_label"] for r in rows] == [f"s{i}" for i in range(50)]
    assert {r["status"] for r in rows} == {"completed"}
    starts = [r["started_at"] for r in rows]
    assert starts == sorted(starts)
    assert all(r["finished_at"] >= r["started_at"] for r in rows)
    assert len(edges) == 49


async def test_a_failure_inside_a_chain_stops_it_there() -> None:
    ran: list[str] = []

    def step(x: int) -> int:
        label = get_node_run_context().node_label  # type: ignore[union-attr]
        ran.append(label)
        if label == "s2":
            raise ValueError("bad input")
        return x + 1

    result = await DagRunner(linear(5, step)).run(source_inputs={"s0": {"x": 0}})
    assert result.status == "failed" and result.failed_node == "s2"
    assert "ValueError: bad input" in (result.error or "")
    assert ran == ["s0", "s1", "s2"]


async def test_each_step_of_a_chain_sees_its_own_context() -> None:
    seen: list[tuple[str, str, int]] = []

    def first(ctx: DagContext, x: int) -> int:
        seen.append((ctx.node_label, get_node_run_context().node_label, ctx.attempt))  # type: ignore[union-attr]
        return x

    def second(ctx: DagContext, x: int) -> int:
        seen.append((ctx.node_label, get_node_run_context().node_label, ctx.attempt))  # type: ignore[union-attr]
        return x * 2

    dag = Dag()
    dag.node(first) >> dag.node(second)
    result = await DagRunner(dag).run(source_inputs={"first": {"x": 4}})
    assert result.outputs == {"second": 8}
    assert seen == [("first", "first", 1), ("second", "second", 1)]


async def test_branches_of_a_fan_out_still_run_side_by_side() -> None:
    both = threading.Barrier(2, timeout=10)  # breaks unless two steps run at once

    def source() -> int:
        return 1

    def branch(x: int) -> int:
        both.wait()
        return x

    def tail(x: int) -> int:
        return x + 1

    dag = Dag()
    src = dag.node(source)
    for name in ("a", "b"):
        src >> dag.node(branch, label=name) >> dag.node(tail, label=f"{name}_tail")
    result = await DagRunner(dag).run()
    assert result.status == "completed", result.error
    assert result.outputs == {"a_tail": 2, "b_tail": 2}


async def test_a_cancelled_run_starts_no_further_step_of_a_chain() -> None:
    started = threading.Event()
    release = threading.Event()
    ran: list[str] = []

    def slow(x: int) -> int:
        ran.append("slow")
        started.set()
        release.wait(10)
        return x

    def after(x: int) -> int:
        ran.append("after")
        return x

    dag = Dag()
    dag.node(slow) >> dag.node(after)
    task = asyncio.create_task(DagRunner(dag).run(source_inputs={"slow": {"x": 1}}))
    await asyncio.to_thread(started.wait, 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    release.set()
    await asyncio.sleep(0.2)  # the abandoned worker finishes its step, then stops
    assert ran == ["slow"]


async def test_a_pause_requested_mid_chain_takes_effect_after_the_running_step(
    tmp_path: Path,
) -> None:
    holder: dict[str, DagRunner] = {}

    def step(x: int) -> int:
        if get_node_run_context().node_label == "s1":  # type: ignore[union-attr]
            holder["runner"].pause()
        return x + 1

    with DagProvenance(tmp_path / "runs.db") as store:
        runner = holder["runner"] = DagRunner(linear(4, step), provenance=store)
        result = await runner.run(source_inputs={"s0": {"x": 0}})
        assert result.status == "paused"
        done = [r["node_label"] for r in store.get_node_executions(result.run_id)]
        assert done == ["s0", "s1"]
        resumed = await DagRunner(linear(4, step), provenance=store).restart(result.run_id)
    assert resumed.status == "completed" and resumed.outputs == {"s3": 4}


async def test_a_step_with_a_timeout_is_not_folded_into_a_chain() -> None:
    def nap(x: int) -> int:
        time.sleep(2)
        return x

    dag = Dag()
    dag.node(add_one) >> dag.node(nap, timeout=0.2) >> dag.node(add_one, label="last")
    started = time.monotonic()
    result = await DagRunner(dag).run(source_inputs={"add_one": {"x": 0}})
    assert result.status == "failed" and result.failed_node == "nap"
    assert "timed out" in (result.error or "") and time.monotonic() - started < 1.9
