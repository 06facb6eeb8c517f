"""The default executor: daemon threads, abandoned calls replaced and counted."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
from typing import Any

import pytest

from lythonic._log_context import NodeRunContext, _current
from lythonic.compose.executor import LocalExecutor, default_executor


def _context(node: str = "step", dag: str = "etl", run_id: str = "r-1") -> contextvars.Context:
    ctx = contextvars.copy_context()
    ctx.run(_current.set, NodeRunContext(run_id, node, dag, 1))
    return ctx


def _blocked(gate: threading.Event) -> Any:
    def wait() -> str:
        gate.wait(30)
        return "late"

    return wait


async def _abandon(executor: LocalExecutor, gate: threading.Event, node: str) -> None:
    fut = executor.submit(_blocked(gate), {}, context=_context(node))
    await asyncio.sleep(0.05)  # running in its thread
    fut.cancel()
    await asyncio.sleep(0)


async def test_a_call_given_up_on_is_counted_and_its_thread_replaced(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With one thread stuck in an abandoned call, the next call still runs (a spare
    thread takes its place); the abandonment is logged once, naming run, DAG and step."""
    executor = LocalExecutor(max_workers=1, spare_threads=2)
    gate = threading.Event()
    try:
        with caplog.at_level(logging.WARNING, logger="lythonic.compose.dag_runner"):
            await _abandon(executor, gate, "extract")
        stats = executor.stats()
        assert (stats.abandoned, stats.abandoned_total) == (1, 1)
        assert stats.abandoned_by_step == {"etl/extract": 1}
        (record,) = [
            r for r in caplog.records if getattr(r, "lythonic_event", "") == "step_abandoned"
        ]
        assert (record.run_id, record.dag, record.node) == ("r-1", "etl", "extract")  # type: ignore[attr-defined]
        assert await asyncio.wait_for(executor.submit(lambda: 7, {}, context=_context()), 5) == 7
    finally:
        gate.set()
    for _ in range(100):  # the stuck call ends: its thread is live again
        if executor.stats().abandoned == 0:
            break
        await asyncio.sleep(0.02)
    assert executor.stats().abandoned == 0 and executor.stats().abandoned_total == 1
    executor.close()


async def test_when_every_spare_is_stuck_calls_wait_and_one_warning_says_why(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Past ``max_workers + spare_threads`` threads, new calls queue until a stuck call
    ends; the pool says so once, with the steps holding it."""
    executor = LocalExecutor(max_workers=1, spare_threads=1)
    gate = threading.Event()
    try:
        with caplog.at_level(logging.WARNING, logger="lythonic.compose.dag_runner"):
            await _abandon(executor, gate, "a")
            await _abandon(executor, gate, "b")
            waiting = executor.submit(lambda: "ran", {}, context=_context())
            await asyncio.sleep(0.1)
            assert not waiting.done() and executor.stats().queued == 1
        exhausted = [
            r
            for r in caplog.records
            if getattr(r, "lythonic_event", "") == "step_threads_exhausted"
        ]
        assert len(exhausted) == 1 and exhausted[0].steps == ["etl/a", "etl/b"]  # type: ignore[attr-defined]
    finally:
        gate.set()
    assert await asyncio.wait_for(waiting, 5) == "ran"
    executor.close()


async def test_queued_calls_of_a_cancelled_run_never_start() -> None:
    """A call cancelled while it waits for a thread is dropped, not run later."""
    executor = LocalExecutor(max_workers=1, spare_threads=0)
    gate = threading.Event()
    ran: list[str] = []
    try:
        first = executor.submit(_blocked(gate), {}, context=_context())
        second = executor.submit(lambda: ran.append("second"), {}, context=_context())
        await asyncio.sleep(0.05)
        second.cancel()
    finally:
        gate.set()
    assert await first == "late"
    await asyncio.wait_for(executor.submit(lambda: None, {}, context=_context()), 5)
    assert ran == []
    executor.close()


async def test_threads_never_hold_the_process_and_results_keep_the_context() -> None:
    """Step threads are daemon threads; a call sees its node's contextvars; exceptions
    (SystemExit included) come back as the call's failure."""
    executor = LocalExecutor(max_workers=2)

    def who() -> tuple[str, bool]:
        ctx = _current.get()
        assert ctx is not None
        return ctx.node_label, threading.current_thread().daemon

    assert await executor.submit(who, {}, context=_context("load")) == ("load", True)

    def leave() -> None:
        raise SystemExit(3)

    with pytest.raises(SystemExit):
        await executor.submit(leave, {}, context=_context())
    results = await asyncio.gather(
        *(executor.submit(lambda i=i: i * i, {}, context=_context()) for i in range(500))
    )
    assert results == [i * i for i in range(500)]
    executor.close()


def test_one_default_executor_per_process() -> None:
    """Runners given no executor share one pool of the default size."""
    assert default_executor() is default_executor()
    assert default_executor().stats().size >= 5


async def test_calls_submitted_together_run_together_when_one_thread_is_idle() -> None:
    """Two calls queued back to back while one thread idles: the second does not wait
    for the first (the idle thread is spoken for once it is woken)."""
    executor = LocalExecutor(max_workers=4)
    try:
        await executor.submit(lambda: None, {}, context=contextvars.copy_context())
        both = threading.Barrier(2, timeout=10)
        futs = [
            executor.submit(both.wait, {}, context=contextvars.copy_context()) for _ in range(2)
        ]
        assert sorted(await asyncio.gather(*futs)) == [0, 1]
    finally:
        executor.close()
