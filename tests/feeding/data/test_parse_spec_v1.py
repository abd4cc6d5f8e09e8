"""The parse spec of a legacy ``ParseExample`` (v1) op: its defaults follow the keys' inputs."""

from __future__ import annotations

import numpy as np

import explorer
from explorer.feeding.data.sources import parse_spec, parser_of
from tests.feeding.data.files import parser_example


def test_v1_parse_spec_reads_its_defaults_and_runs(tmp_path):
    from explorer._tf import tf

    t = tf()
    g = t.Graph()
    with g.as_default():
        s = t.compat.v1.placeholder(t.string, [None], name="serialized")
        out = t.raw_ops.ParseExample(
            serialized=s,
            names=t.constant([], t.string),
            sparse_keys=[t.constant("ids")],
            dense_keys=[t.constant("x"), t.constant("n")],
            dense_defaults=[t.constant([], t.float32), t.constant([7], t.int64)],
            sparse_types=[t.int64],
            dense_shapes=[[2], [1]],
        )
        t.identity(out.dense_values[1], name="n_out")
    t.io.write_graph(g.as_graph_def(), str(tmp_path), "v1.pb", as_text=False)
    model = explorer.load(tmp_path / "v1.pb")

    node = parser_of(model, "serialized:0")
    assert node is not None and node.op == "ParseExample"
    spec = parse_spec(model, node)
    feats = spec.features()
    assert feats["x"] == ("dense", "float32", (2,), True)
    assert feats["n"] == ("dense", "int64", (1,), False)  # default 7
    assert feats["ids"][:2] == ("sparse", "int64")
    recs = np.array([parser_example(2), parser_example(1, drop="n")], dtype=object)
    index = {v: k for k, v in spec.outputs_per_feature().items()}
    outs = spec.run(recs)
    assert outs[index[("n", "dense")]].tolist() == [[2], [7]]
    np.testing.assert_allclose(outs[index[("x", "dense")]], [[1, -0.5], [0.5, -0.25]])
