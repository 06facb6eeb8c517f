"""What a DagRunner records in DagProvenance: nodes, values, edges, failures, child runs."""

from __future__ import annotations

import asyncio
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from lythonic.compose.dag_provenance import (
    DagProvenance,
    Unrecorded,
    decode_value,
    initiated_by,
)
from lythonic.compose.dag_runner import DagPause, DagRunner
from lythonic.compose.namespace import Dag
from tests.test_seed_examples import QUICK_START

SEED_DAG = QUICK_START.split("import asyncio")[0]  # the DAG definition, verbatim

SEED_PRODUCTION = """
# Production — with provenance tracking
from lythonic.compose.dag_runner import DagRunner
from lythonic.compose.dag_provenance import DagProvenance
runner = DagRunner(dag, provenance=DagProvenance(Path("runs.db")))
result = await runner.run(source_inputs={"fetch": {"url": "..."}})
"""


@pytest.fixture
def store(tmp_path: Path):
    prov = DagProvenance(tmp_path / "runs.db")
    yield prov
    prov.close()


def test_seed_run_transparently_example_records_the_run(tmp_path: Path, monkeypatch):
    """The seed's production snippet runs verbatim and records nodes, values and edges."""
    monkeypatch.chdir(tmp_path)
    scope: dict[str, Any] = {"__name__": "seed_production", "Path": Path}
    exec(SEED_DAG, scope)
    body = textwrap.indent(SEED_PRODUCTION, "    ")
    exec(f"async def main():\n{body}\n    return runner, result\n", scope)
    runner, result = asyncio.run(scope["main"]())
    assert result.status == "completed"
    assert (tmp_path / "runs.db").exists()

    prov = runner.provenance
    run = prov.inspect_run(result.run_id)
    assert run is not None and run.status == "completed"
    assert set(run.nodes) == {"fetch", "double"}
    assert [e.downstream_label for e in run.nodes["fetch"].edges] == ["double"]
    prov.load_io(run)
    assert json.loads(run.io.input_json) == {"fetch": {"url": "..."}}
    fetch, double = run.nodes["fetch"].io, run.nodes["double"].io
    assert json.loads(fetch.input_json) == {"url": "..."}
    assert json.loads(fetch.output_json) == {"source": "...", "values": [1, 2, 3]}
    assert json.loads(double.input_json) == {"data": {"source": "...", "values": [1, 2, 3]}}
    assert json.loads(double.output_json) == {"source": "...", "values": [2, 4, 6]}
    assert json.loads(run.io.output_json) == {"double": {"source": "...", "values": [2, 4, 6]}}
    edges = prov.get_edge_traversals(result.run_id)
    assert [(e["upstream_label"], e["downstream_label"]) for e in edges] == [("fetch", "double")]
    prov.close()


async def test_run_records_definition_hash_revision_and_initiator(store: DagProvenance):
    """Each run records its DAG's definition hash, the config revision and who started it."""

    async def one(x: int) -> int:
        return x

    dag = Dag()
    dag.node(one)
    runner = DagRunner(dag, provenance=store)
    with initiated_by("alice"):
        result = await runner.run(source_inputs={"one": {"x": 1}}, config_revision="rev-7")
    run = store.get_run(result.run_id)
    assert run is not None
    assert run["dag_hash"] == dag.definition_hash()
    assert run["config_revision"] == "rev-7"
    assert run["initiated_by"] == "alice"


async def test_failed_node_records_traceback_and_run_error(store: DagProvenance):
    """A failing node is failed with its traceback; the run is failed with the short error."""

    async def ok(x: int) -> int:
        return x

    async def boom(x: int) -> int:
        raise RuntimeError("no data for x")

    dag = Dag()
    dag.node(ok) >> dag.node(boom)
    result = await DagRunner(dag, provenance=store).run(source_inputs={"ok": {"x": 1}})
    assert result.status == "failed"
    run = store.inspect_run(result.run_id)
    assert run is not None and run.status == "failed" and run.finished_at is not None
    assert run.error == "RuntimeError: no data for x"
    assert run.nodes["ok"].status == "completed"
    assert run.nodes["boom"].status == "failed"
    assert "Traceback" in (run.nodes["boom"].error or "")
    assert store.get_pending_nodes(result.run_id) == ["boom"]


async def test_pausing_node_is_recorded_paused(store: DagProvenance):
    """A node raising DagPause is recorded as paused, never left running."""

    async def ok(x: int) -> int:
        return x

    async def wait_for_human(x: int) -> int:
        raise DagPause()

    dag = Dag()
    dag.node(ok) >> dag.node(wait_for_human)
    result = await DagRunner(dag, provenance=store).run(source_inputs={"ok": {"x": 1}})
    assert result.status == "paused"
    rows = {r["node_label"]: r for r in store.get_node_executions(result.run_id)}
    assert rows["wait_for_human"]["status"] == "paused"
    assert store.get_run(result.run_id)["status"] == "paused"  # type: ignore[index]


async def test_retried_node_records_its_attempt(store: DagProvenance):
    """A node that succeeds on its second attempt is completed with attempt 2."""
    calls = []

    async def flaky(x: int) -> int:
        calls.append(x)
        if len(calls) == 1:
            raise ConnectionError("first try fails")
        return x * 2

    dag = Dag()
    dag.node(flaky, retries=2, retry_backoff=0)
    result = await DagRunner(dag, provenance=store).run(source_inputs={"flaky": {"x": 4}})
    assert result.outputs == {"flaky": 8}
    run = store.inspect_run(result.run_id)
    assert run is not None
    node = run.nodes["flaky"]
    assert (node.status, node.attempt) == ("completed", 2)
    assert "ConnectionError" in (node.error or "")  # why the retry happened


class Handle:
    """Something JSON cannot hold (like a socket or a client)."""


async def test_unrecordable_output_still_completes(store: DagProvenance):
    """A node whose output JSON cannot hold completes; the record holds a placeholder."""

    async def open_handle(name: str) -> Handle:
        return Handle()

    async def use(h: Handle) -> str:
        return type(h).__name__

    dag = Dag()
    dag.node(open_handle) >> dag.node(use)
    result = await DagRunner(dag, provenance=store).run(
        source_inputs={"open_handle": {"name": "db"}}
    )
    assert result.status == "completed" and result.outputs == {"use": "Handle"}
    placeholder = decode_value(store.get_node_output(result.run_id, "open_handle"))
    assert isinstance(placeholder, Unrecorded) and placeholder.type_name.endswith("Handle")


async def test_unrecordable_input_does_not_fail_the_run(store: DagProvenance):
    """Source inputs JSON cannot hold are recorded as placeholders; the run completes."""

    async def take(h: Any) -> int:
        return 1

    dag = Dag()
    dag.node(take)
    result = await DagRunner(dag, provenance=store).run(source_inputs={"take": {"h": Handle()}})
    assert result.status == "completed"
    run = store.get_run(result.run_id)
    assert run is not None
    assert isinstance(decode_value(run["source_inputs_json"])["take"]["h"], Unrecorded)


async def test_record_is_taken_when_the_value_is_produced(store: DagProvenance):
    """A downstream node mutating its input does not change what was recorded upstream."""

    async def make(n: int) -> list[int]:
        return list(range(n))

    async def mutate(values: list[int]) -> int:
        values.append(99)
        return len(values)

    dag = Dag()
    dag.node(make) >> dag.node(mutate)
    result = await DagRunner(dag, provenance=store).run(source_inputs={"make": {"n": 3}})
    assert result.outputs == {"mutate": 4}
    assert json.loads(store.get_node_output(result.run_id, "make") or "") == [0, 1, 2]


async def test_typed_values_are_recorded_with_their_types(store: DagProvenance):
    """A tuple output is recorded so that it decodes back to a tuple."""

    async def pair(x: int) -> tuple[int, int]:
        return (x, x + 1)

    dag = Dag()
    dag.node(pair)
    result = await DagRunner(dag, provenance=store).run(source_inputs={"pair": {"x": 1}})
    assert decode_value(store.get_node_output(result.run_id, "pair")) == (1, 2)


async def test_map_elements_are_child_runs_under_the_map_node(store: DagProvenance):
    """Every map element is a child run, nested under the map node in inspect_run."""

    async def items(n: int) -> list[int]:
        return list(range(n))

    async def square(x: int) -> int:
        return x * x

    async def total(values: list[int]) -> int:
        return sum(values)

    sub = Dag()
    sub.node(square)
    dag = Dag()
    dag.node(items) >> dag.map(sub, label="each") >> dag.node(total)
    result = await DagRunner(dag, provenance=store).run(
        source_inputs={"items": {"n": 3}}, dag_nsref="t:squares"
    )
    assert result.outputs == {"total": 5}
    run = store.inspect_run(result.run_id)
    assert run is not None
    children = run.nodes["each"].sub_dags or {}
    assert sorted(children) == ["each[0]", "each[1]", "each[2]"]
    child = children["each[2]"]
    assert child.parent_run_id == result.run_id and child.dag_nsref == "t:squares/each[2]"
    store.load_io(child)
    assert json.loads(child.nodes["square"].io.output_json) == 4  # type: ignore[union-attr]
    assert [c.run_id for c in store.get_child_runs(result.run_id)] == [
        children[k].run_id for k in ("each[0]", "each[1]", "each[2]")
    ]


async def test_cancelled_run_is_recorded_cancelled(store: DagProvenance):
    """Cancelling the task running a DAG ends its record as cancelled, not running."""
    started = asyncio.Event()

    async def slow(x: int) -> int:
        started.set()
        await asyncio.sleep(10)
        return x

    dag = Dag()
    dag.node(slow)
    runner = DagRunner(dag, provenance=store)
    task = asyncio.create_task(runner.run(source_inputs={"slow": {"x": 1}}, run_id="run-c"))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert store.get_run("run-c")["status"] == "cancelled"  # type: ignore[index]
