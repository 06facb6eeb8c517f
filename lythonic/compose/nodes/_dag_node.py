"""A DAG's parts: nodes, edges and ports, and the shape of a DAG that holds them.

``DagShape`` is what everything below the graph layer (validation, the
planner, the runner) needs of a DAG; ``lythonic.compose.graph.Dag`` is the
one implementation. Keeping it here lets the runner sit below the graph.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from lythonic._public import publish
from lythonic._refs import NsRef
from lythonic.compose.nodes._markers import ISOLATIONS, Isolation
from lythonic.compose.nodes._ns_node import NamespaceNode, Registry

__all__ = ["DagEdge", "DagNode", "DagPort", "DagShape", "check_label"]

_FORBIDDEN_LABEL_CHARS = frozenset("/[]")


class DagEdge(BaseModel):
    """``upstream >> downstream``; ``param`` names the parameter it feeds, when explicit."""

    model_config = ConfigDict(defer_build=True)

    upstream: str
    downstream: str
    param: str | None = None

    def __str__(self) -> str:
        target = f"{self.downstream}.{self.param}" if self.param else self.downstream
        return f"{self.upstream} >> {target}"


class DagPort:
    """A named input of a node: ``a >> b.param("data")`` feeds ``b``'s ``data``."""

    __slots__ = ("node", "param")

    def __init__(self, node: DagNode, param: str) -> None:
        self.node = node
        self.param = param

    def __rrshift__(self, other: Any) -> DagNode:
        # [a, b] >> c.param("items"): fan several upstreams into one list parameter.
        if isinstance(other, list | tuple):
            for up in other:
                _as_node(up).dag.add_edge(_as_node(up), self.node, param=self.param)
            return self.node
        return NotImplemented

    def __repr__(self) -> str:
        return f"DagPort({self.node.label!r}, {self.param!r})"


def _as_node(x: Any) -> DagNode:
    if not isinstance(x, DagNode):
        raise TypeError(f">> connects DAG nodes; got {type(x).__name__} {x!r}")
    return x


class DagNode:
    """One step of a DAG: a namespace callable under a unique label.

    The same callable may appear several times under different labels.
    ``retries``, ``retry_backoff`` and ``timeout`` override the node config's.
    """

    ns_node: NamespaceNode
    label: str
    dag: DagShape

    def __init__(self, ns_node: NamespaceNode, label: str, dag: DagShape) -> None:
        self.ns_node = ns_node
        self.label = label
        self.dag = dag
        self._retries: int | None = None
        self._retry_backoff: float | None = None
        self._timeout: float | None = None
        self._isolation: Isolation | None = None
        self._remote: bool | None = None

    # Options are properties so that changing one after a run takes effect:
    # the DAG's compiled plan is dropped and rebuilt on the next run.

    @property
    def retries(self) -> int | None:
        return self._retries

    @retries.setter
    def retries(self, value: int | None) -> None:
        if value is not None and (not isinstance(value, int) or value < 0):
            raise ValueError(f"retries must be a non-negative int, got {value!r}")
        self._retries = value
        self.dag.touch()

    @property
    def retry_backoff(self) -> float | None:
        return self._retry_backoff

    @retry_backoff.setter
    def retry_backoff(self, value: float | None) -> None:
        if value is not None and value < 0:
            raise ValueError(f"retry_backoff must be >= 0 seconds, got {value!r}")
        self._retry_backoff = value
        self.dag.touch()

    @property
    def timeout(self) -> float | None:
        return self._timeout

    @timeout.setter
    def timeout(self, value: float | None) -> None:
        if value is not None and value <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {value!r}")
        self._timeout = value
        self.dag.touch()

    @property
    def isolation(self) -> Isolation | None:
        """Where a sync step runs: ``"thread"`` (None: the default) or ``"process"``, a
        child process of its own that its timeout or a cancelled run kills."""
        return self._isolation

    @isolation.setter
    def isolation(self, value: Isolation | None) -> None:
        if value is not None and value not in ISOLATIONS:
            raise ValueError(f"isolation must be one of {', '.join(ISOLATIONS)}, got {value!r}")
        self._isolation = value
        self.dag.touch()

    def __rshift__(self, other: Any) -> Any:
        """``a >> b`` adds an edge and returns ``b``; ``a >> [b, c]`` fans out."""
        if isinstance(other, list | tuple):
            for down in other:
                self >> down
            return list(other)
        if isinstance(other, DagPort):
            self.dag.add_edge(self, other.node, param=other.param)
            return other.node
        self.dag.add_edge(self, _as_node(other))
        return other

    def __rrshift__(self, other: Any) -> DagNode:
        """``[a, b] >> c``: fan in."""
        if isinstance(other, list | tuple):
            for up in other:
                _as_node(up) >> self
            return self
        return NotImplemented

    def param(self, name: str) -> DagPort:
        """This node's input ``name``, as the target of an explicit edge."""
        return DagPort(self, name)

    @property
    def remote(self) -> bool | None:
        """``False`` keeps a sync step in this process when the runner's executor sends
        calls elsewhere (a Dask cluster); None or True: it goes where the executor sends."""
        return self._remote

    @remote.setter
    def remote(self, value: bool | None) -> None:
        if value is not None and not isinstance(value, bool):
            raise ValueError(f"remote must be true or false, got {value!r}")
        self._remote = value
        self.dag.touch()

    @property
    def kind(self) -> str:
        """``node``, ``map``, ``call``, ``switch`` or ``map_switch``."""
        return "node"

    def _copy_to(self, dag: DagShape) -> DagNode:
        return self._copy_options(DagNode(self.ns_node, self.label, dag))

    def _copy_options(self, clone: DagNode) -> DagNode:
        clone._retries, clone._retry_backoff, clone._timeout, clone._isolation = (
            self._retries,
            self._retry_backoff,
            self._timeout,
            self._isolation,
        )
        clone._remote = self._remote
        return clone

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.label!r})"


def check_label(label: Any) -> str:
    """Labels name nodes in edges, provenance and child-run paths: keep them plain."""
    if not isinstance(label, str) or not label:
        raise ValueError(f"a node label must be a non-empty string, got {label!r}")
    bad = _FORBIDDEN_LABEL_CHARS.intersection(label)
    if bad:
        raise ValueError(
            f"node label {label!r} contains {''.join(sorted(bad))!r}; '/', '[' and ']' "
            "are reserved for sub-DAG run paths"
        )
    return label


class DagShape(ABC):
    """A DAG as the layers below the graph see it: nodes by label, edges, the
    namespaces its steps resolve in, and a cached compiled plan."""

    nodes: dict[str, DagNode]
    edges: list[DagEdge]
    namespace: Registry
    parent_namespace: Registry | None
    _plan: Any  # the runner's compiled plan; dropped by touch()

    def touch(self) -> None:
        """The DAG changed: the next run compiles a new plan."""
        self._plan = None

    @abstractmethod
    def add_edge(self, upstream: DagNode, downstream: DagNode, param: str | None = None) -> DagEdge:
        """Connect ``upstream`` to ``downstream`` (to its parameter ``param``)."""

    @abstractmethod
    def sources(self) -> list[DagNode]:
        """Nodes without upstream edges."""

    @abstractmethod
    def sinks(self) -> list[DagNode]:
        """Nodes without downstream edges."""

    @abstractmethod
    def resolve(self, nsref: str | NsRef) -> NamespaceNode:
        """A namespace node by nsref, as the DAG's steps see it."""

    @abstractmethod
    def kwargs_to_inputs(self, kwargs: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        """Keyword arguments of a call, as per-source inputs."""

    @abstractmethod
    def definition_hash(self) -> str:
        """A hash of the DAG's structure, recorded with every run."""

    @abstractmethod
    def copy(self) -> DagShape:
        """The same nodes and edges in a new DAG."""

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """Nodes and edges as plain data."""


publish("lythonic.compose.namespace", DagEdge, DagNode, DagPort)
