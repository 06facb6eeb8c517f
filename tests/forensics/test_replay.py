"""replay_step: one recorded step again, alone, compared with the record."""

from __future__ import annotations

import asyncio

import pytest

from lythonic.compose.dag_provenance import DagProvenance
from lythonic.compose.dag_runner import DagRunner
from lythonic.compose.namespace import Dag
from lythonic.forensics import ReplayRefused, replay_step
from tests.forensics import steps
from tests.forensics.conftest import prices_dag


def _record(store: DagProvenance, dag: Dag, run_id: str, **inputs: object) -> object:
    asyncio.run(DagRunner(dag, store).run(inputs, dag_nsref="d", run_id=run_id))  # type: ignore[arg-type]
    store.flush()
    run = store.inspect_run(run_id, children=False)
    assert run is not None
    return run


def test_unchanged_code_gives_the_recorded_output(store: DagProvenance) -> None:
    """Replayed from its recorded inputs, a step gives the same value: equal."""
    dag = prices_dag()
    run = _record(store, dag, "r", items={"n": 4})
    got = replay_step(store, dag, run, "totals")  # type: ignore[arg-type]
    assert (got.equal, got.value, got.error) == (True, {"sum": 6.0, "count": 4}, None)
    top = store.get_recent_runs(10, top_level_only=True, children=False)
    assert [r.run_id for r in top] == ["r"]  # nothing recorded


def test_changed_code_shows_the_difference(
    store: DagProvenance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Today's code computes something else: the changes against the record, as paths."""
    dag = prices_dag()
    run = _record(store, dag, "r", items={"n": 4})
    today = lambda prices: {"sum": 0.0, "count": len(prices)}  # noqa: E731 -- edited code
    monkeypatch.setattr(dag.nodes["totals"].ns_node, "_decorated", today)
    got = replay_step(store, dag, run, "totals", force=True)  # type: ignore[arg-type]
    assert got.equal is False
    assert [c.text() for c in got.changes] == ["$.sum: 6.0 → 0.0"]


def test_a_step_of_a_child_run_by_its_path_with_an_override(store: DagProvenance) -> None:
    """``prices[2]/price`` is the price step of the map's third element; --input
    replaces a recorded input (conformed to the parameter's type)."""
    dag = prices_dag()
    run = _record(store, dag, "r", items={"n": 4})
    got = replay_step(store, dag, run, "prices[2]/price")  # type: ignore[arg-type]
    assert (got.dag_nsref, got.value, got.equal) == ("d/prices[2]", 2.0, True)
    other = replay_step(  # type: ignore[arg-type]
        store, dag, run, "prices[2]/price", overrides={"item": {"i": 5, "extra": 0.25}}
    )
    assert other.value == 5.25 and other.equal is False


def test_the_context_says_it_is_a_replay(store: DagProvenance) -> None:
    """A step taking DagContext sees replaying=True (and the recorded attempt)."""
    dag = Dag()
    dag.node(steps.context_aware, "aware")
    run = _record(store, dag, "r", aware={"x": 3})
    got = replay_step(store, dag, run, "aware")  # type: ignore[arg-type]
    assert got.value == {"replaying": True, "attempt": 1, "x": 3}
    assert got.changes[0].text() == "$.replaying: false → true"


def test_refusals_name_what_is_wrong(store: DagProvenance) -> None:
    """A placeholder input, a changed definition, a composite step, an unknown step or
    parameter: each refused with what to do."""
    dag = Dag()
    dag.node(steps.make_lock, "lock") >> dag.node(steps.opaque, "opaque")
    run = _record(store, dag, "r")
    with pytest.raises(
        ReplayRefused, match=r"input 'lock' was recorded as a placeholder.*--input lock="
    ):
        replay_step(store, dag, run, "opaque")  # type: ignore[arg-type]
    prices = prices_dag()
    priced = _record(store, prices, "p", items={"n": 2})
    changed = prices_dag()
    changed.node(steps.scale, "extra")
    with pytest.raises(ReplayRefused, match=r"changed since run p.*--force"):
        replay_step(store, changed, priced, "totals")  # type: ignore[arg-type]
    with pytest.raises(ReplayRefused, match="composite step"):
        replay_step(store, prices, priced, "prices")  # type: ignore[arg-type]
    with pytest.raises(ReplayRefused, match="no such step"):
        replay_step(store, prices, priced, "total")  # type: ignore[arg-type]
    with pytest.raises(ReplayRefused, match="has no parameter 'nope'"):
        replay_step(store, prices, priced, "totals", overrides={"nope": 1})  # type: ignore[arg-type]


def test_record_makes_a_new_run_by_replay(store: DagProvenance) -> None:
    """With record=True the replay is a new run initiated by `replay`, its one step
    with the inputs and output of the replay."""
    dag = prices_dag()
    run = _record(store, dag, "r", items={"n": 3})
    got = replay_step(store, dag, run, "totals", record=True)  # type: ignore[arg-type]
    assert got.recorded_as is not None
    new = store.inspect_run(got.recorded_as, children=False)
    assert new is not None
    assert (new.status, new.initiated_by, list(new.nodes)) == ("completed", "replay", ["totals"])
    assert store.node_value(got.recorded_as, "totals", "output")[0] == '{"sum":3.0,"count":3}'
