"""``DagRunner.restart`` and ``DagRunner.replay``: runs again from what was recorded.

Both read the run back from the runner's provenance store and decode the
recorded values into the types the node functions declare (a pydantic model
comes back as that model, a tuple as a tuple). A node's recorded output is
reused only when every node upstream of it is reused too, so whatever is
re-run takes everything downstream of it along.

- ``restart(run_id)`` continues a paused, failed, interrupted or cancelled run
  under the same run id; nodes that completed keep their outputs.
- ``replay(run_id, rerun_nodes)`` starts a new run that reuses the recorded
  outputs except those of ``rerun_nodes`` and of everything downstream of
  them; reused nodes are recorded as ``skipped``.

Both refuse when the DAG's definition hash differs from the one recorded with
the run, unless ``force=True``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import get_close_matches
from typing import TYPE_CHECKING, Any

from lythonic._codec import coerce, decode, has_unrecorded
from lythonic._events import event
from lythonic.compose.nodes._wiring import node_params, output_type
from lythonic.compose.provenance import (
    DagDefinitionChanged,
    RunNotFound,
    RunNotRestartable,
    UnknownStep,
)
from lythonic.compose.run._code import changed_steps, code_json
from lythonic.compose.run._execution import dag_hash
from lythonic.compose.run._ids import new_run_id
from lythonic.compose.run._plan import PLAIN, DagPlan, plan_for

if TYPE_CHECKING:
    from lythonic.compose.nodes import DagShape

__all__ = [
    "RESTARTABLE",
    "Decision",
    "Recovery",
    "decide_reuse",
    "explain_recovery",
    "plan_replay",
    "plan_restart",
    "reusable_outputs",
]

log = logging.getLogger("lythonic.compose.dag_runner")

RESTARTABLE = ("paused", "failed", "interrupted", "cancelled")


@dataclass(frozen=True)
class Recovery:
    """What a restart or replay runs: the runner executes it like any other run."""

    run_id: str
    dag_nsref: str
    inputs: dict[str, dict[str, Any]]
    prefilled: dict[str, Any]
    resumed: bool
    config_revision: str | None
    initiator: str | None
    decisions: tuple[Decision, ...] = ()


async def plan_restart(store: Any, dag: DagShape, run_id: str, *, force: bool = False) -> Recovery:
    """How to continue run ``run_id`` under its own id; see the module docstring."""
    run, rows = await _load(store, run_id)
    status = run["status"]
    if status not in RESTARTABLE:
        hint = (
            "; if its process died, mark it interrupted first (`lyth runs sweep`, or "
            "provenance.sweep_interrupted())"
            if status == "running"
            else ""
        )
        raise RunNotRestartable(
            f"Run '{run_id}' has status '{status}', expected one of "
            f"{', '.join(repr(s) for s in RESTARTABLE)}{hint}"
        )
    plan = plan_for(dag)
    _check_definition(run, plan, force, "restart")
    _check_code(run, plan, force, "restart")
    decisions = decide_reuse(plan, rows, (), run_id)
    return Recovery(
        run_id=run_id,
        dag_nsref=run["dag_nsref"],
        inputs=_decode_inputs(run, plan),
        prefilled={d.label: d.value for d in decisions if d.action == "reuse"},
        resumed=True,
        config_revision=run.get("config_revision"),
        initiator=run.get("initiated_by"),
        decisions=tuple(decisions),
    )


async def plan_replay(
    store: Any, dag: DagShape, run_id: str, rerun_nodes: Iterable[str], *, force: bool = False
) -> Recovery:
    """A new run reusing run ``run_id``'s outputs; see the module docstring."""
    run, rows = await _load(store, run_id)
    plan = plan_for(dag)
    rerun = set(rerun_nodes)
    labels = [np.label for np in plan.nodes]
    unknown = sorted(rerun.difference(labels))
    if unknown:
        close = get_close_matches(unknown[0], labels, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f"; its steps are {', '.join(labels)}"
        raise UnknownStep(
            f"replay of run '{run_id}': no step {', '.join(map(repr, unknown))} in this DAG{hint}"
        )
    _check_definition(run, plan, force, "replay")
    _check_code(run, plan, force, "replay")
    decisions = decide_reuse(plan, rows, rerun, run_id)
    return Recovery(
        run_id=new_run_id(),
        dag_nsref=run["dag_nsref"],
        inputs=_decode_inputs(run, plan),
        prefilled={d.label: d.value for d in decisions if d.action == "reuse"},
        resumed=False,
        config_revision=run.get("config_revision"),
        initiator=None,
        decisions=tuple(decisions),
    )


async def explain_recovery(
    store: Any,
    dag: DagShape,
    run_id: str,
    rerun: Iterable[str] | None = None,
    *,
    force: bool = False,
) -> Recovery:
    """What ``restart`` (``rerun`` None) or ``replay`` (``rerun``: the steps asked
    for) would do, with the same checks and the same rule, running nothing: the
    ``decisions`` say per step."""
    if rerun is None:
        return await plan_restart(store, dag, run_id, force=force)
    return await plan_replay(store, dag, run_id, rerun, force=force)


async def _load(store: Any, run_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    def read() -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        get_run = getattr(store, "get_run", None)  # a store may keep no history
        run = get_run(run_id) if get_run is not None else None
        return run, (store.get_node_executions(run_id) if run is not None else [])

    # Reads wait for the store's writer and touch the disk: keep them off the loop.
    run, rows = await asyncio.to_thread(read)
    if run is None:
        where = (
            "this runner records nothing (NullProvenance); give it a DagProvenance"
            if not getattr(store, "enabled", True)
            else f"no such run in {store!r}"
        )
        raise RunNotFound(f"Run '{run_id}' not found: {where}")
    return run, rows


def _check_definition(run: dict[str, Any], plan: DagPlan, force: bool, what: str) -> None:
    recorded = run.get("dag_hash")
    if not recorded:
        log.warning(
            "Run %s has no recorded DAG definition (written by an older lythonic); "
            "cannot check that this DAG is the same",
            run["run_id"],
            extra=event("dag_definition_unknown", run_id=run["run_id"]),
        )
        return
    current = dag_hash(plan)
    if current == recorded:
        return
    if force:
        log.warning(
            "%s of run %s with a changed DAG (recorded %s, now %s), as forced",
            what,
            run["run_id"],
            recorded,
            current,
            extra=event(
                "dag_definition_changed",
                run_id=run["run_id"],
                action=what,
                recorded=recorded,
                current=current,
            ),
        )
        return
    raise DagDefinitionChanged(
        f"cannot {what} run '{run['run_id']}': it ran DAG definition {recorded}, but this "
        f"runner's DAG is {current} (nodes, edges or options changed). Restore the DAG it "
        f"ran, or pass force=True to {what} with this one"
    )


def _check_code(run: dict[str, Any], plan: DagPlan, force: bool, what: str) -> None:
    """Refuse (unless ``force``: warn) when a step's code changed since the run."""
    recorded = run.get("code_json")
    changed = changed_steps(recorded, code_json(plan, dag_hash(plan))) if recorded else []
    if not changed:
        return
    names = ", ".join(f"'{label}'" for label in changed)
    if force:
        log.warning(
            "%s of run %s with changed code of step(s) %s, as forced",
            what,
            run["run_id"],
            names,
            extra=event("step_code_changed", run_id=run["run_id"], action=what, steps=changed),
        )
        return
    raise DagDefinitionChanged(
        f"cannot {what} run '{run['run_id']}': the code of step(s) {names} changed since it "
        f"ran (its source differs). Restore that code, or pass force=True to {what} with "
        "the code as it is now"
    )


def _decode_inputs(run: dict[str, Any], plan: DagPlan) -> dict[str, dict[str, Any]]:
    """The run's inputs, each typed as the parameter it feeds."""
    raw = decode(run.get("source_inputs_json")) or {}
    if not isinstance(raw, dict):
        return {}
    by_label = {np.label: np for np in plan.nodes}
    inputs: dict[str, dict[str, Any]] = {}
    for label, kwargs in raw.items():
        if not isinstance(kwargs, dict):
            continue
        np = by_label.get(label)
        params = (
            {p.name: p.annotation for p in node_params(np.ns_node)}
            if np is not None and np.kind == PLAIN
            else {}
        )
        typed = {}
        for name, value in kwargs.items():
            if has_unrecorded(value):
                raise RunNotRestartable(
                    f"Run '{run['run_id']}': input {label}.{name} could not be recorded "
                    f"({value!r}), so the run cannot be run again from its record"
                )
            typed[name] = coerce(value, params.get(name))
        inputs[label] = typed
    return inputs


@dataclass(frozen=True, slots=True)
class Decision:
    """What a restart or replay does with one step, and why.

    ``action``: ``reuse`` (the recorded output, typed, is its value), ``run``
    (a plain step runs again) or ``expand`` (a map, call or switch runs again,
    its elements or branch decided when it runs).
    """

    label: str
    action: str
    reason: str
    value: Any = None


def decide_reuse(
    plan: DagPlan, rows: list[dict[str, Any]], rerun: Iterable[str], run_id: str = "the run"
) -> list[Decision]:
    """Per step, in the order they run: reuse or run again, and why. The one rule
    restart, replay and ``lyth plan`` share.

    A step's output is reused when it completed (or was reused itself) in the
    run, it is not in ``rerun``, its value was recordable, and every step
    upstream of it is reused too.
    """
    skip = set(rerun)
    by_label = {r["node_label"]: r for r in rows}
    nodes = plan.nodes
    reused: set[str] = set()
    out: list[Decision] = []
    for i in plan.order:
        np = nodes[i]
        row = by_label.get(np.label)
        again = "expand" if np.kind != PLAIN else "run"
        if np.label in skip:
            out.append(Decision(np.label, again, "asked to run again"))
            continue
        if row is None:
            out.append(Decision(np.label, again, f"did not run in {run_id}"))
            continue
        if row["status"] not in ("completed", "skipped"):
            out.append(Decision(np.label, again, f"{row['status']} in {run_id}"))
            continue
        fresh = next((nodes[u].label for u in np.upstream if nodes[u].label not in reused), None)
        if fresh is not None:
            out.append(Decision(np.label, again, f"upstream '{fresh}' runs again"))
            continue
        try:
            value = decode(row["output_json"], output_type(np.node))
        except Exception as e:  # text that is not ours (written through the raw API)
            log.warning(
                "Node '%s': recorded output unreadable (%s); re-running it",
                np.label,
                e,
                extra=event("recorded_output_unreadable", node=np.label, error=str(e)),
            )
            out.append(Decision(np.label, again, f"its recorded output is unreadable ({e})"))
            continue
        if has_unrecorded(value):
            log.info(
                "Node '%s': its output was not recordable; re-running it",
                np.label,
                extra=event("recorded_output_placeholder", node=np.label),
            )
            out.append(Decision(np.label, again, "its recorded output is a placeholder"))
            continue
        reused.add(np.label)
        why = f"completed in {run_id}" + (", every upstream reused" if np.upstream else "")
        out.append(Decision(np.label, "reuse", why, value))
    return out


def reusable_outputs(
    plan: DagPlan, rows: list[dict[str, Any]], rerun: Iterable[str]
) -> dict[str, Any]:
    """Recorded outputs to reuse, typed as the nodes declare them (``decide_reuse``)."""
    return {d.label: d.value for d in decide_reuse(plan, rows, rerun) if d.action == "reuse"}
