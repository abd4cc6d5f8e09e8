"""The neighbourhood drawing: layered layout and SVG (pure Python, no widgets)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from explorer.widgets.graph_svg import MISSING, error_colour, layered_layout, render_svg

NODES = [("x", "Placeholder"), ("w", "VariableV2"), ("mm", "MatMul"), ("relu", "Relu")]
EDGES = [("x", "mm"), ("w", "mm"), ("mm", "relu")]


def test_layout_puts_edges_downwards_and_nodes_apart():
    placed, width, height = layered_layout(NODES, EDGES)
    by = {p.name: p for p in placed}
    assert by["x"].layer == by["w"].layer == 0
    assert by["mm"].layer == 1 and by["relu"].layer == 2
    for a, b in EDGES:
        assert by[a].y < by[b].y
    assert by["x"].x != by["w"].x
    assert width > 0 and height > 0
    assert all(0 <= p.x <= width and 0 <= p.y <= height for p in placed)


def test_layout_survives_cycles_and_unknown_edge_ends():
    nodes = [("a", "Merge"), ("b", "NextIteration"), ("c", "Exit")]
    placed, _, _ = layered_layout(nodes, [("a", "b"), ("b", "a"), ("a", "c"), ("zz", "a")])
    assert sorted(p.name for p in placed) == ["a", "b", "c"]


def test_svg_is_valid_xml_with_one_group_per_node_and_selection():
    svg = render_svg(NODES, EDGES, selected="mm", title="around mm")
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    groups = root.findall(f"{ns}g")
    assert [g.get("data-name") for g in groups] == [p.name for p in layered_layout(NODES, EDGES)[0]]
    sel = next(g for g in groups if g.get("data-name") == "mm").find(f"{ns}rect")
    assert sel.get("stroke-width") == "3"
    assert len(root.findall(f"{ns}path")) == len(EDGES)


def test_svg_colours_nodes_by_error():
    svg = render_svg(NODES, EDGES, values={"x": 0.0, "mm": 1e-2, "relu": None})
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    fill = {g.get("data-name"): g.find(f"{ns}rect").get("fill") for g in root.findall(f"{ns}g")}
    assert fill["x"] == error_colour(0.0, 1e-2) == "#2ea043"  # green
    assert fill["mm"] == error_colour(1e-2, 1e-2) == "#d1242f"  # worst: red
    assert fill["relu"] == MISSING  # not measured
    assert "1.0e-02" in svg


def test_error_colour_scale_is_monotonic_in_red():
    reds = [int(error_colour(v, 1.0)[1:3], 16) for v in (1e-8, 1e-6, 1e-4)]
    greens = [int(error_colour(v, 1.0)[3:5], 16) for v in (1e-4, 1e-2, 1.0)]
    assert reds == sorted(reds) and greens == sorted(greens, reverse=True)
    assert error_colour(float("nan"), 1.0) == "#d1242f"
