"""The DAG model: nodes wrapping namespace callables, edges written with ``>>``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from lythonic._public import publish
from lythonic._refs import GlobalRef, NsRef
from lythonic.compose.graph._namespace import Namespace
from lythonic.compose.nodes import (
    CallNode,
    DagEdge,
    DagNode,
    DagShape,
    Isolation,
    MapNode,
    MapSwitchNode,
    NamespaceNode,
    SwitchNode,
    check_label,
    describe_node,
    is_dag_factory,
    raise_for_issues,
)

if TYPE_CHECKING:
    from lythonic.compose.nodes import DagIssue
    from lythonic.compose.run import DagRunResult

__all__ = ["Dag"]


class Dag(DagShape):
    """A directed acyclic graph of ``DagNode``s.

    >>> def fetch(url: str) -> dict: return {"url": url}
    >>> def size(data: dict) -> int: return len(data)
    >>> dag = Dag()
    >>> _ = dag.node(fetch) >> dag.node(size)
    >>> [n.label for n in dag.topological_order()]
    ['fetch', 'size']
    """

    nodes: dict[str, DagNode]
    edges: list[DagEdge]
    namespace: Namespace

    def __init__(self) -> None:
        self.nodes = {}
        self.edges = []
        self.namespace = Namespace()
        self.parent_namespace: Namespace | None = None
        self._edge_keys: set[tuple[str, str, str | None]] = set()
        self._plan: Any = None  # the runner's compiled plan, see dag_runner

    # -- building ----------------------------------------------------------

    def _add_node(self, node: DagNode) -> DagNode:
        if node.label in self.nodes:
            raise ValueError(
                f"Label '{node.label}' already exists in DAG. "
                "Use an explicit label for duplicate callables."
            )
        self.nodes[node.label] = node
        self.touch()
        return node

    def node(
        self,
        source: NamespaceNode | Callable[..., Any] | Dag,
        label: str | None = None,
        *,
        retries: int | None = None,
        retry_backoff: float | None = None,
        timeout: float | None = None,
        isolation: Isolation | None = None,
        remote: bool | None = None,
    ) -> DagNode:
        """Add a step: a callable, a ``NamespaceNode``, a ``Dag`` or a ``@dag_factory``.

        A ``Dag`` (or factory) becomes a ``CallNode`` running it once. The
        label defaults to the function (or factory) name. ``retries`` extra
        attempts follow a failure, the first after ``retry_backoff`` seconds
        (doubling); ``timeout`` bounds each attempt, in seconds.
        ``isolation="process"`` runs a sync function in a child process of its
        own, killed when its timeout fires or its run is cancelled (arguments
        and result cross by pickle). ``remote=False`` keeps a sync function in
        this process when the executor sends calls to a cluster (``DaskExecutor``).
        """
        if is_dag_factory(source):
            label = label if label is not None else source.__name__  # type: ignore[union-attr]
            source = _call_factory(source)
        if isinstance(source, Dag):
            if label is None:
                raise ValueError("label is required when passing a Dag to node()")
            node: DagNode = CallNode(sub_dag=source, label=check_label(label), dag=self)
        else:
            if isinstance(source, NamespaceNode):
                ns_node = source
                label = label if label is not None else ns_node.nsref.name
            else:
                ns_node = self._ns_node_for(source)
                label = label if label is not None else ns_node.method.name
            node = DagNode(ns_node=ns_node, label=check_label(label), dag=self)
        if (isolation is not None or remote is not None) and type(node) is not DagNode:
            what = "isolation" if isolation is not None else "remote"
            raise ValueError(f"{what} applies to function steps, not to the DAG '{label}'")
        _set_options(
            node,
            retries=retries,
            retry_backoff=retry_backoff,
            timeout=timeout,
            isolation=isolation,
            remote=remote,
        )
        return self._add_node(node)

    def _ns_node_for(self, fn: Callable[..., Any]) -> NamespaceNode:
        """The DAG-local namespace node of ``fn``: one per distinct callable.

        Two different callables with one name (lambdas, closures from one
        factory) get distinct keys (``mod:name#2``) instead of collapsing.
        """
        if not callable(fn):
            raise TypeError(f"Dag.node() takes a callable, a Dag or a NamespaceNode, got {fn!r}")
        try:
            key = str(GlobalRef(fn))
        except (TypeError, ValueError):
            key = f"{getattr(fn, '__module__', None) or 'builtins'}:{getattr(fn, '__name__', 'fn')}"
        candidate, n = key, 1
        while candidate in self.namespace:
            existing = self.namespace.get(candidate)
            if existing.method.o is fn:
                return existing
            n += 1
            candidate = f"{key}#{n}"
        return self.namespace.register(fn, nsref=candidate)

    def map(
        self,
        sub_dag: Dag | SwitchNode | Callable[..., Any],
        label: str | None = None,
        *,
        concurrency: int | None = None,
        retries: int | None = None,
        retry_backoff: float | None = None,
        timeout: float | None = None,
    ) -> MapNode | MapSwitchNode:
        """Run ``sub_dag`` on every element of the upstream list (or dict).

        List results flatten into one list (flatmap); a dict input gives a dict
        keyed by ``str(key)``. ``concurrency`` bounds the elements in flight.
        Passing a ``SwitchNode`` routes each element through that switch.
        """
        if is_dag_factory(sub_dag):
            label = label if label is not None else sub_dag.__name__  # type: ignore[union-attr]
            sub_dag = _call_factory(sub_dag)
        node: MapNode | MapSwitchNode
        if isinstance(sub_dag, SwitchNode):
            switch = sub_dag
            label = label or switch.label
            if self.nodes.get(switch.label) is switch:
                if any(switch.label in (e.upstream, e.downstream) for e in self.edges):
                    raise ValueError(
                        f"switch '{switch.label}' already has edges; wrap it in map() "
                        "before connecting it"
                    )
                del self.nodes[switch.label]
            if not label:
                raise ValueError("label is required for map()")
            node = MapSwitchNode(switch_node=switch, label=check_label(label), dag=self)
        elif isinstance(sub_dag, Dag):
            if not label:
                raise ValueError("label is required for map()")
            node = MapNode(sub_dag=sub_dag, label=check_label(label), dag=self)
        else:
            raise TypeError(
                f"map() takes a Dag, a @dag_factory or a SwitchNode, got {type(sub_dag).__name__}"
            )
        node.concurrency = concurrency
        _set_options(node, retries=retries, retry_backoff=retry_backoff, timeout=timeout)
        self._add_node(node)
        return node

    def switch(
        self,
        branches: list[Any] | Mapping[str, Any],
        label: str,
        *,
        retries: int | None = None,
        retry_backoff: float | None = None,
        timeout: float | None = None,
    ) -> SwitchNode:
        """Route the upstream value to one branch by its ``LabelSwitch``.

        Branches are Dags, ``@dag_factory`` functions or plain callables, as a
        dict ``{label: branch}`` or a list (labels from the function names).
        """
        if not label:
            raise ValueError("label is required for switch()")
        resolved: dict[str, Dag] = {}
        items: Iterable[tuple[str | None, Any]] = (
            branches.items() if isinstance(branches, Mapping) else ((None, b) for b in branches)
        )
        for key, item in items:
            branch_dag, derived = self._resolve_branch(item)
            name = key if key is not None else derived
            if not name:
                raise ValueError(
                    "a plain Dag in a switch branch list has no name; pass the branches "
                    "as a dict {'label': dag}"
                )
            if name in resolved:
                raise ValueError(f"switch '{label}' has two branches named '{name}'")
            resolved[name] = branch_dag
        node = SwitchNode(branches=resolved, label=check_label(label), dag=self)
        _set_options(node, retries=retries, retry_backoff=retry_backoff, timeout=timeout)
        self._add_node(node)
        return node

    def _resolve_branch(self, item: Any) -> tuple[Dag, str]:
        if isinstance(item, Dag):
            return item, ""
        if is_dag_factory(item):
            return _call_factory(item), item.__name__
        if callable(item):
            branch = Dag()
            branch.node(item)
            return branch, getattr(item, "__name__", "")
        raise TypeError(f"Expected Dag, @dag_factory, or callable, got {type(item).__name__}")

    def add_edge(self, upstream: DagNode, downstream: DagNode, param: str | None = None) -> DagEdge:
        """Connect ``upstream >> downstream`` (optionally into parameter ``param``)."""
        for node in (upstream, downstream):
            if self.nodes.get(node.label) is not node:
                raise ValueError(f"node '{node.label}' does not belong to this DAG")
        if upstream is downstream:
            raise ValueError(f"edge '{upstream.label}' >> '{upstream.label}' would be a cycle")
        if param is not None:
            _check_param(downstream, param)
        key = (upstream.label, downstream.label, param)
        if key in self._edge_keys:
            raise ValueError(
                f"edge {DagEdge(upstream=key[0], downstream=key[1], param=param)} already exists"
            )
        edge = DagEdge(upstream=upstream.label, downstream=downstream.label, param=param)
        self._edge_keys.add(key)
        self.edges.append(edge)
        self.touch()
        return edge

    # -- reading -----------------------------------------------------------

    def sources(self) -> list[DagNode]:
        """Nodes without incoming edges, in insertion order."""
        fed = {e.downstream for e in self.edges}
        return [n for label, n in self.nodes.items() if label not in fed]

    def sinks(self) -> list[DagNode]:
        """Nodes without outgoing edges, in insertion order."""
        feeding = {e.upstream for e in self.edges}
        return [n for label, n in self.nodes.items() if label not in feeding]

    def topological_order(self) -> list[DagNode]:
        """All nodes, each after its upstreams; ties broken by label.

        Raises ``DagValidationError`` naming the cycle rather than dropping nodes.
        """
        from lythonic.compose.nodes import cycle_error, kahn_order  # validation loads on use

        order = kahn_order(self)
        if len(order) != len(self.nodes):
            raise cycle_error(self, {n.label for n in order})
        return order

    def check(self, inputs: Mapping[str, Iterable[str]] | None = None) -> list[DagIssue]:
        """Every problem ``validate`` would report, without raising.

        ``inputs`` maps node labels to the parameter names supplied at run time.
        """
        from lythonic.compose.nodes import check_dag  # validation loads on use

        return check_dag(self, inputs)

    def validate(self, inputs: Mapping[str, Iterable[str]] | None = None) -> None:
        """Raise ``DagValidationError`` listing every error: cycles, type
        mismatches on edges, parameters nothing feeds, ambiguous inputs,
        composites with the wrong number of upstreams. Warnings are logged."""
        raise_for_issues(self.check(inputs))

    def resolve(self, nsref: str | NsRef) -> NamespaceNode:
        """A namespace node by nsref: the parent namespace first, then this DAG's."""
        if self.parent_namespace is not None:
            try:
                return self.parent_namespace.get(nsref)
            except KeyError:
                pass
        return self.namespace.get(nsref)

    def kwargs_to_inputs(self, kwargs: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        """Map flat call kwargs onto source nodes.

        ``kwargs[source_label]`` given as a dict becomes that source's inputs;
        otherwise each source takes the kwargs named like its parameters.
        """
        from lythonic.compose.nodes import node_params  # wiring loads on use

        inputs: dict[str, dict[str, Any]] = {}
        for node in self.sources():
            given = kwargs.get(node.label)
            if isinstance(given, dict):
                inputs[node.label] = given
                continue
            if node.kind != "node":
                continue
            picked = {p.name: kwargs[p.name] for p in node_params(node.ns_node) if p.name in kwargs}
            if picked:
                inputs[node.label] = picked
        return inputs

    async def __call__(self, **kwargs: Any) -> DagRunResult:
        """Run once without provenance; kwargs feed the sources by parameter name."""
        from lythonic.compose.run import DagRunner  # the runner loads on a DAG's first run

        return await DagRunner(self).run(source_inputs=self.kwargs_to_inputs(kwargs))

    def __enter__(self) -> Dag:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> None:
        if exc_type is None:
            self.validate()

    def copy(self) -> Dag:
        """A new Dag with the same nodes and edges, not bound to any namespace."""
        clone = Dag()
        clone.namespace = self.namespace
        for label, node in self.nodes.items():
            clone.nodes[label] = node._copy_to(clone)
        clone.edges = [e.model_copy() for e in self.edges]
        clone._edge_keys = set(self._edge_keys)
        return clone

    def describe(self) -> dict[str, Any]:
        """The DAG's structure as plain data: nodes (kind, ref, options), edges, sub-DAGs."""
        return {
            "nodes": {label: describe_node(node) for label, node in self.nodes.items()},
            # Grouped by downstream (a stable sort): the order of one node's
            # incoming edges matters (fan-in lists, composite positions), the
            # order between different nodes' edges does not.
            "edges": [
                e.model_dump(exclude_none=True)
                for e in sorted(self.edges, key=lambda e: e.downstream)
            ],
        }

    def definition_hash(self) -> str:
        """A stable digest of ``describe()``: equal structure, equal hash."""
        text = json.dumps(self.describe(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"Dag(nodes={len(self.nodes)}, edges={len(self.edges)})"


def _call_factory(factory: Any) -> Dag:
    result = factory()
    if not isinstance(result, Dag):
        raise TypeError(f"@dag_factory must return a Dag, got {type(result).__name__}")
    return result


def _set_options(node: DagNode, **options: Any) -> None:
    node.retries = options["retries"]
    node.retry_backoff = options["retry_backoff"]
    node.timeout = options["timeout"]
    if options.get("isolation") is not None:
        node.isolation = options["isolation"]
    if options.get("remote") is not None:
        node.remote = options["remote"]


def _check_param(node: DagNode, param: str) -> None:
    if node.kind != "node":
        raise ValueError(
            f"'{node.label}' is a {node.kind} node; it takes its single upstream whole, "
            f"so an edge cannot target a parameter '{param}'"
        )
    from lythonic.compose.nodes import accepts_any_kwarg, node_params

    params = node_params(node.ns_node)
    if any(p.name == param for p in params) or accepts_any_kwarg(node.ns_node):
        return
    from difflib import get_close_matches

    names = [p.name for p in params]
    hint = get_close_matches(param, names, n=1)
    raise ValueError(
        f"'{node.label}' has no parameter '{param}'"
        + (f"; did you mean '{hint[0]}'?" if hint else f" (it takes: {', '.join(names) or 'none'})")
    )


Namespace.dag_type = Dag  # get_as_dag builds this kind

publish("lythonic.compose.namespace", Dag)
