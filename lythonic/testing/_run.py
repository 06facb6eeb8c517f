"""``run_dag``: run a DAG (Python or lyth.yaml) once in a test and read back what was
recorded: each step's status and output, and the values that crossed each edge."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["RecordedRun", "RecordedStep", "assert_edge", "edge_value", "run_dag"]


@dataclass(frozen=True)
class RecordedStep:
    """One step of a recorded run: its status, attempt, error and output (decoded)."""

    label: str
    status: str
    attempt: int
    error: str | None
    output: Any


@dataclass(frozen=True)
class RecordedRun:
    """A run as the provenance store holds it, with the runner's result.

    ``edges`` lists ``(upstream, downstream)`` in the order values crossed them.
    """

    run_id: str
    status: str
    outputs: dict[str, Any]
    error: str | None
    steps: dict[str, RecordedStep] = field(default_factory=dict)
    edges: list[tuple[str, str]] = field(default_factory=list)

    def output(self, step: str) -> Any:
        """What ``step`` returned (as recorded and decoded)."""
        if step not in self.steps:
            raise KeyError(
                f"run {self.run_id} has no step {step!r}; its steps: {sorted(self.steps)}"
            )
        return self.steps[step].output


def edge_value(run: RecordedRun, upstream: str, downstream: str) -> Any:
    """The value that crossed the edge ``upstream >> downstream`` in ``run``.

    Raises ``AssertionError`` (with the edges that were crossed) when no value
    crossed it, e.g. the branch of a switch that was not taken.
    """
    if (upstream, downstream) not in run.edges:
        raise AssertionError(
            f"no value crossed {upstream} >> {downstream} in run {run.run_id}; crossed: "
            + (", ".join(f"{a} >> {b}" for a, b in run.edges) or "none")
        )
    return run.output(upstream)


_UNSET: Any = object()


def assert_edge(run: RecordedRun, upstream: str, downstream: str, value: Any = _UNSET) -> None:
    """Assert a value crossed ``upstream >> downstream`` (and equals ``value`` if given)."""
    got = edge_value(run, upstream, downstream)
    if value is not _UNSET and got != value:
        raise AssertionError(f"{upstream} >> {downstream} carried {got!r}, expected {value!r}")


def run_dag(
    dag_or_config: Any,
    name: str | None = None,
    inputs: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    store: Any = None,
    data_dir: Path | str | None = None,
    settings: Any = None,
) -> RecordedRun:
    """Run once and return what was recorded.

    ``dag_or_config``: a ``Dag``, a loaded config (``load_config``) or the path of a
    lyth.yaml (loaded with ``settings``, default: the environment's); ``name``:
    the config's DAG to run; ``inputs``: ``{"step": {"param": value}}``.
    ``store``: the provenance store to record in (default: a new SQLite file in
    ``data_dir``, closed afterwards). Call it from a plain (not async) test.
    """
    from lythonic.compose.dag_provenance import DagProvenance

    own = store is None
    if own:
        where = Path(data_dir) if data_dir is not None else Path(".")
        where.mkdir(parents=True, exist_ok=True)
        store = DagProvenance(where / "dags.db")
    try:
        result = asyncio.run(_run(dag_or_config, name, inputs, store, settings))
        store.flush()
        return _recorded(store, result)
    finally:
        if own:
            store.close()


async def _run(target: Any, name: str | None, inputs: Any, store: Any, settings: Any) -> Any:
    from lythonic.compose.namespace import Dag

    if isinstance(target, Dag):
        from lythonic.compose.dag_runner import DagRunner

        return await DagRunner(target, provenance=store).run(
            source_inputs=target.kwargs_to_inputs(dict(inputs or {})),
            dag_nsref=name or "dag",
        )
    if isinstance(target, str | Path):
        from lythonic.declarative import load_config

        target = load_config(Path(target), settings=settings)
    if name is None:
        raise ValueError(f"name the DAG to run: one of {', '.join(target.dag_names())}")
    return await target.run(name, inputs, provenance=store)


def _recorded(store: Any, result: Any) -> RecordedRun:
    from lythonic.compose.provenance import decode_value

    steps = {}
    for row in store.get_node_executions(result.run_id):
        label = row["node_label"]
        steps[label] = RecordedStep(
            label=label,
            status=row["status"],
            attempt=row.get("attempt", 1),
            error=row.get("error"),
            output=decode_value(store.get_node_output(result.run_id, label)),
        )
    edges = [
        (e["upstream_label"], e["downstream_label"])
        for e in store.get_edge_traversals(result.run_id)
    ]
    return RecordedRun(
        run_id=result.run_id,
        status=result.status,
        outputs=dict(result.outputs or {}),
        error=result.error,
        steps=steps,
        edges=edges,
    )
