"""``Dag.validate``: every structural problem of a DAG, found in one pass."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from lythonic.compose.nodes._composites import CompositeDagNode
from lythonic.compose.nodes._issues import DagIssue, DagValidationError
from lythonic.compose.nodes._markers import ASYNC, INLINE, THREAD, call_mode
from lythonic.compose.nodes._typecompat import format_type, is_any, is_compatible
from lythonic.compose.nodes._wiring import (
    element_type,
    node_params,
    output_type,
    signature_text,
    sub_dag_input,
    wire_node,
)

if TYPE_CHECKING:
    from lythonic.compose.nodes._dag_node import DagEdge, DagNode
    from lythonic.compose.nodes._dag_node import DagShape as Dag

__all__ = ["call_option_issues", "check_dag", "cycle_error", "find_cycles", "kahn_order"]


def _adjacency(dag: Dag) -> dict[str, list[str]]:
    adj: dict[str, list[str]] = {label: [] for label in dag.nodes}
    for e in dag.edges:
        if e.upstream in adj and e.downstream in adj:
            adj[e.upstream].append(e.downstream)
    return adj


def kahn_order(dag: Dag) -> list[DagNode]:
    """Topological order; ties by label (sources sorted, then neighbours sorted)."""
    adj = _adjacency(dag)
    indegree = dict.fromkeys(dag.nodes, 0)
    for downs in adj.values():
        for d in downs:
            indegree[d] += 1
    queue = deque(sorted(label for label, n in indegree.items() if n == 0))
    order: list[DagNode] = []
    while queue:
        label = queue.popleft()
        order.append(dag.nodes[label])
        for d in sorted(adj[label]):
            indegree[d] -= 1
            if indegree[d] == 0:
                queue.append(d)
    return order


def find_cycles(dag: Dag, ordered: set[str]) -> list[list[str]]:
    """Distinct cycles among the nodes Kahn's algorithm could not order."""
    adj = {
        k: [d for d in v if d not in ordered]
        for k, v in _adjacency(dag).items()
        if k not in ordered
    }
    cycles: list[list[str]] = []
    done: set[str] = set()
    for start in sorted(adj):
        if start in done:
            continue
        # Walk forward from `start` until a node repeats: that closes a cycle.
        path: list[str] = []
        seen: dict[str, int] = {}
        node = start
        while node not in seen and node not in done:
            seen[node] = len(path)
            path.append(node)
            node = sorted(adj[node])[0]
        if node in seen:
            cycle = path[seen[node] :]
            cycles.append([*cycle, cycle[0]])
        done.update(path)
    return cycles


def cycle_error(dag: Dag, ordered: set[str]) -> DagValidationError:
    return DagValidationError(_cycle_issues(dag, ordered))


def _cycle_issues(dag: Dag, ordered: set[str]) -> list[DagIssue]:
    issues = []
    for cycle in find_cycles(dag, ordered):
        issues.append(
            DagIssue(
                "cycle",
                "DAG contains a cycle: " + " >> ".join(cycle),
                nodes=tuple(cycle[:-1]),
                edge=(cycle[-2], cycle[-1]),
            )
        )
    return issues


def check_dag(
    dag: Dag,
    inputs: Mapping[str, Iterable[str]] | None = None,
    path: tuple[str, ...] = (),
    _seen: dict[int, list[DagIssue]] | None = None,
) -> list[DagIssue]:
    """All issues of ``dag`` and its sub-DAGs.

    A sub-DAG used in several places is checked and reported once (``_seen``,
    by identity), under the first path that leads to it: its problems are in
    one place, however many composites use it.
    """

    seen = {} if _seen is None else _seen

    given = {label: set(names) for label, names in (inputs or {}).items()}
    issues: list[DagIssue] = []
    ordered = {n.label for n in kahn_order(dag)}
    if len(ordered) != len(dag.nodes):
        issues.extend(_cycle_issues(dag, ordered))

    incoming: dict[str, list[DagEdge]] = {label: [] for label in dag.nodes}
    for e in dag.edges:
        if e.downstream in incoming:
            incoming[e.downstream].append(e)

    for label, node in dag.nodes.items():
        edges = incoming[label]
        if isinstance(node, CompositeDagNode):
            issues.extend(_check_composite(dag, node, edges))
            for name, sub in node.sub_dags().items():
                if id(sub) in seen:
                    continue
                seen[id(sub)] = []  # also guards against a DAG nested in itself
                sub_path = (f"{label}[{name}]" if name else label,)
                issues.extend(_in_path(i, sub_path) for i in check_dag(sub, None, (), seen))
            continue
        issues.extend(call_option_issues(node))
        wiring = wire_node(dag, node, edges)
        issues.extend(wiring.issues)
        if not edges:
            continue  # a source: its parameters come from the run's inputs
        fed = {b.param for b in wiring.bindings} | given.get(label, set())
        # An ambiguous parameter has its own issue; "gets no value" would repeat it.
        fed |= {i.param for i in wiring.issues if i.code == "ambiguous_input" and i.param}
        for param in node_params(node.ns_node):
            if param.required and param.name not in fed:
                issues.append(_unfed(dag, node, param.name, edges))
    if path:
        issues = [_in_path(i, path) for i in issues]
    return issues


def call_option_issues(node: DagNode) -> list[DagIssue]:
    """Options of a plain step that the way its function is called cannot honour."""
    ns_node = node.ns_node
    fn = ns_node._decorated if ns_node._decorated is not None else ns_node.method.o
    mode = call_mode(fn, ns_node.method.o)
    timeout = node.timeout if node.timeout is not None else ns_node.config.timeout
    label = node.label
    issues = []
    if mode == INLINE and timeout is not None:
        issues.append(
            DagIssue(
                "inline_timeout",
                f"step '{label}' runs inline, on the event loop, where its timeout "
                f"({timeout:g}s) cannot be enforced: remove the timeout, or drop inline so "
                "the step runs in a worker thread (isolation: process also stops it when "
                "it hangs)",
                nodes=(label,),
            )
        )
    if getattr(node, "isolation", None) == "process" and mode != THREAD:
        kind = "async (it runs on the event loop)" if mode == ASYNC else "inline"
        issues.append(
            DagIssue(
                "isolation_mode",
                f"step '{label}' is {kind}; isolation: process applies to plain sync "
                "functions only",
                nodes=(label,),
            )
        )
    return issues


def _in_path(issue: DagIssue, path: tuple[str, ...]) -> DagIssue:
    return DagIssue(
        issue.code,
        issue.message,
        issue.nodes,
        issue.edge,
        issue.param,
        issue.severity,
        path + issue.dag_path,
    )


def _unfed(dag: Dag, node: DagNode, name: str, edges: list[DagEdge]) -> DagIssue:

    param = next(p for p in node_params(node.ns_node) if p.name == name)
    ups = (
        ", ".join(
            f"{e.upstream} -> {format_type(t) if (t := output_type(dag.nodes[e.upstream])) is not None else '?'}"
            for e in edges
            if e.param is None
        )
        or "none left: the explicit edges feed other parameters"
    )
    return DagIssue(
        "unfed_param",
        f"required parameter '{param}' of '{node.label}' gets no value: no upstream "
        f"returns a compatible type (upstreams: {ups}). Wire one explicitly "
        f"(`up >> {node.label}.param('{name}')`), give '{name}' a default, or supply it "
        f"as an input; {signature_text(node)}",
        nodes=(node.label,),
        param=name,
    )


def _check_composite(dag: Dag, node: DagNode, edges: list[DagEdge]) -> list[DagIssue]:

    if len(edges) != 1:
        return [
            DagIssue(
                "composite_upstreams",
                f"{node.kind} node '{node.label}' must have exactly one upstream edge, "
                f"found {len(edges)}",
                nodes=(node.label, *(e.upstream for e in edges)),
            )
        ]
    up = edges[0].upstream
    got = output_type(dag.nodes[up])
    if got is None or is_any(got):
        return []
    wanted = {
        "map": (list, dict),
        "map_switch": (list,),
        "switch": (list, tuple, dict),
    }.get(node.kind)
    if wanted is not None and not any(is_compatible(got, w) for w in wanted):
        names = " or ".join(w.__name__ for w in wanted)
        return [
            DagIssue(
                "bad_composite_input",
                f"{node.kind} node '{node.label}' needs a {names} from '{up}', which returns "
                f"{format_type(got)}",
                nodes=(node.label, up),
                edge=(up, node.label),
            )
        ]
    return _check_element(node, up, got)


def _check_element(node: DagNode, up: str, got: Any) -> list[DagIssue]:
    """Does one element (map) or the value (call) fit the sub-DAG's source?"""

    if node.kind not in ("map", "call"):
        return []
    given = element_type(got) if node.kind == "map" else got
    target = sub_dag_input(node.sub_dag)  # type: ignore[attr-defined]
    if given is None or target is None or target[1].annotation is None:
        return []
    source, param = target
    if is_compatible(given, param.annotation):
        return []
    what = (
        f"each element of '{up}' ({format_type(given)})"
        if node.kind == "map"
        else (f"the value of '{up}' ({format_type(given)})")
    )
    return [
        DagIssue(
            "bad_composite_input",
            f"{node.kind} node '{node.label}' passes {what} to '{source}' of its sub-DAG, "
            f"whose parameter '{param}' does not accept it",
            nodes=(node.label, up),
            edge=(up, node.label),
        )
    ]
