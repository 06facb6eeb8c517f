"""The reuse rule against what happens: for 240 random DAGs (plain steps, steps that
fan out and maps over them, steps that route and switches on them), failure points
and re-run sets, what ``explain_recovery``
(and so ``lyth plan``) says a restart or replay reuses is exactly what the restart
or replay then reuses, and everything else runs."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import pytest

from lythonic.compose.dag_provenance import DagProvenance
from lythonic.compose.dag_runner import DagRunner
from lythonic.compose.namespace import Dag
from lythonic.compose.run import explain_recovery
from tests.compose.run import oracle_steps as steps

CASES = 120  # per kind: restart and replay


def _random_dag(rng: random.Random) -> tuple[Dag, list[str]]:
    dag = Dag()
    handles: list[Any] = []
    kinds: list[str] = []
    labels: list[str] = []
    for i in range(rng.randint(3, 8)):
        up = None if i == 0 or rng.random() < 0.25 else rng.randrange(i)
        if up is not None and kinds[up] == "fan" and rng.random() < 0.7:
            kind = "map"
        elif up is not None and kinds[up] == "route" and rng.random() < 0.8:
            kind = "switch"
        else:
            kind = rng.choice(["plain", "plain", "fan", "route"])
        label = f"{kind}{i}"
        if kind == "map":
            sub = Dag()
            sub.node(steps.elem, "elem")
            handle = dag.map(sub, label)
        elif kind == "switch":
            branches = {}
            for name, fn in (("even", steps.even), ("odd", steps.odd)):
                branch = Dag()
                branch.node(fn, name)
                branches[name] = branch
            handle = dag.switch(branches, label)
        else:
            fn = {"plain": steps.plain, "fan": steps.fan, "route": steps.route}[kind]
            handle = dag.node(fn, label)
        if up is not None:
            handles[up] >> handle
        handles.append(handle)
        kinds.append(kind)
        labels.append(label)
    return dag, labels


def _rows(store: DagProvenance, run_id: str) -> dict[str, tuple[str, Any]]:
    store.flush()
    return {
        r["node_label"]: (r["status"], r["started_at"]) for r in store.get_node_executions(run_id)
    }


@pytest.fixture(autouse=True)
def _no_failures() -> Any:
    yield
    steps.FAILING.clear()


@pytest.mark.parametrize("seed", range(CASES))
def test_restart_reuses_what_the_plan_says(tmp_path: Path, seed: int) -> None:
    """A run failed at a random step; after the fix, the plan's reuse is the restart's."""
    rng = random.Random(seed)
    dag, labels = _random_dag(rng)
    store = DagProvenance(tmp_path / "runs.db")
    try:
        steps.FAILING.add(rng.choice(labels))
        first = asyncio.run(DagRunner(dag, store).run(run_id="r"))
        assert first.status == "failed"
        before = _rows(store, "r")
        steps.FAILING.clear()
        plan = asyncio.run(explain_recovery(store, dag, "r"))
        predicted = {d.label for d in plan.decisions if d.action == "reuse"}
        assert {d.label for d in plan.decisions} == set(labels)
        again = asyncio.run(DagRunner(dag, store).restart("r"))
        assert again.status == "completed", again.error
        after = _rows(store, "r")
        reused = {
            k for k, (status, at) in before.items() if status == "completed" and after[k][1] == at
        }
        ran = {k for k in labels if after.get(k, (None, None))[1] != before.get(k, (None, None))[1]}
        assert predicted == reused
        assert ran == set(labels) - predicted
    finally:
        store.close()


@pytest.mark.parametrize("seed", range(CASES))
def test_replay_reuses_what_the_plan_says(tmp_path: Path, seed: int) -> None:
    """A completed run replayed from random steps: the plan's reuse is the replay's."""
    rng = random.Random(10_000 + seed)
    dag, labels = _random_dag(rng)
    store = DagProvenance(tmp_path / "runs.db")
    try:
        assert asyncio.run(DagRunner(dag, store).run(run_id="r")).status == "completed"
        rerun = set(rng.sample(labels, rng.randint(1, len(labels))))
        plan = asyncio.run(explain_recovery(store, dag, "r", rerun))
        predicted = {d.label for d in plan.decisions if d.action == "reuse"}
        replayed = asyncio.run(DagRunner(dag, store).replay("r", rerun))
        assert replayed.status == "completed", replayed.error
        rows = _rows(store, replayed.run_id)
        assert {k for k, (status, _) in rows.items() if status == "skipped"} == predicted
        assert {k for k, (status, _) in rows.items() if status == "completed"} == (
            set(labels) - predicted
        )
        assert rerun.isdisjoint(predicted)
    finally:
        store.close()
