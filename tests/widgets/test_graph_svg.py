"""The neighbourhood drawing: layered layout and SVG (pure Python, no widgets)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from explorer.widgets.graph_svg import (
    GAP_X,
    MARGIN,
    MISSING,
    NODE_W,
    collapse,
    error_colour,
    layered_layout,
    render_svg,
)

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


def _hub(n_consumers: int = 50):
    """ParseExampleV2-like: one op read by ``n_consumers`` ops, each read by one more."""
    nodes = [("examples", "Placeholder"), ("parse", "ParseExampleV2")]
    edges = [("examples", "parse")]
    for i in range(n_consumers):
        nodes += [(f"feature_{i}", "Identity"), (f"use_{i}", "Cast")]
        edges += [("parse", f"feature_{i}"), (f"feature_{i}", f"use_{i}")]
    return nodes, edges


def test_busy_layers_fold_into_one_more_box_and_the_selection_stays():
    nodes, edges = _hub(50)
    out_nodes, out_edges, hidden = collapse(nodes, edges, keep=["feature_30"], max_per_layer=6)
    names = [n for n, _ in out_nodes]
    assert "feature_30" in names and "parse" in names
    assert sorted(hidden) == ["+45 more", "+45 more "]  # one per busy layer, names unique
    assert len(hidden["+45 more"]) == 45 and "feature_30" not in hidden["+45 more"]
    assert ("parse", "+45 more") in out_edges and ("+45 more", "+45 more ") in out_edges
    placed, width, _ = layered_layout(out_nodes, out_edges)
    assert max(sum(p.layer == k for p in placed) for k in range(3)) <= 6
    assert width <= 2 * MARGIN + 6 * NODE_W + 5 * GAP_X


def test_svg_of_a_busy_op_fits_its_pane_and_names_every_op_on_hover():
    nodes, edges = _hub(50)
    svg = render_svg(nodes, edges, selected="parse")
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert "width:100%" in root.get("style") and root.get("viewBox")
    groups = root.findall(f"{ns}g")
    more = [g for g in groups if "tf1x-more" in g.get("class")]
    assert [g.find(f"{ns}text").text for g in more] == ["+45 more", "+45 more"]
    tips = "\n".join(g.find(f"{ns}title").text for g in groups)
    for i in range(50):  # every op is named: in its box's tooltip or in a "+k more" tooltip
        assert f"feature_{i}" in tips
    sel = next(g for g in groups if g.get("data-name") == "parse").find(f"{ns}rect")
    assert sel.get("stroke-width") == "3"
    assert all(g.get("data-name") is None for g in more)  # clicking "+45 more" selects nothing


def test_more_box_takes_the_worst_value_of_its_ops():
    nodes, edges = _hub(10)
    values = {f"feature_{i}": 1e-9 for i in range(10)} | {"feature_9": 0.5}
    svg = render_svg(nodes, edges, selected="parse", values=values, max_per_layer=3)
    assert "5.0e-01" in svg
    with pytest.raises(ValueError, match="at least 2"):
        collapse(nodes, edges, max_per_layer=1)
