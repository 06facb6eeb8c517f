"""What ``lyth plan`` adds to the reuse rule: what a step that runs would meet.

``decide_reuse`` says which steps reuse a recorded output and which run again;
restart and replay act on exactly that. A step that runs may still not call
its function, and a switch runs one branch of several. Where the values are
known before anything runs (every upstream reused, or the step is a source
with its inputs given), ``outlook`` says so:

- a cached step (``type: cache``): ``cache hit`` with the entry's age against
  its TTLs, or ``run`` saying why the cache will not answer;
- a switch: the branch its upstream's value names, and one ``skip`` row per
  branch it leaves out; while that value is unknown, that it waits for it.

It only reads (the cache's table, the values already decided) and draws no
lots: the cache's refresh between the TTLs is reported as a probability.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lythonic.compose.run._composite_runs import extract_switch
from lythonic.compose.run._plan import PLAIN, SWITCH, DagPlan, NodePlan
from lythonic.compose.run._recovery import Decision

__all__ = ["outlook"]


def outlook(
    plan: DagPlan,
    decisions: list[Decision],
    inputs: Mapping[str, Mapping[str, Any]],
    where: str = "the run",
) -> list[Decision]:
    """``decisions`` (one per step, in ``plan.order``) with what cached steps and
    switches would do; ``inputs`` are the steps' given inputs; ``where`` names the
    run reused values come from."""
    known = {d.label: d.value for d in decisions if d.action == "reuse"}
    out: list[Decision] = []
    for d, i in zip(decisions, plan.order, strict=True):
        np = plan.nodes[i]
        if d.action == "run" and np.kind == PLAIN:
            out.append(_cached(np, plan, d, known, inputs.get(np.label, {})))
        elif d.action == "expand" and np.kind == SWITCH:
            out.extend(_switch(np, plan, d, known, where))
        else:
            out.append(d)
    return out


def _arguments(
    np: NodePlan, plan: DagPlan, known: Mapping[str, Any], given: Mapping[str, Any]
) -> dict[str, Any] | str:
    """The step's arguments as the runner would pass them, or the upstream step
    whose value is not known yet."""
    kwargs: dict[str, Any] = {}
    for name, sources, fan_in in np.bindings:
        labels = [plan.nodes[s].label for s in sources]
        waiting = next((label for label in labels if label not in known), None)
        if waiting is not None:
            return waiting
        kwargs[name] = [known[label] for label in labels] if fan_in else known[labels[0]]
    kwargs.update(given)
    return kwargs


def _cached(
    np: NodePlan,
    plan: DagPlan,
    d: Decision,
    known: Mapping[str, Any],
    given: Mapping[str, Any],
) -> Decision:
    look = getattr(np.ns_node._decorated, "outlook", None)
    if look is None:
        return d
    arguments = _arguments(np, plan, known, given)
    if isinstance(arguments, str):
        why = f"{d.reason}; cached, its arguments known once '{arguments}' runs"
        return Decision(d.label, d.action, why)
    seen = look(**arguments)
    if seen is None:
        return Decision(d.label, d.action, f"{d.reason}; cached, but its inputs are incomplete")
    hit = seen.state == "hit" or (seen.state == "refresh" and seen.p < 0.5)
    return Decision(d.label, "cache hit" if hit else "run", seen.reason())


def _switch(
    np: NodePlan, plan: DagPlan, d: Decision, known: Mapping[str, Any], where: str
) -> list[Decision]:
    branches: dict[str, Any] = getattr(np.node, "branches", {})
    upstream = [plan.nodes[u].label for u in np.upstream]
    if len(upstream) != 1:
        return [d]
    route = upstream[0]
    if route not in known:
        why = f"branch unknown until '{route}' runs"
        return [Decision(d.label, d.action, f"{d.reason}; {why}" if d.reason else why)]
    try:
        chosen, _ = extract_switch(np.label, known[route])
    except TypeError:
        return [Decision(d.label, d.action, f"'{route}' recorded no branch name: it fails")]
    if chosen not in branches:
        why = f"'{route}' names branch '{chosen}', which this switch lacks: it fails"
        return [Decision(d.label, d.action, why)]
    rows = [Decision(d.label, d.action, f"runs branch '{chosen}' ('{route}' chose it in {where})")]
    rows += [
        Decision(f"{np.label}/{name}", "skip", f"'{route}' chose '{chosen}'")
        for name in sorted(branches)
        if name != chosen
    ]
    return rows
