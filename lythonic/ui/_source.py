"""``UiSource``: what the web view reads — the run and trigger stores, and the
DAG definitions the runs are drawn with.

Every method is synchronous (the stores are); the app calls them on worker
threads, never on the event loop. The stores are opened once, read-only in
practice (the view writes nothing), and closed with the source.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from lythonic.compose.provenance import DagRun, run_summary
from lythonic.compose.schedule import trigger_listing
from lythonic.compose.stores import StoreLocation, open_provenance, open_triggers
from lythonic.ui._svg import GraphNode

__all__ = ["DagShapes", "RunGraph", "UiSource", "dag_shapes"]

DagShapes = Mapping[str, tuple[dict[str, Any], str | None]]
"""Per DAG name: its drawing as ``lyth graph --format json`` gives it, and its
definition hash (runs record the hash of the DAG that ran)."""

_COMPOSITES = ("map", "call", "switch", "map_switch")


def dag_shapes(dags: Mapping[str, Any]) -> dict[str, tuple[dict[str, Any], str | None]]:
    """The shapes of a config's DAGs (``LoadedConfig.dags``)."""
    from lythonic.declarative._graph import render_graph

    out: dict[str, tuple[dict[str, Any], str | None]] = {}
    for name, dag in dags.items():
        try:
            digest: str | None = dag.definition_hash()
        except Exception:  # a definition that cannot be described is still drawn
            digest = None
        out[name] = (json.loads(render_graph(dag, name, "json")), digest)
    return out


@dataclass(frozen=True, slots=True)
class RunGraph:
    """A run's steps and edges, ready to draw; ``note`` says where the shape came from."""

    nodes: list[GraphNode]
    edges: list[tuple[str, str]]
    note: str


def step_href(run_id: str, label: str) -> str:
    return f"/runs/{quote(run_id, safe='')}/steps/{quote(label, safe='')}"


def count_caption(by_status: Mapping[str, int]) -> str:
    """How many child runs a composite step had, by outcome (the first character
    is a multiplication sign).

    >>> count_caption({"completed": 99_998, "failed": 2})[1:]
    '100,000: 99,998 ok, 2 failed'
    """
    total = sum(by_status.values())
    parts = [f"{by_status.get('completed', 0):,} ok"] if "completed" in by_status else []
    parts += [f"{n:,} {s}" for s, n in sorted(by_status.items()) if s != "completed"]
    return f"×{total:,}: " + ", ".join(parts)


class UiSource:
    """The stores at ``runs`` and ``triggers``, and ``shapes()``: the DAG shapes of the
    config in force (the daemon's current snapshot, or the file ``lyth ui`` loaded)."""

    def __init__(
        self,
        runs: StoreLocation,
        triggers: StoreLocation,
        shapes: Callable[[], DagShapes] = dict,
    ) -> None:
        self.runs_location = runs
        self.triggers_location = triggers
        self.shapes = shapes
        self._lock = threading.Lock()
        self._runs: Any = None
        self._triggers: Any = None

    # -- stores, opened at first use ---------------------------------------------

    def _prov(self) -> Any:
        with self._lock:
            if self._runs is None:
                self._runs = open_provenance(self.runs_location)
            return self._runs

    def _trig(self) -> Any:
        with self._lock:
            if self._triggers is None:
                self._triggers = open_triggers(self.triggers_location)
            return self._triggers

    def has_runs(self) -> bool:
        return self.runs_location.exists()

    def close(self) -> None:
        with self._lock:
            for store in (self._runs, self._triggers):
                if store is not None:
                    store.close()
            self._runs = self._triggers = None

    # -- reads ----------------------------------------------------------------------

    def runs_page(
        self, *, limit: int, before: tuple[float, str] | None, **filters: str | None
    ) -> tuple[list[DagRun], list[tuple[float, str]]]:
        """Runs newest first and their keys (see ``DagProvenance.runs_page``)."""
        if not self.has_runs():
            return [], []
        page: tuple[list[DagRun], list[tuple[float, str]]] = self._prov().runs_page(
            limit=limit, before=before, **filters
        )
        return page

    def run(self, run_id: str) -> DagRun | None:
        if not self.has_runs():
            return None
        run: DagRun | None = self._prov().inspect_run(run_id, children=False)
        return run

    def child_counts(self, run_id: str) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = self._prov().child_counts(run_id)
        return counts

    def children_page(
        self,
        run_id: str,
        step: str,
        *,
        limit: int,
        after: tuple[float, str] | None,
        status: str | None,
    ) -> tuple[list[DagRun], list[tuple[float, str]]]:
        page: tuple[list[DagRun], list[tuple[float, str]]] = self._prov().children_page(
            run_id, step, limit=limit, after=after, status=status
        )
        return page

    def node_value(
        self, run_id: str, label: str, which: str, max_bytes: int | None
    ) -> tuple[str | None, int | None]:
        found: tuple[str | None, int | None] = self._prov().node_value(
            run_id, label, which, max_bytes=max_bytes
        )
        return found

    def find_run_ids(self, prefix: str) -> list[str]:
        if not self.has_runs():
            return []
        ids: list[str] = self._prov().find_run_ids(prefix, limit=5)
        return ids

    def triggers(self) -> list[dict[str, Any]]:
        if not self.triggers_location.exists():
            return []
        return trigger_listing(self._trig(), with_next=True, configured=None)

    @staticmethod
    def summary(run: DagRun) -> dict[str, Any]:
        return run_summary(run)

    # -- drawing ----------------------------------------------------------------------

    def graph(self, run: DagRun, counts: Mapping[str, Mapping[str, int]]) -> RunGraph:
        """The run's DAG: its definition's shape (steps that did not run included) when
        the config in force has that DAG unchanged, else what the run recorded."""
        shape, note = self._shape_of(run)
        if shape is None:
            labels = list(run.nodes)
            edges = [
                (label, e.downstream_label) for label, node in run.nodes.items() for e in node.edges
            ]
            kinds = {label: "map" if label in counts else "node" for label in labels}
            refs: dict[str, str] = {}
        else:
            labels = list(shape.get("nodes", {}))
            edges = [(e["upstream"], e["downstream"]) for e in shape.get("edges", [])]
            kinds = {k: str(v.get("kind", "node")) for k, v in shape.get("nodes", {}).items()}
            # "pkg.module:function" as "module:function": what fits a box.
            refs = {
                k: str(v["ref"]).rsplit(".", 1)[-1]
                for k, v in shape.get("nodes", {}).items()
                if "ref" in v
            }
        nodes = []
        for label in labels:
            executed = run.nodes.get(label)
            caption = count_caption(counts[label]) if label in counts else refs.get(label)
            nodes.append(
                GraphNode(
                    label=label,
                    status=executed.status if executed is not None else None,
                    kind=kinds.get(label, "node"),
                    caption=caption,
                    href=step_href(run.run_id, label),
                )
            )
        return RunGraph(nodes, edges, note)

    def _shape_of(self, run: DagRun) -> tuple[dict[str, Any] | None, str]:
        parts = run.dag_nsref.split("/")
        found = self.shapes().get(parts[0])
        if found is None:
            return None, "drawn from the record: the config in force has no such DAG"
        shape, digest = found
        if len(parts) == 1 and run.dag_hash and digest and run.dag_hash != digest:
            return None, "drawn from the record: the DAG's definition changed since this run"
        current: dict[str, Any] | None = shape
        for part in parts[1:]:
            step, _, key = part.partition("[")
            node = (current or {}).get("nodes", {}).get(step, {})
            subs: dict[str, Any] = node.get("sub_dags") or {}
            branch = key[:-1] if key.endswith("]") else key
            current = next(iter(subs.values())) if len(subs) == 1 else subs.get(branch)
            if current is None:
                return None, "drawn from the record"
        return current, "drawn from the DAG's definition"


def is_composite(kind: str) -> bool:
    return kind in _COMPOSITES
