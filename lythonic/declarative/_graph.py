"""Drawings of a DAG: Mermaid (default), Graphviz DOT, or JSON.

Composite steps are drawn in their own shapes (map: subroutine, call:
parallelogram, switch: rhombus, map over a switch: hexagon) with their
sub-DAGs as nested, dashed subgraphs.
"""

from __future__ import annotations

import json
import re
from typing import Any

from lythonic.compose._composite import CompositeDagNode, describe_node
from lythonic.compose.namespace import Dag, DagNode

__all__ = ["GRAPH_FORMATS", "render_graph"]

GRAPH_FORMATS = ("mermaid", "dot", "json")

_MERMAID_SHAPES = {
    "node": ('["', '"]'),
    "map": ('[["', '"]]'),
    "call": ('[/"', '"/]'),
    "switch": ('{"', '"}'),
    "map_switch": ('{{"', '"}}'),
}
_DOT_SHAPES = {
    "node": "box",
    "map": "box3d",
    "call": "parallelogram",
    "switch": "diamond",
    "map_switch": "hexagon",
}


def _summary(node: DagNode) -> str:
    """The second line of a step's label: what it runs."""
    if isinstance(node, CompositeDagNode):
        text = node.kind.replace("_", " over ")
        if node.concurrency is not None:
            text += f" ×{node.concurrency}"
        return text
    ref = describe_node(node).get("ref", "")
    return str(ref)


def _options(node: DagNode) -> str:
    parts = []
    if node.retries:
        parts.append(f"retries {node.retries}")
    if node.timeout is not None:
        parts.append(f"timeout {node.timeout:g}s")
    return ", ".join(parts)


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


class _Ids:
    """Short unique Mermaid ids (``n1``, ``g1`` ...): labels may be keywords like ``end``."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def __call__(self, key: str, kind: str = "n") -> str:
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = f"{kind}{len(self.ids) + 1}"
        return found


def _mermaid(dag: Dag, prefix: str, lines: list[str], indent: str, ids: _Ids) -> None:
    for label, node in dag.nodes.items():
        head, tail = _MERMAID_SHAPES.get(node.kind, _MERMAID_SHAPES["node"])
        text = "<br/>".join(_mermaid_text(t) for t in (label, _summary(node), _options(node)) if t)
        lines.append(f"{indent}{ids(prefix + label)}{head}{text}{tail}")
    for edge in dag.edges:
        arrow = f"-->|{edge.param}|" if edge.param else "-->"
        lines.append(
            f"{indent}{ids(prefix + edge.upstream)} {arrow} {ids(prefix + edge.downstream)}"
        )
    for label, node in dag.nodes.items():
        if not isinstance(node, CompositeDagNode):
            continue
        for branch, sub in node.sub_dags().items():
            sub_prefix = f"{prefix}{label}[{branch}]/" if branch else f"{prefix}{label}/"
            sub_id = ids(sub_prefix, "g")
            title = f"{label}: {branch}" if branch else f"{label} ({node.kind})"
            lines.append(f'{indent}subgraph {sub_id}["{_mermaid_text(title)}"]')
            _mermaid(sub, sub_prefix, lines, indent + "  ", ids)
            lines.append(f"{indent}end")
            link = f"-.->|{branch}|" if branch else "-.->"
            lines.append(f"{indent}{ids(prefix + label)} {link} {sub_id}")


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _dot(dag: Dag, prefix: str, lines: list[str], indent: str) -> None:
    for label, node in dag.nodes.items():
        text = "\\n".join(_dot_text(t) for t in (label, _summary(node), _options(node)) if t)
        shape = _DOT_SHAPES.get(node.kind, "box")
        lines.append(f'{indent}"{prefix}{label}" [label="{text}", shape={shape}];')
    for edge in dag.edges:
        attrs = f' [label="{_dot_text(edge.param)}"]' if edge.param else ""
        lines.append(f'{indent}"{prefix}{edge.upstream}" -> "{prefix}{edge.downstream}"{attrs};')
    for label, node in dag.nodes.items():
        if not isinstance(node, CompositeDagNode):
            continue
        for branch, sub in node.sub_dags().items():
            sub_prefix = f"{prefix}{label}[{branch}]/" if branch else f"{prefix}{label}/"
            cluster = "cluster_" + re.sub(r"[^A-Za-z0-9_]", "_", sub_prefix)
            title = f"{label}: {branch}" if branch else f"{label} ({node.kind})"
            lines.append(f'{indent}subgraph "{cluster}" {{')
            lines.append(f'{indent}  label="{_dot_text(title)}"; style=dashed;')
            _dot(sub, sub_prefix, lines, indent + "  ")
            lines.append(f"{indent}}}")
            first = next(iter(sub.nodes), None)
            if first is not None:
                attrs = f'lhead="{cluster}", style=dashed'
                if branch:
                    attrs += f', label="{_dot_text(branch)}"'
                lines.append(f'{indent}"{prefix}{label}" -> "{sub_prefix}{first}" [{attrs}];')


def render_graph(dag: Dag, name: str, fmt: str = "mermaid") -> str:
    """``dag`` drawn as ``mermaid``, ``dot`` or ``json`` text."""
    if fmt == "json":
        data: dict[str, Any] = {"dag": name, **dag.describe()}
        return json.dumps(data, indent=2, default=str) + "\n"
    lines: list[str]
    if fmt == "dot":
        lines = [f'digraph "{_dot_text(name)}" {{', "  rankdir=LR; compound=true;"]
        lines.append('  node [fontname="Helvetica", fontsize=11];')
        _dot(dag, "", lines, "  ")
        lines.append("}")
        return "\n".join(lines) + "\n"
    if fmt != "mermaid":
        raise ValueError(f"unknown graph format {fmt!r}; use {', '.join(GRAPH_FORMATS)}")
    lines = ["flowchart LR"]
    _mermaid(dag, "", lines, "  ", _Ids())
    return "\n".join(lines) + "\n"
