"""diff_runs on real runs in a SQLite store: steps, values, inputs, child runs."""

from __future__ import annotations

import asyncio

from lythonic.compose.dag_provenance import DagProvenance
from lythonic.compose.dag_runner import DagRunner
from lythonic.forensics import diff_runs
from tests.forensics.conftest import prices_dag


def _run(store: DagProvenance, run_id: str, **inputs: object) -> None:
    result = asyncio.run(
        DagRunner(prices_dag(), store).run(
            {"items": dict(inputs)}, dag_nsref="prices", run_id=run_id
        )
    )
    assert result.status == "completed", result.error
    store.flush()


def _diff(store: DagProvenance, a: str, b: str, **kw: object):
    ra = store.inspect_run(a, children=False)
    rb = store.inspect_run(b, children=False)
    assert ra is not None and rb is not None
    return diff_runs(store, ra, rb, **kw)  # type: ignore[arg-type]


def test_two_equal_runs_are_the_same(store: DagProvenance) -> None:
    """Same DAG, same inputs: every step equal, every child equal, nothing to show."""
    _run(store, "a", n=20)
    _run(store, "b", n=20)
    d = _diff(store, "a", "b")
    assert d.same
    assert [s.value for s in d.steps] == ["equal"] * 3
    assert d.children[0].summary() == "20 equal, 0 differ"


def test_values_children_and_inputs_that_differ_are_shown(store: DagProvenance) -> None:
    """One element priced differently and one more element: the child runs say
    "19 equal, 1 differ, 1 only in B", the totals show the paths that changed, the
    inputs their change."""
    _run(store, "a", n=20)
    _run(store, "b", n=21, bump=7)
    d = _diff(store, "a", "b")
    assert not d.same
    by = {s.label: s for s in d.steps}
    assert by["items"].value == "differs" and by["prices"].value == "differs"
    assert [c.text() for c in by["totals"].changes] == [
        "$.sum: 190.0 → 210.5",
        "$.count: 20 → 21",
    ]
    (children,) = d.children
    assert (children.equal, children.differ, children.only_a, children.only_b) == (19, 1, 0, 1)
    assert children.examples == [("prices[7]", "price: output differs")]
    assert [c.text() for c in d.inputs] == ["$.items.n: 20 → 21", "$.items.bump: (absent) → 7"]


def test_steps_filter_and_tolerance(store: DagProvenance) -> None:
    """Only the steps asked for are compared; --rtol forgives tiny float drift."""
    _run(store, "a", n=5)
    _run(store, "b", n=5, drift=1e-9)
    d = _diff(store, "a", "b", steps=["totals"])
    assert [s.label for s in d.steps] == ["totals"] and d.steps[0].value == "differs"
    assert d.children == []
    assert _diff(store, "a", "b", steps=["totals"], rtol=1e-6).steps[0].value == "equal"
