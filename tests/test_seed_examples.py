"""The code examples of the seed overview (OVERVIEW.md) run verbatim.

Each snippet is kept exactly as the user wrote it (indentation restored) and
executed; the helper functions the "Compose Freely" snippet leaves to the
reader are defined here.
"""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path
from typing import Any

import pytest

from lythonic.compose.dag_provenance import DagProvenance, RunNotRestartable
from lythonic.compose.dag_runner import DagRunner

QUICK_START = """
from lythonic.compose.namespace import Dag
def fetch(url: str) -> dict:
    return {"source": url, "values": [1, 2, 3]}
def double(data: dict) -> dict:
    return {**data, "values": [v * 2 for v in data["values"]]}
dag = Dag()
dag.node(fetch) >> dag.node(double)
import asyncio
result = asyncio.run(dag(url="https://example.com"))
print(result.outputs["double"])
"""

COMPOSE_FREELY = """
from lythonic.compose.namespace import Dag, dag_factory
@dag_factory
def etl_pipeline() -> Dag:
    dag = Dag()
    dag.node(extract) >> dag.node(transform) >> dag.node(load)
    return dag
# Use as a step in a larger DAG
parent = Dag()
parent.node(setup) >> parent.node(etl_pipeline, label="etl") >> parent.node(report)
# Or map over a collection
parent.node(split) >> parent.map(etl_pipeline) >> parent.node(merge)
"""

RUN_PRODUCTION = """
# Production — with provenance tracking
from lythonic.compose.dag_runner import DagRunner
from lythonic.compose.dag_provenance import DagProvenance
runner = DagRunner(dag, provenance=DagProvenance(Path("runs.db")))
result = await runner.run(source_inputs={"fetch": {"url": "..."}})
"""

RUN_QUICK_TEST = """
# Quick test — no provenance, no ceremony
result = await dag(url="https://example.com")
"""


def setup() -> dict[str, Any]:
    return {"rows": [1, 2, 3]}


def extract(source: dict[str, Any]) -> list[int]:
    return list(source["rows"])


def transform(rows: list[int]) -> list[int]:
    return [r * 10 for r in rows]


def load(rows: list[int]) -> int:
    return sum(rows)


def report(total: int) -> str:
    return f"total={total}"


def split() -> list[dict[str, Any]]:
    return [{"rows": [1]}, {"rows": [2, 3]}]


def merge(totals: list[int]) -> int:
    return sum(totals)


def test_quick_start_runs_verbatim(capsys: Any) -> None:
    """The first example prints the doubled values."""
    exec(QUICK_START, {"__name__": "seed_quick_start"})
    assert capsys.readouterr().out.strip() == (
        "{'source': 'https://example.com', 'values': [2, 4, 6]}"
    )


def test_compose_freely_runs_verbatim() -> None:
    """A @dag_factory used as a call step and as a map step, in one parent DAG."""
    scope: dict[str, Any] = {
        "__name__": "seed_compose",
        "extract": extract,
        "transform": transform,
        "load": load,
        "setup": setup,
        "report": report,
        "split": split,
        "merge": merge,
    }
    exec(COMPOSE_FREELY, scope)
    parent = scope["parent"]
    parent.validate()
    assert sorted(parent.nodes) == ["etl", "etl_pipeline", "merge", "report", "setup", "split"]
    result = asyncio.run(parent())
    assert result.status == "completed"
    assert result.outputs == {"report": "total=60", "merge": 60}


def test_run_transparently_quick_test_runs_verbatim() -> None:
    """`await dag(url=...)` inside a coroutine returns the completed run."""
    scope: dict[str, Any] = {"__name__": "seed_run"}
    exec(QUICK_START.split("import asyncio")[0], scope)  # the DAG definition part
    body = textwrap.indent(RUN_QUICK_TEST, "    ")
    exec(f"async def main():\n{body}\n    return result\n", scope)
    result = asyncio.run(scope["main"]())
    assert result.status == "completed"
    assert result.outputs["double"]["values"] == [2, 4, 6]


def test_run_transparently_production_is_on_record_at_return(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runner example with provenance: right after ``run()`` returns (the
    runner and its store still alive), a second store object on the same file
    finds the completed run and every step, and a restart through a fresh store
    knows the run (it refuses it as completed instead of not finding it)."""
    monkeypatch.chdir(tmp_path)

    async def on_record(result: Any) -> None:
        with DagProvenance(Path("runs.db")) as second:
            run = second.get_run(result.run_id)
            assert run is not None and run["status"] == "completed"
            steps = {
                n["node_label"]: n["status"] for n in second.get_node_executions(result.run_id)
            }
            assert steps == {"fetch": "completed", "double": "completed"}
            with pytest.raises(RunNotRestartable, match="completed"):
                await DagRunner(scope["dag"], provenance=second).restart(result.run_id)

    scope: dict[str, Any] = {"__name__": "seed_production", "Path": Path, "on_record": on_record}
    exec(QUICK_START.split("import asyncio")[0], scope)
    body = textwrap.indent(RUN_PRODUCTION + "await on_record(result)\n", "    ")
    exec(f"async def main():\n{body}\n    return result\n", scope)
    assert asyncio.run(scope["main"]()).status == "completed"
