"""A DAG compiled for execution: indices, wiring and options decided once.

``Dag`` keeps its plan until a node or an edge is added. Everything here is
independent of a particular run; what depends on the run (which namespace
resolves a node's callable) is looked up per run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lythonic.compose.nodes._composites import (
    CallNode,
    CompositeDagNode,
    MapNode,
    MapSwitchNode,
    SwitchNode,
)
from lythonic.compose.nodes._markers import ASYNC, INLINE, THREAD, call_mode
from lythonic.compose.nodes._validation import call_option_issues, kahn_order
from lythonic.compose.nodes._wiring import node_params, wire_node

if TYPE_CHECKING:
    from lythonic.compose.nodes import DagShape as Dag
    from lythonic.compose.nodes._dag_node import DagEdge, DagNode
    from lythonic.compose.nodes._ns_node import NamespaceNode

__all__ = [
    "ASYNC",
    "CALL",
    "INLINE",
    "MAP",
    "MAP_SWITCH",
    "PLAIN",
    "SWITCH",
    "THREAD",
    "DagPlan",
    "NodePlan",
    "call_mode",
    "plan_for",
]

PLAIN, MAP, CALL, SWITCH, MAP_SWITCH = range(5)

_KINDS = {MapSwitchNode: MAP_SWITCH, MapNode: MAP, CallNode: CALL, SwitchNode: SWITCH}


class NodePlan:
    """One node, ready to execute."""

    __slots__ = (
        "bindings",
        "chain_next",
        "downstream",
        "error",
        "fn_cache",
        "index",
        "is_sink",
        "is_source",
        "isolation",
        "key",
        "kind",
        "label",
        "n_upstream",
        "node",
        "ns_node",
        "out_edges",
        "param_names",
        "remote",
        "required",
        "retries",
        "retry_backoff",
        "timeout",
        "upstream",
    )

    def __init__(self, index: int, node: DagNode) -> None:
        self.index = index
        self.node = node
        self.label = node.label
        self.ns_node: NamespaceNode = node.ns_node
        self.kind = next((k for cls, k in _KINDS.items() if isinstance(node, cls)), PLAIN)
        # (param, upstream indices, fan_in)
        self.bindings: tuple[tuple[str, tuple[int, ...], bool], ...] = ()
        self.downstream: tuple[int, ...] = ()
        self.upstream: tuple[int, ...] = ()
        # The node after this one in a linear chain (its only consumer, fed by it
        # alone), when both may run in one worker hop; see _execution's segments.
        self.chain_next: int | None = None
        self.n_upstream = 0
        self.is_source = self.is_sink = False
        self.out_edges: tuple[tuple[str, str], ...] = ()
        self.error: str | None = None
        config = node.ns_node.config
        self.retries: int = _first(node.retries, config.retries, 0)
        self.retry_backoff: float = _first(node.retry_backoff, config.retry_backoff, 0.5)
        self.timeout: float | None = _first(node.timeout, config.timeout, None)
        self.isolation: str = getattr(node, "isolation", None) or "thread"
        self.remote: bool = getattr(node, "remote", None) is not False
        self.key = str(node.ns_node.nsref)
        # (callable, mode, context type) of the last resolution, reused while unchanged
        self.fn_cache: tuple[Any, int, Any] | None = None
        params = node_params(node.ns_node) if self.kind == PLAIN else []
        self.param_names = frozenset(p.name for p in params)
        self.required = tuple(p.name for p in params if p.required)


def _chainable(np: NodePlan) -> bool:
    """A plain step with no timeout or retries on a thread: it may share a worker hop
    with its neighbours in a chain (its call mode is checked when the run resolves it)."""
    return (
        np.kind == PLAIN
        and np.error is None
        and not np.retries
        and np.timeout is None
        and np.isolation == "thread"
    )


def _first(*values: Any) -> Any:
    for value in values[:-1]:
        if value is not None:
            return value
    return values[-1]


class DagPlan:
    """The compiled form of a ``Dag``."""

    __slots__ = ("code", "cycle", "dag", "errors", "hash", "nodes", "order", "sinks", "sources")

    def __init__(self, dag: Dag) -> None:
        self.dag = dag
        self.nodes: list[NodePlan] = []
        self.order: list[int] = []
        self.sources: list[int] = []
        self.sinks: list[int] = []
        self.errors: list[tuple[str, str]] = []  # (label, message): the run cannot start
        self.cycle: str | None = None
        self.hash: str | None = None  # Dag.definition_hash(), computed when first needed
        self.code: str | None = None  # the steps' code fingerprints (_code.code_json)


def plan_for(dag: Dag) -> DagPlan:
    """The DAG's plan, compiled on first use and after every change."""
    plan = dag._plan
    if plan is None:
        plan = dag._plan = _compile(dag)
    return plan


def _compile(dag: Dag) -> DagPlan:
    from lythonic.compose.nodes._validation import cycle_error

    plan = DagPlan(dag)
    index = {label: i for i, label in enumerate(dag.nodes)}
    plan.nodes = [NodePlan(i, node) for i, node in enumerate(dag.nodes.values())]
    ordered = kahn_order(dag)
    if len(ordered) != len(dag.nodes):
        err = cycle_error(dag, {n.label for n in ordered})
        plan.cycle = str(err)
        plan.errors.append((err.issues[0].nodes[0], str(err)))
        return plan
    plan.order = [index[n.label] for n in ordered]

    incoming: dict[str, list[DagEdge]] = {label: [] for label in dag.nodes}
    outgoing: dict[str, list[str]] = {label: [] for label in dag.nodes}
    for edge in dag.edges:
        incoming[edge.downstream].append(edge)
        if edge.downstream not in outgoing[edge.upstream]:
            outgoing[edge.upstream].append(edge.downstream)

    for np in plan.nodes:
        ups = list(dict.fromkeys(e.upstream for e in incoming[np.label]))
        np.upstream = tuple(index[u] for u in ups)
        np.n_upstream = len(ups)
        np.downstream = tuple(index[d] for d in outgoing[np.label])
        np.out_edges = tuple((np.label, d) for d in outgoing[np.label])
        np.is_source, np.is_sink = not ups, not outgoing[np.label]
        node = np.node
        if isinstance(node, CompositeDagNode):
            if len(incoming[np.label]) != 1:
                np.error = (
                    f"CompositeDagNode '{np.label}' must have exactly one upstream edge, "
                    f"found {len(incoming[np.label])}"
                )
            for name, sub in node.sub_dags().items():
                sub_plan = plan_for(sub)
                if sub_plan.errors:
                    where = f"sub-DAG '{np.label}'" + (f" branch '{name}'" if name else "")
                    np.error = f"{where}: {sub_plan.errors[0][1]}"
            continue
        options = call_option_issues(node)
        if options:
            np.error = options[0].message
            continue
        wiring = wire_node(dag, node, incoming[np.label])
        ambiguous = [i for i in wiring.issues if i.code == "ambiguous_input"]
        if ambiguous:
            np.error = ambiguous[0].message
        np.bindings = tuple(
            (b.param, tuple(index[s] for s in b.sources), b.fan_in) for b in wiring.bindings
        )
    for np in plan.nodes:
        if np.error is not None:
            plan.errors.append((np.label, np.error))
        if len(np.downstream) == 1 and _chainable(np):
            nxt = plan.nodes[np.downstream[0]]
            if nxt.upstream == (np.index,) and _chainable(nxt):
                np.chain_next = nxt.index
    plan.sources = [i for i in plan.order if plan.nodes[i].is_source]
    plan.sinks = [i for i in range(len(plan.nodes)) if plan.nodes[i].is_sink]
    return plan
