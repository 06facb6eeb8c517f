"""``replay_step``: one recorded step run again, alone, in this process.

Its recorded inputs are decoded into the types its function declares, the
function is called (no upstream, no downstream, no executor), and its result
is compared with the recorded output: "would this step give the same result
with today's code?". A step inside a composite's child run is named by its
path (``chunks[3]/count``). Its ``DagContext``, if it takes one, says
``replaying=True``, so a step with side effects can skip them. Nothing is
recorded unless asked: then the call is a new run initiated by ``replay``.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import time
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lythonic._codec import coerce, decode, encode, has_unrecorded
from lythonic.compose.nodes import CompositeDagNode, DagPath, node_params
from lythonic.compose.provenance import RUN_STATUSES, DagRun, digest
from lythonic.forensics._values import Change, value_changes

__all__ = ["ReplayRefused", "StepReplay", "replay_step"]


class ReplayRefused(ValueError):
    """The step cannot be replayed as asked (the message says why and what to do)."""


@dataclass(slots=True)
class StepReplay:
    """How the replay went: the value (or the error), and against the record."""

    run_id: str  # the recorded run the step belongs to (a child run for a path)
    dag_nsref: str
    label: str
    seconds: float
    value: Any = None
    output_json: str | None = None
    error: str | None = None  # the traceback, when the call raised
    recorded_status: str | None = None
    recorded_json: str | None = None
    equal: bool | None = None  # None: nothing to compare with (no recorded output, or raised)
    changes: list[Change] = field(default_factory=list)
    change_count: int = 0
    recorded_as: str | None = None  # the new run, with --record

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "dag": self.dag_nsref,
            "step": self.label,
            "seconds": self.seconds,
            "output": json.loads(self.output_json) if self.output_json else None,
            "error": self.error,
            "recorded_status": self.recorded_status,
            "recorded_output": json.loads(self.recorded_json) if self.recorded_json else None,
            "equal": self.equal,
            "changes": [c.as_json() for c in self.changes],
            "change_count": self.change_count,
            "recorded_as": self.recorded_as,
        }


def _child(store: Any, parent: DagRun, key: str) -> DagRun:
    found: list[DagRun] = store.unfinished_child_runs(
        parent.run_id, key=key, limit=1, statuses=RUN_STATUSES
    )
    if not found:
        raise ReplayRefused(f"run {parent.run_id} has no child run {key!r}")
    return found[0]


def _sub_dag(dag: Any, key: str, where: str) -> Any:
    step, _, rest = key.partition("[")
    node = dag.nodes.get(step)
    if not isinstance(node, CompositeDagNode):
        raise ReplayRefused(f"{where}: {step!r} is not a composite step (map, call, switch)")
    subs = node.sub_dags()
    if len(subs) == 1:
        return next(iter(subs.values()))
    branch = rest[:-1] if rest.endswith("]") else rest
    if branch in subs:
        return subs[branch]
    raise ReplayRefused(f"{where}: cannot tell which branch of {step!r} ran {key!r}")


def replay_step(
    store: Any,
    dag: Any,
    run: DagRun,
    path: str,
    *,
    overrides: Mapping[str, Any] | None = None,
    force: bool = False,
    record: bool = False,
    max_items: int = 50,
) -> StepReplay:
    """Replay step ``path`` (``"count"`` or ``"chunks[3]/count"``) of recorded ``run``
    (a top-level run of ``dag``) from ``store``. ``overrides`` replace recorded inputs
    by parameter name. Raises ``ReplayRefused`` when it cannot be done faithfully."""
    if run.dag_hash and not force:
        current = dag.definition_hash()
        if current != run.dag_hash:
            raise ReplayRefused(
                f"the definition of DAG {run.dag_nsref!r} changed since run {run.run_id} "
                f"(hash {run.dag_hash} → {current}); pass --force to replay anyway"
            )
    *keys, label = path.split("/")
    target, target_dag = run, dag
    for key in keys:
        target_dag = _sub_dag(target_dag, key, f"run {target.run_id}")
        target = _child(store, target, key)
    node = target_dag.nodes.get(label)
    if node is None or isinstance(node, CompositeDagNode):
        known = ", ".join(
            k for k, n in target_dag.nodes.items() if not isinstance(n, CompositeDagNode)
        )
        what = "a composite step: replay one of its child runs' steps" if node else "no such step"
        raise ReplayRefused(f"{path!r}: {what} (steps of {target.dag_nsref}: {known})")
    executed = store.inspect_run(target.run_id, children=False)
    recorded = executed.nodes.get(label) if executed else None
    if recorded is None:
        raise ReplayRefused(f"step {path!r} did not run in run {target.run_id}: nothing to replay")
    inputs_text, _ = store.node_value(target.run_id, label, "input")
    kwargs = _inputs(node, inputs_text, overrides or {}, path)
    fn = node.ns_node.callable
    ctx_type = node.ns_node.dag_context_type()
    if ctx_type is not None:
        first = next(iter(inspect.signature(node.ns_node.method.o).parameters))
        kwargs[first] = ctx_type(
            dag_nsref=DagPath(target.dag_nsref),
            node_label=label,
            run_id=target.run_id,
            attempt=recorded.attempt,
            replaying=True,
        )
    out = StepReplay(target.run_id, target.dag_nsref, label, 0.0, recorded_status=recorded.status)
    out.recorded_json = store.node_value(target.run_id, label, "output")[0]
    started = time.perf_counter()
    try:
        value = fn(**kwargs)
        if inspect.isawaitable(value):
            value = asyncio.run(_awaited(value))
    except Exception:
        out.error = traceback.format_exc()
    out.seconds = time.perf_counter() - started
    if out.error is None:
        out.value = value
        out.output_json = encode(value)
        if out.recorded_json is not None:
            out.equal = digest(out.recorded_json) == digest(out.output_json)
            if not out.equal:
                out.changes, out.change_count = value_changes(
                    json.loads(out.recorded_json), json.loads(out.output_json), limit=max_items
                )
                out.equal = out.change_count == 0
    if record:
        out.recorded_as = _record(store, target, label, kwargs, ctx_type, out)
    return out


async def _awaited(value: Any) -> Any:
    return await value


def _inputs(node: Any, text: str | None, overrides: Mapping[str, Any], path: str) -> dict[str, Any]:
    """The recorded inputs, decoded as the parameters declare, with ``overrides``."""
    recorded = decode(text) if text else {}
    if not isinstance(recorded, dict):
        recorded = {}
    params = {p.name: p for p in node_params(node.ns_node)}
    for name in overrides:
        if name not in params:
            raise ReplayRefused(
                f"--input {name}: step {path!r} has no parameter {name!r} "
                f"(it takes: {', '.join(params) or 'nothing'})"
            )
    kwargs: dict[str, Any] = {}
    for name, value in recorded.items():
        if name in overrides:
            continue
        if has_unrecorded(value):
            raise ReplayRefused(
                f"step {path!r}: input {name!r} was recorded as a placeholder ({value}), not "
                f"its value; give it with --input {name}=VALUE"
            )
        param = params.get(name)
        kwargs[name] = coerce(value, param.annotation if param else None)
    for name, value in overrides.items():
        kwargs[name] = coerce(value, params[name].annotation)
    return kwargs


def _record(
    store: Any,
    target: DagRun,
    label: str,
    kwargs: Mapping[str, Any],
    ctx_type: Any,
    out: StepReplay,
) -> str:
    """The replay as a new run (initiated by ``replay``): one step, its inputs and result."""
    run_id = f"replay-{uuid.uuid4()}"
    shown = {k: v for k, v in kwargs.items() if ctx_type is None or not isinstance(v, ctx_type)}
    store.begin_run(run_id, target.dag_nsref, {label: shown}, initiator="replay")
    store.node_started(run_id, label, shown, is_source=True, is_sink=True)
    if out.error is None:
        store.node_completed(run_id, label, out.value, ())
        store.end_run(run_id, "completed", {label: out.value})
    else:
        store.node_failed(run_id, label, out.error)
        store.end_run(run_id, "failed", None, error=out.error.strip().splitlines()[-1])
    store.flush()
    return run_id
