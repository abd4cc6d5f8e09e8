"""Walks over a GraphDef: what is upstream, in what order, what is random or changes state."""

from __future__ import annotations

from explorer.graph.index import (
    graph_index,
    racy_reads,
    random_ops_upstream,
    state_changing_upstream,
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
    everything = graph_index(gd).upstream(["z:0"])
    assert {"x", "y", "z", "h"} <= everything and any(n.startswith("noise") for n in everything)
    plain = graph_index(gd).upstream(["z"], control=False)
    assert "h" not in plain and {"x", "y", "z"} <= plain


def test_topological_order_puts_producers_first():
    gd = _graph_def()
    order = graph_index(gd).topological_order()
    assert order.index("x") < order.index("h") < order.index("y") < order.index("z")
    assert set(graph_index(gd).topological_order({"x", "y"})) == {"x", "y"}


def test_random_and_state_changing_ops_upstream():
    gd = _graph_def()
    assert random_ops_upstream(gd, ["h"]) and all(
        "noise" in n for n in random_ops_upstream(gd, ["h"])
    )
    assert not random_ops_upstream(gd, ["x"])
    assert state_changing_upstream(gd, ["bump"]) == ["bump"]
    assert state_changing_upstream(gd, ["z"]) == []


def _metric_graph_def():
    """A ``tf.compat.v1.metrics.mean`` (ref variables total/count, as Estimators export), and an
    output that reads ``total`` only after the update ran (a control dependency)."""
    from explorer._tf import tf

    g = tf().Graph()
    v1 = tf().compat.v1
    with g.as_default():
        x = v1.placeholder(tf().float32, [None], name="x")
        value, update = v1.metrics.mean(x, name="m")
        tf().identity(value, name="value")
        tf().identity(update, name="update")
        total = next(v for v in v1.local_variables() if v.op.name.endswith("total"))
        with g.control_dependencies([update]):
            tf().identity(total.value(), name="after")
    return g.as_graph_def()


def test_a_read_racing_a_write_of_the_same_call_is_named():
    gd = _metric_graph_def()
    racy = racy_reads(gd, {"value": ["value"], "update": ["update"], "after": ["after"]})
    assert set(racy) == {"value"}  # the update op and the ordered read are well defined
    assert "reads m/total" in racy["value"] and "updates in the same call" in racy["value"]
    assert racy_reads(gd, {"value": ["value"]}) == {}  # alone, nothing writes in the call
