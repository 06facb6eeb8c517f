"""render_svg: a run's DAG as SVG, layered, classed by status, escaped, bounded."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET

from lythonic.ui._svg import BOX_W, GraphNode, render_svg

NS = "{http://www.w3.org/2000/svg}"
XSS = "<script>alert(1)</script>"


def _groups(svg: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)
    return {g.get("data-label", ""): g for g in root.iter(f"{NS}g")}


def _x(group: ET.Element) -> int:
    rects = [r for r in group.iter(f"{NS}rect") if r.get("class") != "under"]
    return int(rects[0].get("x", "0"))


def test_downstream_boxes_stand_right_of_their_upstreams() -> None:
    """Layers follow the longest path: every edge points from left to right."""
    nodes = [GraphNode(k, "completed") for k in "abcde"]
    edges = [("a", "b"), ("b", "c"), ("a", "c"), ("d", "e"), ("c", "e")]
    groups = _groups(render_svg(nodes, edges))
    for up, down in edges:
        assert _x(groups[down]) >= _x(groups[up]) + BOX_W
    assert _x(groups["a"]) == _x(groups["d"])


def test_status_and_kind_become_classes() -> None:
    """Each box carries st-<status> and k-<kind>; no status is st-none; odd values are
    reduced to letters."""
    nodes = [
        GraphNode("a", "failed", "map"),
        GraphNode("b", None),
        GraphNode("c", 'x" onload="y', "call"),
    ]
    groups = _groups(render_svg(nodes, []))
    assert groups["a"].get("class") == "node st-failed k-map"
    assert groups["b"].get("class") == "node st-none k-node"
    assert groups["c"].get("class") == "node st-xonloady k-call"


def test_markup_in_labels_captions_and_links_stays_text() -> None:
    """Labels, captions and hrefs are escaped; javascript: links are dropped."""
    nodes = [
        GraphNode(XSS, "completed", caption=XSS, href="/runs/x?a=1&b=<2>"),
        GraphNode("b", "completed", href=" JavaScript:alert(1)"),
    ]
    svg = render_svg(nodes, [(XSS, "b")])
    assert "<script>" not in svg
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert any(t and t.startswith("<script>") for t in texts)  # as text, once parsed
    links = [a.get("href") for a in root.iter(f"{NS}a")]
    assert links == ["/runs/x?a=1&b=<2>"]


def test_no_style_attributes_and_no_scripts() -> None:
    """Colours come from the stylesheet (the CSP forbids inline styles)."""
    svg = render_svg([GraphNode("a", "running"), GraphNode("b", None)], [("a", "b")])
    root = ET.fromstring(svg)
    assert all("style" not in el.attrib for el in root.iter())
    assert not any(el.tag.endswith("script") for el in root.iter())


def test_unknown_edges_are_left_out_and_cycles_end() -> None:
    """Edges to unknown steps are ignored; a cycle still places every step once."""
    nodes = [GraphNode(k, None) for k in "abc"]
    svg = render_svg(nodes, [("a", "b"), ("b", "c"), ("c", "a"), ("a", "zz")])
    assert set(_groups(svg)) == {"a", "b", "c"}
    assert svg.count('class="edge"') == 3


def test_long_labels_are_cut_with_the_whole_in_the_title() -> None:
    """A long label is shortened on the box; its <title> (the tooltip) holds it whole."""
    label = "a_very_long_step_name_that_goes_on_and_on"
    group = _groups(render_svg([GraphNode(label, None, caption="pkg.mod:fn")], []))[label]
    title = group.find(f"{NS}title")
    assert title is not None and title.text == f"{label}\npkg.mod:fn"
    shown = [t.text or "" for t in group.iter(f"{NS}text")]
    assert shown[0].endswith("…") and len(shown[0]) <= 28


def test_1050_nodes_give_1050_boxes_and_1000_steps_stay_small() -> None:
    """One box per node, however many; a 1,000-step DAG is well under 1.5 MB."""
    nodes = [GraphNode(f"n{i}", "completed") for i in range(1050)]
    svg = render_svg(nodes, [(f"n{i}", f"n{i + 1}") for i in range(1049)])
    assert svg.count('<g class="node') == 1050
    rng = random.Random(7)
    wide = [
        GraphNode(f"step_{i:04d}", "completed", caption="pkg.module:function") for i in range(1000)
    ]
    edges = [(f"step_{rng.randrange(i):04d}", f"step_{i:04d}") for i in range(1, 1000)]
    assert len(render_svg(wide, edges).encode()) < 1_500_000


def test_the_same_input_draws_the_same_svg() -> None:
    """Rendering is deterministic (pages can be compared and cached)."""
    nodes = [GraphNode(k, None) for k in "dcba"]
    edges = [("a", "c"), ("b", "c"), ("c", "d")]
    assert render_svg(nodes, edges) == render_svg(nodes, edges)
