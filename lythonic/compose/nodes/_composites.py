"""Composite nodes: steps that run whole sub-DAGs (map, call, switch, map-switch)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lythonic._public import publish
from lythonic.compose.nodes._dag_node import DagNode
from lythonic.compose.nodes._introspect import Method
from lythonic.compose.nodes._ns_node import NamespaceNode

if TYPE_CHECKING:
    from lythonic.compose.nodes._dag_node import DagShape as Dag

__all__ = [
    "CallNode",
    "CompositeDagNode",
    "LabelSwitch",
    "MapNode",
    "MapSwitchNode",
    "SwitchNode",
    "describe_node",
]

LabelSwitch = str
"""The routing key a switch reads from its upstream value to pick a branch."""


def _composite_placeholder() -> None:
    """Stands in for the callable of a composite node; composites never call it."""


def validate_single_source_sink(sub_dag: Dag) -> None:
    """A sub-DAG takes one value in and gives one value out."""
    sources, sinks = sub_dag.sources(), sub_dag.sinks()
    if len(sources) != 1:
        raise ValueError(f"Sub-DAG must have exactly one source, found {len(sources)}")
    if len(sinks) != 1:
        raise ValueError(f"Sub-DAG must have exactly one sink, found {len(sinks)}")


class CompositeDagNode(DagNode):
    """A node that runs sub-DAGs; its single upstream value is their input."""

    def __init__(self, label: str, dag: Dag) -> None:
        placeholder = NamespaceNode(
            method=Method(_composite_placeholder),
            nsref=f"__composite__:{label}",
            namespace=dag.namespace,
        )
        super().__init__(ns_node=placeholder, label=label, dag=dag)
        self._concurrency: int | None = None

    @property
    def concurrency(self) -> int | None:
        """Elements of a map in flight at once (None: the default bound)."""
        return self._concurrency

    @concurrency.setter
    def concurrency(self, value: int | None) -> None:
        if value is not None and value < 1:
            raise ValueError(f"map concurrency must be at least 1, got {value}")
        self._concurrency = value
        self.dag.touch()

    def sub_dags(self) -> dict[str, Dag]:
        """The sub-DAGs this node may run, by branch name (``""`` for map and call)."""
        return {}

    def _clone_options(self, clone: CompositeDagNode) -> CompositeDagNode:
        self._copy_options(clone)
        clone._concurrency = self._concurrency
        return clone


class _SubDagNode(CompositeDagNode):
    """A composite around exactly one sub-DAG."""

    sub_dag: Dag

    def __init__(self, sub_dag: Dag, label: str, dag: Dag) -> None:
        validate_single_source_sink(sub_dag)
        super().__init__(label=label, dag=dag)
        self.sub_dag = sub_dag

    def sub_dags(self) -> dict[str, Dag]:
        return {"": self.sub_dag}

    def _copy_to(self, dag: Dag) -> DagNode:
        return self._clone_options(type(self)(self.sub_dag, self.label, dag))


class MapNode(_SubDagNode):
    """Runs ``sub_dag`` once per element of the upstream list or dict."""

    @property
    def kind(self) -> str:
        return "map"


class CallNode(_SubDagNode):
    """Runs ``sub_dag`` once with the upstream value."""

    @property
    def kind(self) -> str:
        return "call"


class SwitchNode(CompositeDagNode):
    """Runs the one branch the upstream value names.

    The upstream gives ``(label, data)`` (a list or tuple; ``data`` is the
    rest when longer than two) or a dict with a ``"__switch__"`` key (the
    branch gets the dict without that key; the upstream value is not changed).
    """

    branches: dict[str, Dag]

    def __init__(self, branches: Mapping[str, Dag], label: str, dag: Dag) -> None:
        if not branches:
            raise ValueError(f"switch '{label}' needs at least one branch")
        for name, branch in branches.items():
            try:
                validate_single_source_sink(branch)
            except ValueError as e:
                raise ValueError(f"Branch '{name}': {e}") from e
        super().__init__(label=label, dag=dag)
        self.branches = dict(branches)

    @property
    def kind(self) -> str:
        return "switch"

    def sub_dags(self) -> dict[str, Dag]:
        return dict(self.branches)

    def _copy_to(self, dag: Dag) -> DagNode:
        return self._clone_options(SwitchNode(self.branches, self.label, dag))


class MapSwitchNode(CompositeDagNode):
    """Maps over a list, routing each element through a switch; results flatten.

    Built by ``dag.map(dag.switch(...))``.
    """

    switch_node: SwitchNode

    def __init__(self, switch_node: SwitchNode, label: str, dag: Dag) -> None:
        super().__init__(label=label, dag=dag)
        self.switch_node = switch_node

    @property
    def kind(self) -> str:
        return "map_switch"

    @property
    def branches(self) -> dict[str, Dag]:
        return self.switch_node.branches

    def sub_dags(self) -> dict[str, Dag]:
        return dict(self.switch_node.branches)

    def _copy_to(self, dag: Dag) -> DagNode:
        return self._clone_options(MapSwitchNode(self.switch_node, self.label, dag))


def describe_node(node: DagNode) -> dict[str, Any]:
    """Plain data for one node: kind, reference and options; sub-DAGs recursively."""
    data: dict[str, Any] = {"kind": node.kind}
    if isinstance(node, CompositeDagNode):
        data["sub_dags"] = {name: d.describe() for name, d in node.sub_dags().items()}
        if node.concurrency is not None:
            data["concurrency"] = node.concurrency
    else:
        method = node.ns_node.method
        data["ref"] = str(method.gref) if method.gref is not None else str(node.ns_node.nsref)
        if method.gref is None:
            data["qualname"] = getattr(method.o, "__qualname__", method.name)
    for option in ("retries", "retry_backoff", "timeout", "isolation", "remote"):
        value = getattr(node, option, None)
        if value is not None:
            data[option] = value
    return data


publish(
    "lythonic.compose.namespace",
    CompositeDagNode,
    MapNode,
    CallNode,
    SwitchNode,
    MapSwitchNode,
)
