"""Drawings of a DAG: Mermaid (default), Graphviz DOT, or JSON.

Composite steps are drawn in their own shapes (map: subroutine, call:
parallelogram, switch: rhombus, map over a switch: hexagon) with their
sub-DAGs as nested, dashed subgraphs. A step's ``description`` (from
lyth.yaml) is an italic last line in Mermaid, the tooltip in DOT and a
``description`` field in JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lythonic.compose.nodes import CompositeDagNode, DagNode, describe_node
from lythonic.compose.nodes import DagShape as Dag

if TYPE_CHECKING:
    from lythonic.declarative._config import LoadedConfig

__all__ = ["GRAPH_FORMATS", "Notes", "config_notes", "render_graph"]

Notes = Callable[[Dag, str], "str | None"]
"""The description of step ``label`` of ``dag``, or None."""


def _no_notes(dag: Dag, label: str) -> str | None:
    return None


def config_notes(cfg: LoadedConfig) -> Notes:
    """The ``description`` each step of ``cfg``'s DAGs declares (sub-DAGs included)."""
    by_dag: dict[int, dict[str, str]] = {}
    for name, built in cfg.dags.items():
        spec = cfg.spec.dags.get(name)
        if spec is None:
            continue
        found = {
            label: text
            for label, n in spec.nodes.items()
            if (text := getattr(n, "description", None))  # a bare string step has none
        }
        if found:
            by_dag[id(built)] = found

    def notes(dag: Dag, label: str) -> str | None:
        return by_dag.get(id(dag), {}).get(label)

    return notes


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


def _mermaid(dag: Dag, prefix: str, lines: list[str], indent: str, ids: _Ids, notes: Notes) -> None:
    for label, node in dag.nodes.items():
        head, tail = _MERMAID_SHAPES.get(node.kind, _MERMAID_SHAPES["node"])
        text = "<br/>".join(_mermaid_text(t) for t in (label, _summary(node), _options(node)) if t)
        note = notes(dag, label)
        if note:
            text += f"<br/><i>{_mermaid_text(note)}</i>"
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
            _mermaid(sub, sub_prefix, lines, indent + "  ", ids, notes)
            lines.append(f"{indent}end")
            link = f"-.->|{branch}|" if branch else "-.->"
            lines.append(f"{indent}{ids(prefix + label)} {link} {sub_id}")


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _dot(dag: Dag, prefix: str, lines: list[str], indent: str, notes: Notes) -> None:
    for label, node in dag.nodes.items():
        text = "\\n".join(_dot_text(t) for t in (label, _summary(node), _options(node)) if t)
        shape = _DOT_SHAPES.get(node.kind, "box")
        note = notes(dag, label)
        tooltip = f', tooltip="{_dot_text(note)}"' if note else ""
        lines.append(f'{indent}"{prefix}{label}" [label="{text}", shape={shape}{tooltip}];')
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
            _dot(sub, sub_prefix, lines, indent + "  ", notes)
            lines.append(f"{indent}}}")
            first = next(iter(sub.nodes), None)
            if first is not None:
                attrs = f'lhead="{cluster}", style=dashed'
                if branch:
                    attrs += f', label="{_dot_text(branch)}"'
                lines.append(f'{indent}"{prefix}{label}" -> "{sub_prefix}{first}" [{attrs}];')


def _json_notes(data: dict[str, Any], dag: Dag, notes: Notes) -> None:
    for label, node in dag.nodes.items():
        entry = data["nodes"][label]
        note = notes(dag, label)
        if note:
            entry["description"] = note
        if isinstance(node, CompositeDagNode):
            for branch, sub in node.sub_dags().items():
                _json_notes(entry["sub_dags"][branch], sub, notes)


def render_graph(dag: Dag, name: str, fmt: str = "mermaid", notes: Notes | None = None) -> str:
    """``dag`` drawn as ``mermaid``, ``dot`` or ``json`` text; ``notes`` gives step
    descriptions (see ``config_notes``)."""
    notes = notes or _no_notes
    if fmt == "json":
        data: dict[str, Any] = {"dag": name, **dag.describe()}
        _json_notes(data, dag, notes)
        return json.dumps(data, indent=2, default=str) + "\n"
    lines: list[str]
    if fmt == "dot":
        lines = [f'digraph "{_dot_text(name)}" {{', "  rankdir=LR; compound=true;"]
        lines.append('  node [fontname="Helvetica", fontsize=11];')
        _dot(dag, "", lines, "  ", notes)
        lines.append("}")
        return "\n".join(lines) + "\n"
    if fmt != "mermaid":
        raise ValueError(f"unknown graph format {fmt!r}; use {', '.join(GRAPH_FORMATS)}")
    lines = ["flowchart LR"]
    _mermaid(dag, "", lines, "  ", _Ids(), notes)
    return "\n".join(lines) + "\n"
