"""Which upstream value feeds which parameter: the wiring rules, decided once per DAG.

For each node, in this order:

1. an explicit edge ``a >> b.param("x")`` binds ``x``;
2. composite upstreams (map/call/switch) feed the remaining parameters
   positionally, in edge order (as upstream lythonic does);
3. every other parameter takes the plain upstream whose return type is
   compatible with it (``_typecompat``); a ``list[X]`` parameter collects
   every ``X`` upstream (fan-in); when several upstreams could feed a
   parameter, the one whose label equals the parameter name wins, and
   otherwise the ambiguity is a validation error, never a silent list;
   upstreams without a return annotation feed only required parameters.

Parameters left unbound take their default, or a run-time input.
"""

from __future__ import annotations

import functools
import inspect
import typing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lythonic.compose.nodes._composites import CallNode, CompositeDagNode, MapNode
from lythonic.compose.nodes._issues import DagIssue
from lythonic.compose.nodes._typecompat import fan_in_element, format_type, is_any, is_compatible

if TYPE_CHECKING:
    from lythonic.compose.nodes._dag_node import DagEdge, DagNode
    from lythonic.compose.nodes._dag_node import DagShape as Dag
    from lythonic.compose.nodes._ns_node import NamespaceNode

__all__ = [
    "Binding",
    "NodeWiring",
    "Param",
    "accepts_any_kwarg",
    "element_type",
    "node_params",
    "output_type",
    "signature_text",
    "sub_dag_input",
    "wire_node",
]

_VARIADIC = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


@dataclass(frozen=True, slots=True)
class Param:
    """A parameter a node's callable takes by name (the DagContext one excluded)."""

    name: str
    annotation: Any  # None when missing
    required: bool

    def __str__(self) -> str:
        text = (
            self.name if self.annotation is None else f"{self.name}: {format_type(self.annotation)}"
        )
        return text if self.required else f"{text} = ..."


@dataclass(frozen=True, slots=True)
class Binding:
    """``param`` takes the value of ``sources`` (several only for fan-in)."""

    param: str
    sources: tuple[str, ...]
    fan_in: bool = False


@dataclass(slots=True)
class NodeWiring:
    bindings: list[Binding] = field(default_factory=list)
    issues: list[DagIssue] = field(default_factory=list)


def _signature_params(ns_node: NamespaceNode) -> tuple[list[Param], bool]:
    cached: tuple[list[Param], bool] | None = ns_node._params
    if cached is not None:
        return cached
    fn = ns_node.method.o
    # Keywords a functools.partial binds are the caller's choice: never wire them.
    bound = set(fn.keywords) if isinstance(fn, functools.partial) else set()
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        result: tuple[list[Param], bool] = ([], True)
    else:
        annotations = {p.name: p.annotation for p in ns_node.method.args}
        skip_first = ns_node.expects_dag_context()
        params, var_kw = [], False
        for i, p in enumerate(signature.parameters.values()):
            if i == 0 and skip_first:
                continue
            if p.kind == inspect.Parameter.VAR_KEYWORD:
                var_kw = True
            if p.kind in _VARIADIC or p.kind == inspect.Parameter.POSITIONAL_ONLY:
                continue
            if p.name in bound:
                continue
            params.append(
                Param(p.name, annotations.get(p.name), p.default is inspect.Parameter.empty)
            )
        result = (params, var_kw)
    ns_node._params = result
    return result


def node_params(ns_node: NamespaceNode) -> list[Param]:
    """The parameters wiring can fill, in signature order."""
    return _signature_params(ns_node)[0]


def accepts_any_kwarg(ns_node: NamespaceNode) -> bool:
    return _signature_params(ns_node)[1]


def output_type(node: DagNode) -> Any:
    """What a node's value is declared as; ``None`` when unknown."""
    if isinstance(node, CallNode | MapNode):
        sinks = node.sub_dag.sinks()
        result = output_type(sinks[0]) if len(sinks) == 1 else None
        if isinstance(node, CallNode) or result is None or is_any(result):
            return result
        return _map_output(node, result)
    if isinstance(node, CompositeDagNode):
        return None
    return node.ns_node.method.return_annotation


def _map_output(node: DagNode, result: Any) -> Any:
    """A map's value: ``dict[str, R]`` over a dict, else the flattened ``list``."""
    ups = [e.upstream for e in node.dag.edges if e.downstream == node.label]
    given = output_type(node.dag.nodes[ups[0]]) if len(ups) == 1 else None
    if given is None or is_any(given):
        return None
    if is_compatible(given, dict) and not is_compatible(given, list):
        return dict[str, result]
    return result if typing.get_origin(result) is list else list[result]


def element_type(container: Any) -> Any:
    """What one element of a mapped value is declared as (``None``: unknown)."""
    if container is None or is_any(container):
        return None
    origin, args = typing.get_origin(container), typing.get_args(container)
    if origin is list and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    return None


def sub_dag_input(sub: Dag) -> tuple[str, Param] | None:
    """The label and single parameter of a sub-DAG's source, when it has exactly one."""
    sources = sub.sources()
    if len(sources) != 1 or sources[0].kind != "node":
        return None
    params = node_params(sources[0].ns_node)
    return (sources[0].label, params[0]) if len(params) == 1 else None


def signature_text(node: DagNode) -> str:
    """``label(a: int, b: str = ...) -> dict`` for messages."""
    if node.kind != "node":
        return f"{node.label} ({node.kind})"
    params = ", ".join(str(p) for p in node_params(node.ns_node))
    ret = output_type(node)
    return f"{node.label}({params}) -> {'?' if ret is None else format_type(ret)}"


def _is_control_only(t: Any) -> bool:
    """An upstream declared ``-> None`` only orders its downstream; it feeds nothing."""
    return t is type(None)


def wire_node(dag: Dag, node: DagNode, incoming: list[DagEdge]) -> NodeWiring:
    """Decide the bindings of one plain node from its incoming edges."""
    wiring = NodeWiring()
    if not incoming:
        return wiring
    params = node_params(node.ns_node)
    by_name = {p.name: p for p in params}
    bound: dict[str, Binding] = {}
    used: set[str] = set()

    # 1. explicit edges
    explicit: dict[str, list[str]] = {}
    for edge in incoming:
        if edge.param is not None:
            explicit.setdefault(edge.param, []).append(edge.upstream)
    for name, ups in explicit.items():
        param = by_name.get(name)
        annotation = param.annotation if param else None
        element = fan_in_element(annotation) if len(ups) > 1 else None
        if len(ups) > 1 and element is None:
            wiring.issues.append(
                DagIssue(
                    "ambiguous_input",
                    f"parameter '{name}' of '{node.label}' has {len(ups)} explicit edges "
                    f"({', '.join(ups)}) but is not a list; keep one",
                    nodes=(node.label, *ups),
                    param=name,
                )
            )
            continue
        for up in ups:
            up_type = output_type(dag.nodes[up])
            want = element if element is not None else annotation
            if up_type is not None and want is not None and not is_compatible(up_type, want):
                wiring.issues.append(
                    DagIssue(
                        "type_mismatch",
                        f"edge {up} >> {node.label}.{name}: '{up}' returns {format_type(up_type)} "
                        f"but '{name}' expects {format_type(want)}; "
                        f"{signature_text(dag.nodes[up])}; {signature_text(node)}",
                        nodes=(up, node.label),
                        edge=(up, node.label),
                        param=name,
                    )
                )
        bound[name] = Binding(name, tuple(ups), fan_in=element is not None)
        used.update(ups)

    # 2. composite upstreams, positionally
    implicit = [e.upstream for e in incoming if e.param is None]
    composites = [u for u in implicit if dag.nodes[u].kind != "node"]
    free = [p for p in params if p.name not in bound]
    for up, param in zip(composites, free, strict=False):
        bound[param.name] = Binding(param.name, (up,))
        used.add(up)
        up_type = output_type(dag.nodes[up])
        if (
            up_type is not None
            and param.annotation is not None
            and not is_compatible(up_type, param.annotation)
        ):
            wiring.issues.append(
                DagIssue(
                    "type_mismatch",
                    f"edge {up} >> {node.label}: '{up}' gives {format_type(up_type)} to "
                    f"'{param.name}', which expects {format_type(param.annotation)}; "
                    f"{signature_text(node)}",
                    nodes=(up, node.label),
                    edge=(up, node.label),
                    param=param.name,
                )
            )
    for up in composites[len(free) :]:
        wiring.issues.append(
            DagIssue(
                "unused_edge",
                f"edge {up} >> {node.label}: no parameter of '{node.label}' is left for the "
                f"value of '{up}'; {signature_text(node)}",
                nodes=(up, node.label),
                edge=(up, node.label),
            )
        )

    # 3. plain upstreams, by type
    plain = [u for u in implicit if dag.nodes[u].kind == "node"]
    feeding = [u for u in plain if not _is_control_only(output_type(dag.nodes[u]))]
    for param in params:
        if param.name in bound or not feeding:
            continue
        # A value already passed to an earlier parameter does not also replace a
        # default: `f(x: int, limit: int = 10)` fed one int keeps `limit` at 10.
        candidates = feeding if param.required else [u for u in feeding if u not in used]
        if not candidates:
            continue
        binding, issue = _match_param(dag, node, param, candidates)
        if issue is not None:
            wiring.issues.append(issue)
        if binding is not None:
            bound[param.name] = binding
            used.update(binding.sources)

    for up in feeding:
        if up in used or not params:
            continue  # without parameters the edge only orders the two nodes
        wiring.issues.append(_unused_issue(dag, node, up, params, bound))
    wiring.bindings = [bound[p.name] for p in params if p.name in bound]
    wiring.bindings += [b for name, b in bound.items() if name not in {p.name for p in params}]
    return wiring


def _unused_issue(
    dag: Dag, node: DagNode, up: str, params: list[Param], bound: dict[str, Binding]
) -> DagIssue:
    """Why the value of ``up`` reaches no parameter of ``node``."""
    up_type = output_type(dag.nodes[up])
    shown = format_type(up_type) if up_type is not None else "an unannotated value"
    fits = [p for p in params if is_any(up_type) or is_compatible(up_type, p.annotation)]
    if fits:
        taken = ", ".join(
            f"'{p.name}' takes {'/'.join(bound[p.name].sources)}" for p in fits if p.name in bound
        )
        return DagIssue(
            "unused_edge",
            f"edge {up} >> {node.label}: the value of '{up}' ({shown}) is not passed to "
            f"'{node.label}'" + (f": {taken}" if taken else "") + "; the edge only orders "
            f"the two nodes. Wire it explicitly with `{up} >> {node.label}.param(...)` if "
            "it should feed a parameter",
            nodes=(up, node.label),
            edge=(up, node.label),
            severity="warning",
        )
    return DagIssue(
        "type_mismatch",
        f"edge {up} >> {node.label}: '{up}' returns {shown}, which no parameter of "
        f"'{node.label}' accepts; {signature_text(dag.nodes[up])}; {signature_text(node)}",
        nodes=(up, node.label),
        edge=(up, node.label),
    )


def _match_param(
    dag: Dag, node: DagNode, param: Param, upstreams: list[str]
) -> tuple[Binding | None, DagIssue | None]:
    want = param.annotation
    element = fan_in_element(want)
    direct: list[str] = []
    collected: list[str] = []
    weak: list[str] = []
    for up in upstreams:
        got = output_type(dag.nodes[up])
        if is_any(got) or is_any(want):
            weak.append(up)
        elif is_compatible(got, want):
            direct.append(up)
        elif element is not None and is_compatible(got, element):
            collected.append(up)
    if direct and not collected and len(direct) == 1:
        return Binding(param.name, (direct[0],)), None
    if collected and not direct:
        return Binding(param.name, tuple(collected), fan_in=True), None
    strong = direct + collected
    candidates = strong or (weak if param.required else [])
    if not candidates:
        return None, None
    if len(candidates) == 1:
        return Binding(param.name, (candidates[0],)), None
    named = [u for u in candidates if u == param.name]
    if named:
        return Binding(param.name, (named[0],)), None
    return None, DagIssue(
        "ambiguous_input",
        f"parameter '{param}' of '{node.label}' could take the value of "
        f"{' or '.join(repr(c) for c in candidates)}; label one upstream '{param.name}' or wire "
        f"it explicitly, e.g. `{candidates[0]} >> {node.label}.param('{param.name}')`",
        nodes=(node.label, *candidates),
        param=param.name,
    )


def unwrap_optional(t: Any) -> Any:
    args = typing.get_args(t)
    if type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return rest[0] if len(rest) == 1 else t
    return t
