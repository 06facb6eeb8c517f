"""DagRunner.restart and DagRunner.replay from the provenance record."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from lythonic.compose.dag_provenance import (
    DagDefinitionChanged,
    DagProvenance,
    ProvenanceStore,
    RunNotFound,
    RunNotRestartable,
    initiated_by,
)
from lythonic.compose.dag_runner import DagPause, DagRunner
from lythonic.compose.namespace import Dag

calls: Counter[str] = Counter()


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    calls.clear()


@pytest.fixture
def store(tmp_path: Path):
    prov = DagProvenance(tmp_path / "runs.db")
    yield prov
    prov.close()


class Point(BaseModel):
    x: int
    y: int


async def locate(day: date, scale: int) -> Point:
    calls["locate"] += 1
    assert isinstance(day, date)
    return Point(x=day.day * scale, y=scale)


async def measure(p: Point) -> tuple[int, int]:
    calls["measure"] += 1
    assert isinstance(p, Point), f"got {type(p).__name__}"
    if calls["measure"] == 1:
        raise RuntimeError("the first attempt fails")
    return (p.x, p.y)


async def report(span: tuple[int, int]) -> str:
    calls["report"] += 1
    assert isinstance(span, tuple), f"got {type(span).__name__}"
    return f"{span[0]}x{span[1]}"


def typed_dag() -> Dag:
    dag = Dag()
    dag.node(locate) >> dag.node(measure) >> dag.node(report)
    return dag


async def test_restart_gives_functions_back_their_declared_types(store: DagProvenance):
    """Restart decodes the record into a pydantic model, a tuple and a date, and re-runs
    only what did not complete, under the same run id."""
    runner = DagRunner(typed_dag(), provenance=store)
    first = await runner.run(source_inputs={"locate": {"day": date(2024, 3, 5), "scale": 2}})
    assert first.status == "failed" and first.failed_node == "measure"

    again = await runner.restart(first.run_id)
    assert again.status == "completed" and again.run_id == first.run_id
    assert again.outputs == {"report": "10x2"}
    assert calls == {"locate": 1, "measure": 2, "report": 1}
    run = store.inspect_run(first.run_id)
    assert run is not None and run.status == "completed" and run.error is None
    assert {n.status for n in run.nodes.values()} == {"completed"}


async def pause_once(x: int) -> int:
    calls["pause_once"] += 1
    if calls["pause_once"] == 1:
        raise DagPause()
    return x * 2


async def first_step(x: int) -> int:
    calls["first_step"] += 1
    return x + 1


async def test_restart_a_paused_run_resumes_at_the_paused_node(store: DagProvenance):
    """A paused run continues from the node that paused; earlier nodes keep their outputs."""
    dag = Dag()
    dag.node(first_step) >> dag.node(pause_once)
    runner = DagRunner(dag, provenance=store)
    first = await runner.run(source_inputs={"first_step": {"x": 1}})
    assert first.status == "paused"
    again = await runner.restart(first.run_id)
    assert again.outputs == {"pause_once": 4}
    assert calls == {"first_step": 1, "pause_once": 2}


async def test_restart_keeps_the_original_initiator(store: DagProvenance):
    """A restarted run stays attributed to whoever started it."""
    dag = Dag()
    dag.node(first_step) >> dag.node(pause_once)
    runner = DagRunner(dag, provenance=store)
    with initiated_by("alice"):
        first = await runner.run(source_inputs={"first_step": {"x": 1}})
    with initiated_by("bob"):
        await runner.restart(first.run_id)
    assert store.get_run(first.run_id)["initiated_by"] == "alice"  # type: ignore[index]


async def test_restart_refuses_completed_and_running_runs(store: DagProvenance):
    """Only paused, failed, interrupted or cancelled runs restart; a running one hints at sweeping."""
    dag = Dag()
    dag.node(first_step)
    runner = DagRunner(dag, provenance=store)
    done = await runner.run(source_inputs={"first_step": {"x": 1}})
    with pytest.raises(RunNotRestartable, match="status 'completed'"):
        await runner.restart(done.run_id)
    store.create_run("stuck", "p:d", {})
    with pytest.raises(RunNotRestartable, match="sweep_interrupted"):
        await runner.restart("stuck")


async def test_restart_and_replay_without_a_record_say_not_found():
    """With NullProvenance (the default) restart and replay raise ValueError 'not found'."""
    dag = Dag()
    dag.node(first_step)
    runner = DagRunner(dag)
    result = await runner.run(source_inputs={"first_step": {"x": 1}})
    with pytest.raises(ValueError, match="not found"):
        await runner.restart(result.run_id)
    with pytest.raises(RunNotFound, match="not found"):
        await runner.replay(result.run_id, rerun_nodes={"first_step"})


async def test_changed_definition_is_refused_unless_forced(store: DagProvenance):
    """A DAG whose definition changed since the run is refused; force=True goes ahead."""
    runner = DagRunner(typed_dag(), provenance=store)
    first = await runner.run(source_inputs={"locate": {"day": date(2024, 3, 5), "scale": 2}})
    changed = typed_dag()

    async def extra(text: str) -> str:
        return text

    changed.nodes["report"] >> changed.node(extra)
    other = DagRunner(changed, provenance=store)
    with pytest.raises(DagDefinitionChanged, match="force=True"):
        await other.restart(first.run_id)
    with pytest.raises(DagDefinitionChanged, match="force=True"):
        await other.replay(first.run_id, rerun_nodes=set())
    forced = await other.restart(first.run_id, force=True)
    assert forced.outputs == {"extra": "10x2"}


def _counting(name: str) -> Any:
    async def fn(x: int) -> int:
        calls[name] += 1
        return x + calls[name] * 100

    fn.__name__ = fn.__qualname__ = name
    return fn


async def test_replay_reruns_the_chosen_nodes_and_everything_downstream(store: DagProvenance):
    """replay(run, {"b"}) re-runs b and c (downstream of b); a and d are reused as skipped."""
    dag = Dag()
    a, b, c, d = (dag.node(_counting(n), label=n) for n in "abcd")
    a >> b >> c
    a >> d
    runner = DagRunner(dag, provenance=store)
    first = await runner.run(source_inputs={"a": {"x": 0}})
    assert first.outputs == {"c": 300, "d": 200}  # a=100, b=200, c=300, d=200

    replayed = await runner.replay(first.run_id, rerun_nodes={"b"})
    assert replayed.run_id != first.run_id and replayed.status == "completed"
    assert calls == {"a": 1, "b": 2, "c": 2, "d": 1}
    assert replayed.outputs == {"c": 500, "d": 200}  # b=100+200, c=300+200; d reused
    rows = {r["node_label"]: r["status"] for r in store.get_node_executions(replayed.run_id)}
    assert rows == {"a": "skipped", "b": "completed", "c": "completed", "d": "skipped"}
    edges = {
        (e["upstream_label"], e["downstream_label"])
        for e in store.get_edge_traversals(replayed.run_id)
    }
    assert edges == {("a", "b"), ("b", "c")}  # a's value crossed into b, which ran again


async def test_replay_is_attributed_to_the_caller(store: DagProvenance):
    """A replay is a new run, started by whoever replays it."""
    dag = Dag()
    dag.node(first_step)
    runner = DagRunner(dag, provenance=store)
    with initiated_by("alice"):
        first = await runner.run(source_inputs={"first_step": {"x": 1}})
    with initiated_by("bob"):
        replayed = await runner.replay(first.run_id, rerun_nodes={"first_step"})
    assert store.get_run(replayed.run_id)["initiated_by"] == "bob"  # type: ignore[index]


async def test_replay_names_unknown_nodes(store: DagProvenance):
    """Asking to re-run a node the DAG does not have is an error naming the closest one."""
    dag = Dag()
    dag.node(first_step)
    runner = DagRunner(dag, provenance=store)
    first = await runner.run(source_inputs={"first_step": {"x": 1}})
    with pytest.raises(ValueError, match=r"no step 'frist_step'.*did you mean 'first_step'"):
        await runner.replay(first.run_id, rerun_nodes={"frist_step"})


class Handle:
    pass


async def make_handle(x: int) -> Handle:
    calls["make_handle"] += 1
    return Handle()


async def use_handle(h: Handle) -> int:
    calls["use_handle"] += 1
    if calls["use_handle"] == 1:
        raise RuntimeError("first attempt fails")
    return 1


async def test_restart_reruns_nodes_whose_output_was_not_recordable(store: DagProvenance):
    """An output recorded only as a placeholder cannot be reused: that node runs again."""
    dag = Dag()
    dag.node(make_handle) >> dag.node(use_handle)
    runner = DagRunner(dag, provenance=store)
    first = await runner.run(source_inputs={"make_handle": {"x": 1}})
    assert first.status == "failed"
    again = await runner.restart(first.run_id)
    assert again.status == "completed"
    assert calls == {"make_handle": 2, "use_handle": 2}


_NODES_MODULE = """
import asyncio, os
from pathlib import Path
from lythonic.compose.namespace import Dag

async def start(x: int) -> int:
    Path(os.environ["MARKS"], "start").touch()
    return x + 1

async def wait_for_release(y: int) -> int:
    release = Path(os.environ["MARKS"], "release")
    print("WAITING", flush=True)
    while not release.exists():
        await asyncio.sleep(0.01)
    return y * 10

def build() -> Dag:
    dag = Dag()
    dag.node(start) >> dag.node(wait_for_release)
    return dag
"""

_RUN_SCRIPT = """
import asyncio, sys
from pathlib import Path
from lythonic.compose.dag_provenance import DagProvenance
from lythonic.compose.dag_runner import DagRunner
import crashnodes

store = DagProvenance(Path(sys.argv[1]), flush_interval=0.01)
asyncio.run(DagRunner(crashnodes.build(), provenance=store).run(
    source_inputs={"start": {"x": 1}}, dag_nsref="t:crash"))
"""


@pytest.mark.slow
def test_kill_9_sweep_then_restart_completes_the_run(tmp_path: Path, monkeypatch):
    """A run killed with its process is swept to interrupted and restarted to completion."""
    (tmp_path / "crashnodes.py").write_text(textwrap.dedent(_NODES_MODULE))
    (tmp_path / "run.py").write_text(_RUN_SCRIPT)
    marks = tmp_path / "marks"
    marks.mkdir()
    monkeypatch.setenv("MARKS", str(marks))
    monkeypatch.syspath_prepend(str(tmp_path))
    db = tmp_path / "runs.db"
    store = DagProvenance(db)
    proc = subprocess.Popen(
        [sys.executable, str(tmp_path / "run.py"), str(db)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "WAITING"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            runs = store.get_recent_runs(top_level_only=True)
            if runs and "wait_for_release" in runs[0].nodes:
                break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    (run_id,) = store.sweep_interrupted()
    (marks / "start").unlink()
    (marks / "release").touch()

    import crashnodes  # type: ignore[import-not-found]

    result = asyncio.run(DagRunner(crashnodes.build(), provenance=store).restart(run_id))
    assert result.status == "completed" and result.outputs == {"wait_for_release": 20}
    assert not (marks / "start").exists()  # the completed node was not run again
    assert store.get_run(run_id)["status"] == "completed"  # type: ignore[index]


class Forwarding(ProvenanceStore):
    """A wrapper store (like a progress reporter) that forwards reads with __getattr__."""

    def __init__(self, inner: DagProvenance) -> None:
        self.inner = inner

    def begin_run(self, *a: Any, **kw: Any) -> None:
        self.inner.begin_run(*a, **kw)

    def node_started(self, *a: Any, **kw: Any) -> None:
        self.inner.node_started(*a, **kw)

    def node_completed(self, *a: Any, **kw: Any) -> None:
        self.inner.node_completed(*a, **kw)

    def node_failed(self, *a: Any, **kw: Any) -> None:
        self.inner.node_failed(*a, **kw)

    def node_paused(self, *a: Any, **kw: Any) -> None:
        self.inner.node_paused(*a, **kw)

    def node_skipped(self, *a: Any, **kw: Any) -> None:
        self.inner.node_skipped(*a, **kw)

    def end_run(self, *a: Any, **kw: Any) -> None:
        self.inner.end_run(*a, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def test_restart_through_a_forwarding_store(store: DagProvenance):
    """A store wrapper that forwards reads by __getattr__ restarts runs like the store itself."""
    dag = Dag()
    dag.node(first_step) >> dag.node(pause_once)
    runner = DagRunner(dag, provenance=Forwarding(store))
    first = await runner.run(source_inputs={"first_step": {"x": 1}})
    again = await runner.restart(first.run_id)
    assert again.status == "completed" and calls == {"first_step": 1, "pause_once": 2}
