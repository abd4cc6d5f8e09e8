"""Walks over a GraphDef: what is upstream, in what order, what is random or changes state."""

from __future__ import annotations

from explorer.graph.traversal import (
    random_ops_upstream,
    state_changing_upstream,
    topological_order,
    upstream,
)


def _graph_def():
    from explorer._tf import tf

    g = tf().Graph()
    v1 = tf().compat.v1
    with g.as_default():
        x = v1.placeholder(tf().float32, [None, 2], name="x")
        noise = v1.random_uniform([2], seed=1, name="noise")
        h = tf().add(x, noise, name="h")
        with g.control_dependencies([h]):
            y = tf().identity(x * 2.0, name="y")
        v = v1.Variable([1.0, 2.0], name="v", use_resource=False)
        v1.assign_add(v, [1.0, 1.0], name="bump")
        tf().identity(y, name="z")
    return g.as_graph_def()


def test_upstream_with_and_without_control_edges():
    gd = _graph_def()
    everything = upstream(gd, ["z:0"])
    assert {"x", "y", "z", "h"} <= everything and any(n.startswith("noise") for n in everything)
    plain = upstream(gd, ["z"], control=False)
    assert "h" not in plain and {"x", "y", "z"} <= plain


def test_topological_order_puts_producers_first():
    gd = _graph_def()
    order = topological_order(gd)
    assert order.index("x") < order.index("h") < order.index("y") < order.index("z")
    assert set(topological_order(gd, {"x", "y"})) == {"x", "y"}


def test_random_and_state_changing_ops_upstream():
    gd = _graph_def()
    assert random_ops_upstream(gd, ["h"]) and all(
        "noise" in n for n in random_ops_upstream(gd, ["h"])
    )
    assert not random_ops_upstream(gd, ["x"])
    assert state_changing_upstream(gd, ["bump"]) == ["bump"]
    assert state_changing_upstream(gd, ["z"]) == []
