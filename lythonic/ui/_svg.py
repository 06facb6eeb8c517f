"""A run's DAG drawn as SVG on the server: layered left to right, boxes coloured by
step status through CSS classes.

No JavaScript layout library: the page stays fast (a 1,000-step DAG is a few
hundred KB of SVG the browser paints at once) and the Content-Security-Policy
stays strict (no inline styles or scripts: colours come from the stylesheet,
by the ``st-<status>`` and ``k-<kind>`` classes of each box).

>>> svg = render_svg([GraphNode("a", "completed"), GraphNode("b", None)], [("a", "b")])
>>> svg.count('<g class="node'), 'st-completed' in svg, 'st-none' in svg
(2, True, True)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

__all__ = ["GraphNode", "render_svg"]

BOX_W, BOX_H = 180, 44  # a box
GAP_X, GAP_Y = 60, 18  # between layers, between boxes of a layer
PAD = 12
_MAX_LABEL = 28
_MAX_CAPTION = 28
_CLASS = re.compile(r"[^a-z_-]")


@dataclass(frozen=True, slots=True)
class GraphNode:
    """One box: a step, its status (None: it did not run), its kind and second line."""

    label: str
    status: str | None
    kind: str = "node"
    caption: str | None = None
    href: str | None = None


def _cls(value: str | None, default: str) -> str:
    cleaned = _CLASS.sub("", (value or "").lower())
    return cleaned or default


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _layers(labels: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Longest path from a source (Kahn's order); nodes on a cycle go after the rest."""
    ups: dict[str, list[str]] = {k: [] for k in labels}
    downs: dict[str, list[str]] = {k: [] for k in labels}
    for up, down in edges:
        ups[down].append(up)
        downs[up].append(down)
    waiting = {k: len(v) for k, v in ups.items()}
    layer = dict.fromkeys(labels, 0)
    ready = [k for k in labels if waiting[k] == 0]
    done: set[str] = set()
    while ready:
        k = ready.pop()
        done.add(k)
        for d in downs[k]:
            layer[d] = max(layer[d], layer[k] + 1)
            waiting[d] -= 1
            if waiting[d] == 0:
                ready.append(d)
    if len(done) < len(labels):  # a cycle (recorded data can hold anything): place it last
        last = max((layer[k] for k in done), default=-1) + 1
        for k in labels:
            if k not in done:
                layer[k] = last
    return layer


def _order(
    labels: list[str], layer: dict[str, int], edges: list[tuple[str, str]]
) -> list[list[str]]:
    """Boxes per layer, ordered by the mean position of their upstreams (one sweep of
    the barycenter heuristic: fewer crossings, same result for the same input)."""
    columns: list[list[str]] = [[] for _ in range(max(layer.values(), default=-1) + 1)]
    for k in labels:
        columns[layer[k]].append(k)
    ups: dict[str, list[str]] = {k: [] for k in labels}
    for up, down in edges:
        ups[down].append(up)
    position: dict[str, float] = {}
    for column in columns:
        for i, k in enumerate(column):
            seen = [position[u] for u in ups[k] if u in position]
            position[k] = sum(seen) / len(seen) if seen else float(i)
        column.sort(key=lambda k: position[k])
        for i, k in enumerate(column):
            position[k] = float(i)
    return columns


def render_svg(
    nodes: Sequence[GraphNode], edges: Sequence[tuple[str, str]], *, title: str = ""
) -> str:
    """The graph as one ``<svg>`` element; edges naming unknown steps are left out."""
    by_label = {n.label: n for n in nodes}
    labels = list(by_label)
    kept = [(u, d) for u, d in dict.fromkeys(edges) if u in by_label and d in by_label and u != d]
    layer = _layers(labels, kept)
    columns = _order(labels, layer, kept)
    tallest = max((len(c) for c in columns), default=0)
    width = PAD * 2 + len(columns) * BOX_W + max(len(columns) - 1, 0) * GAP_X
    height = PAD * 2 + tallest * BOX_H + max(tallest - 1, 0) * GAP_Y
    at: dict[str, tuple[int, int]] = {}
    for c, column in enumerate(columns):
        offset = (tallest - len(column)) * (BOX_H + GAP_Y) // 2  # centre short layers
        for r, k in enumerate(column):
            at[k] = (PAD + c * (BOX_W + GAP_X), PAD + offset + r * (BOX_H + GAP_Y))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label={quoteattr(title)}>',
        '<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="8" '
        'markerHeight="8" orient="auto"><path class="arrow" d="M0,0L8,4L0,8z"/></marker></defs>',
    ]
    for up, down in kept:
        (x1, y1), (x2, y2) = at[up], at[down]
        sx, sy, ex, ey = x1 + BOX_W, y1 + BOX_H // 2, x2, y2 + BOX_H // 2
        bend = max((ex - sx) // 2, 20)
        out.append(
            f'<path class="edge" d="M{sx},{sy}C{sx + bend},{sy} {ex - bend},{ey} {ex},{ey}" '
            'marker-end="url(#arrow)"/>'
        )
    for k in labels:
        out.append(_box(by_label[k], *at[k]))
    out.append("</svg>")
    return "".join(out)


def _box(node: GraphNode, x: int, y: int) -> str:
    kind = _cls(node.kind, "node")
    status = _cls(node.status, "none") if node.status is not None else "none"
    tip = node.label + (f"\n{node.caption}" if node.caption else "")
    parts = [
        f'<g class="node st-{status} k-{kind}" data-label={quoteattr(node.label)}>',
        f"<title>{escape(tip)}</title>",
    ]
    if kind in ("map", "map_switch"):  # a stack of boxes: one per element
        parts.append(
            f'<rect class="under" x="{x + 4}" y="{y - 4}" width="{BOX_W}" height="{BOX_H}" rx="6"/>'
        )
    parts.append(f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6"/>')
    if kind in ("switch", "map_switch", "call"):
        parts.append(f'<path class="mark" d="M{x + BOX_W - 14},{y + 4}l8,8l-8,8z"/>')
    if node.caption:
        parts.append(
            f'<text x="{x + 10}" y="{y + 19}">{escape(_short(node.label, _MAX_LABEL))}</text>'
        )
        parts.append(
            f'<text class="caption" x="{x + 10}" y="{y + 35}">'
            f"{escape(_short(node.caption, _MAX_CAPTION))}</text>"
        )
    else:
        parts.append(
            f'<text x="{x + 10}" y="{y + 27}">{escape(_short(node.label, _MAX_LABEL))}</text>'
        )
    parts.append("</g>")
    group = "".join(parts)
    href = (node.href or "").strip()
    if href and not href.lower().startswith(("javascript:", "data:", "vbscript:")):
        return f"<a href={quoteattr(href)}>{group}</a>"
    return group
