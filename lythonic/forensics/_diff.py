"""``diff_runs``: what differs between two recorded runs.

First whether the DAG's definition changed (its hash, the steps added or
removed), then per step status, attempt and duration, then per value that
crossed an edge (a step's output) the differences as paths. Values whose
stored JSON is identical are recognised by a digest and never decoded. A
composite step's child runs (a map's elements) are matched by their key
(``chunks[3]``) and counted: "99,997 equal, 2 differ, 1 only in A", with the
first few that differ shown.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lythonic.compose.provenance import ChildDigest, DagRun, digest, node_seconds, run_seconds
from lythonic.forensics._values import Change, value_changes

__all__ = ["ChildrenDiff", "RunDiff", "StepDiff", "diff_runs"]


@dataclass(slots=True)
class StepDiff:
    """One step in both runs (a side is None when the step is not in that run)."""

    label: str
    status: tuple[str | None, str | None]
    attempt: tuple[int | None, int | None]
    seconds: tuple[float | None, float | None]
    downstream: list[str]
    value: str  # "equal", "differs", "only in A", "only in B", "not recorded"
    changes: list[Change] = field(default_factory=list)
    change_count: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "step": self.label,
            "status": list(self.status),
            "attempt": list(self.attempt),
            "seconds": list(self.seconds),
            "downstream": self.downstream,
            "value": self.value,
            "changes": [c.as_json() for c in self.changes],
            "change_count": self.change_count,
        }


@dataclass(slots=True)
class ChildrenDiff:
    """A composite step's child runs, matched by key."""

    step: str
    equal: int = 0
    differ: int = 0
    only_a: int = 0
    only_b: int = 0
    examples: list[tuple[str, str]] = field(default_factory=list)  # (key, what differs)

    def summary(self) -> str:
        """``"99,997 equal, 2 differ, 1 only in A"``."""
        parts = [f"{self.equal:,} equal", f"{self.differ:,} differ"]
        if self.only_a:
            parts.append(f"{self.only_a:,} only in A")
        if self.only_b:
            parts.append(f"{self.only_b:,} only in B")
        return ", ".join(parts)

    def as_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "equal": self.equal,
            "differ": self.differ,
            "only_in_a": self.only_a,
            "only_in_b": self.only_b,
            "examples": [{"key": k, "what": w} for k, w in self.examples],
        }


@dataclass(slots=True)
class RunDiff:
    """Everything ``lyth diff`` reports."""

    a: DagRun
    b: DagRun
    definition: dict[str, Any]
    inputs: list[Change]  # the runs' own inputs (what they were started with)
    steps: list[StepDiff]
    children: list[ChildrenDiff]

    @property
    def same(self) -> bool:
        """No step, value or child run differs (timings aside) and the definition is one."""
        return (
            not self.definition["changed"]
            and not self.inputs
            and all(
                s.value in ("equal", "not recorded") and s.status[0] == s.status[1]
                for s in self.steps
            )
            and all(c.differ == c.only_a == c.only_b == 0 for c in self.children)
        )

    def as_json(self) -> dict[str, Any]:
        def run(r: DagRun) -> dict[str, Any]:
            return {
                "run_id": r.run_id,
                "dag": r.dag_nsref,
                "status": r.status,
                "started_at": r.started_at.isoformat(),
                "seconds": run_seconds(r),
            }

        return {
            "a": run(self.a),
            "b": run(self.b),
            "same": self.same,
            "definition": self.definition,
            "inputs": [c.as_json() for c in self.inputs],
            "steps": [s.as_json() for s in self.steps],
            "children": [c.as_json() for c in self.children],
        }


def _decode(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def diff_runs(
    store: Any,
    a: DagRun,
    b: DagRun,
    *,
    steps: Sequence[str] | None = None,
    rtol: float = 0.0,
    ignore: Sequence[str] = (),
    max_items: int = 50,
) -> RunDiff:
    """Compare run ``a`` with run ``b`` of ``store`` (both read with ``inspect_run``,
    without children); ``steps`` limits it to those steps (and their child runs)."""

    def started(label: str) -> tuple[bool, Any]:
        node = a.nodes.get(label) or b.nodes.get(label)
        return (node is None or node.started_at is None, node.started_at if node else None)

    labels = sorted(dict.fromkeys([*a.nodes, *b.nodes]), key=started)
    if steps is not None:
        labels = [label for label in labels if label in steps]
    only_a = sorted(set(a.nodes) - set(b.nodes))
    only_b = sorted(set(b.nodes) - set(a.nodes))
    definition = {
        "changed": a.dag_hash != b.dag_hash,
        "hash": [a.dag_hash, b.dag_hash],
        "steps_only_in_a": only_a,
        "steps_only_in_b": only_b,
    }
    texts = {
        side: {label: store.node_value(run.run_id, label, "output")[0] for label in labels}
        for side, run in (("a", a), ("b", b))
    }
    out: list[StepDiff] = []
    for label in labels:
        na, nb = a.nodes.get(label), b.nodes.get(label)
        ta, tb = texts["a"][label], texts["b"][label]
        changes: list[Change] = []
        count = 0
        if na is None:
            value = "only in B"
        elif nb is None:
            value = "only in A"
        elif ta is None and tb is None:
            value = "not recorded"
        elif digest(ta) == digest(tb):
            value = "equal"
        else:
            changes, count = value_changes(
                _decode(ta or "null"),
                _decode(tb or "null"),
                rtol=rtol,
                ignore=ignore,
                limit=max_items,
            )
            value = "differs" if count else "equal"
        source = na or nb
        out.append(
            StepDiff(
                label,
                (na.status if na else None, nb.status if nb else None),
                (na.attempt if na else None, nb.attempt if nb else None),
                (node_seconds(na), node_seconds(nb)),
                sorted({e.downstream_label for e in source.edges}) if source else [],
                value,
                changes,
                count,
            )
        )
    children = _children(store, a, b, labels, max_items)
    return RunDiff(a, b, definition, _inputs(store, a, b, rtol, ignore, max_items), out, children)


def _inputs(
    store: Any, a: DagRun, b: DagRun, rtol: float, ignore: Sequence[str], limit: int
) -> list[Change]:
    for run in (a, b):
        store.load_io(run, [])
    ta = a.io.input_json if a.io else None
    tb = b.io.input_json if b.io else None
    if digest(ta) == digest(tb):
        return []
    changes, _ = value_changes(
        _decode(ta or "{}"), _decode(tb or "{}"), rtol=rtol, ignore=ignore, limit=limit
    )
    return changes


def _children(
    store: Any, a: DagRun, b: DagRun, labels: Sequence[str], max_items: int
) -> list[ChildrenDiff]:
    kids_a: dict[str, ChildDigest] = store.child_digests(a.run_id)
    kids_b: dict[str, ChildDigest] = store.child_digests(b.run_id)
    by_step: dict[str, ChildrenDiff] = {}

    def of(key: str) -> ChildrenDiff | None:
        step = key.split("[", 1)[0]
        if step not in labels:
            return None
        if step not in by_step:
            by_step[step] = ChildrenDiff(step)
        return by_step[step]

    for key, ca in kids_a.items():
        found = of(key)
        if found is None:
            continue
        cb = kids_b.get(key)
        if cb is None:
            found.only_a += 1
            continue
        what = _child_difference(ca, cb)
        if what is None:
            found.equal += 1
        else:
            found.differ += 1
            if len(found.examples) < max_items:
                found.examples.append((key, what))
    for key in kids_b.keys() - kids_a.keys():
        found = of(key)
        if found is not None:
            found.only_b += 1
    return [by_step[s] for s in labels if s in by_step]


def _child_difference(a: ChildDigest, b: ChildDigest) -> str | None:
    """What first differs between two child runs of one key, or None."""
    if a.status != b.status:
        return f"status {a.status} → {b.status}"
    for label in dict.fromkeys([*a.steps, *b.steps]):
        sa, sb = a.steps.get(label), b.steps.get(label)
        if sa is None or sb is None:
            return f"step {label} only in {'B' if sa is None else 'A'}"
        if sa[0] != sb[0]:
            return f"{label}: status {sa[0]} → {sb[0]}"
        if sa[2] != sb[2]:
            return f"{label}: output differs"
    return None
