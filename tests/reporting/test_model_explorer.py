"""The whole graph in Model Explorer: a tf.compat.v1 graph (name scopes, a while loop as library
functions) as Model Explorer's JSON graph, a first divergence and a parity summary as its node-data
overlays, served by Model Explorer's real server on localhost and stopped."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import numpy as np
import pytest

from explorer.errors import ExplorerError


@pytest.fixture(scope="module")
def scoped(tmp_path_factory):
    """A frozen graph ``x -> dense/{MatMul, add, Relu} -> loop (while, x2 three times) -> out``
    with a control edge, its conversion, a first divergence with ``dense/kernel`` perturbed on
    the v2 side, and a passing parity summary."""
    import tensorflow as tf
    from tensorflow.python.framework import tensor_util

    import explorer
    from explorer.comparing.divergence import v2_graph_def

    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
        with tf.compat.v1.variable_scope("dense"):
            w = tf.constant(np.arange(12, dtype=np.float32).reshape(4, 3) / 10, name="kernel")
            h = tf.nn.relu(tf.matmul(x, w) + 0.5, name="Relu")
        with tf.control_dependencies([h]):
            step = tf.constant(2.0, name="step")
        _, y = tf.compat.v1.while_loop(
            lambda i, v: i < 3, lambda i, v: (i + 1, v * step), [tf.constant(0), h], name="loop"
        )
        tf.identity(y, name="out")
    path = tmp_path_factory.mktemp("scoped") / "scoped.pb"
    path.write_bytes(g.as_graph_def().SerializeToString())  # no _output_shapes recorded
    model = explorer.load(path)
    v2 = explorer.convert(model)
    gd = v2_graph_def(v2)
    node = next(n for n in gd.node if n.name == "dense/kernel")
    value = tensor_util.MakeNdarray(node.attr["value"].tensor).copy()
    value[0, 0] += 0.5
    node.attr["value"].tensor.CopyFrom(tensor_util.make_tensor_proto(value))
    feeds = {"x:0": np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)}
    div = explorer.first_divergence(model, gd, feeds)
    assert div.op == "dense/kernel"
    return model, div, explorer.parity(model, v2)


def test_graph_has_scopes_as_namespaces_edges_and_shapes(scoped):
    from explorer import Catalog
    from explorer.reporting.model_explorer import graphs

    model = scoped[0]
    main, *functions = graphs(Catalog.from_model(model), model)
    nodes = {n.id: n for n in main.nodes}
    assert main.id == "main" and len(nodes) == len(model.graph_def.node)
    mm = nodes["dense/MatMul"]
    assert (mm.label, mm.namespace, nodes["out"].namespace) == ("MatMul", "dense", "")
    edges = [(e.sourceNodeId, e.sourceNodeOutputId, e.targetNodeInputId) for e in mm.incomingEdges]
    assert edges == [("x", "0", "0"), ("dense/kernel", "0", "1")]
    meta = {kv.key: kv.value for kv in mm.outputsMetadata[0].attrs}
    # not recorded in the graph: TensorFlow's static shape inference fills it in
    assert meta == {"tensor_name": "dense/MatMul:0", "dtype": "float32", "shape": "[?, 3]"}
    attrs = {kv.key: kv.value for kv in nodes["step"].attrs}
    assert attrs["control inputs"].nodeIds == ["dense/Relu"] and attrs["dtype"] == "float32"
    assert all(isinstance(kv.value, str) for kv in mm.attrs)  # attrs as text
    # the while loop's body and condition: subgraphs of their own, reached from the loop op
    assert sorted(nodes["loop"].subgraphIds) == sorted(f.id for f in functions)
    body = next(f for f in functions if "body" in f.id)
    mul = next(n for n in body.nodes if n.label == "Mul")
    ids = {n.id for n in body.nodes}
    assert all(e.sourceNodeId in ids for e in mul.incomingEdges) and len(mul.incomingEdges) == 2


def test_overlays_carry_the_records_numbers_and_verdicts(scoped):
    from explorer.reporting.model_explorer import COLOURS, FIRST, overlays

    model, div, summary = scoped
    layers = overlays([summary, div], model)
    assert list(layers) == [
        "parity verdict",
        "parity (max abs error)",
        "first divergence (max abs error)",
    ]
    errors = layers["first divergence (max abs error)"].graphsData["main"].results
    assert {t: r.value for t, r in errors.items()} == {
        s.tensor: s.max_abs for s in div.steps if s.max_abs is not None
    }
    assert errors["dense/kernel:0"].value == 0.5 and errors["dense/kernel:0"].bgColor == FIRST
    assert errors["dense/MatMul:0"].bgColor == COLOURS["failed"]
    assert errors["dense/add/y:0"].bgColor == COLOURS["passed"]
    report = summary.reports["serving_default"]
    verdicts = layers["parity verdict"].graphsData["main"].results
    assert {t: r.value for t, r in verdicts.items()} == {"out:0": report.outputs["out:0"].status}
    parity_err = layers["parity (max abs error)"].graphsData["main"].results["out:0"]
    assert parity_err.value == report.outputs["out:0"].max_abs


def test_view_graph_serves_graph_and_overlays_on_localhost_and_stops(scoped):
    from explorer import view_graph

    model, div, summary = scoped
    with view_graph(model.path, [summary, div]) as view:
        base, _, query = view.url.partition("/?data=")
        assert base.startswith("http://127.0.0.1:")
        data = json.loads(urllib.parse.unquote(query))
        pane = data["uiState"]["paneStates"][0]  # the first divergence's scope open
        assert pane["deepestExpandedGroupNodeIds"] == ["dense___group___"]

        def get(path: str) -> dict:
            with urllib.request.urlopen(base + path, timeout=10) as r:
                return json.load(r)

        served = get("/api/v1/load_graphs_json?graph_index=0")["graphs"]
        assert served[0]["id"] == "main" and len(served) == 3
        node_data = [
            json.loads(get(f"/api/v1/load_node_data?node_data_index={i}")["content"])
            for i in range(len(data["nodeData"]))
        ]
        values = {t: r["value"] for t, r in node_data[2]["main"]["results"].items()}
        assert values["dense/kernel:0"] == 0.5 == div.step.max_abs
        html = view._repr_html_()
        assert f'<iframe src="{view.url.replace("&", "&amp;")}"' in html
        process = view.process
        assert process.poll() is None
    assert process.returncode is not None  # stopped with the block
    view.stop()  # harmless twice


def test_view_graph_of_a_catalog_without_results(scoped):
    from explorer import Catalog, view_graph

    view = view_graph(Catalog.from_model(scoped[0]), select="dense/Relu")
    try:
        data = json.loads(urllib.parse.unquote(view.url.partition("/?data=")[2]))
        assert "nodeData" not in data
        assert data["uiState"]["paneStates"][0]["deepestExpandedGroupNodeIds"] == [
            "dense___group___"
        ]
    finally:
        view.stop()
    assert view.process.returncode is not None


def test_a_server_that_cannot_start_is_one_error_line(scoped, monkeypatch):
    from explorer.reporting import model_explorer as me

    monkeypatch.setattr(me, "_SERVE", "raise SystemExit('port taken')")
    with pytest.raises(ExplorerError, match="Model Explorer did not start for scoped.pb: port"):
        me.view_graph(scoped[0])
