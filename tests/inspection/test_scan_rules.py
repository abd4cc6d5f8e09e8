"""The shipped scan rules, one behaviour each, on small TF1 graphs built here."""

from __future__ import annotations

import explorer
from explorer.inspection.gate import require_safe, scan
from tests.helpers import build_risky_graph, graph_model


def test_known_replacement_is_named(mlp_paths, tmp_path):
    model = explorer.load(mlp_paths["frozen_pb"])
    for node in model.graph_def.node:
        if node.name == "dense/Relu":
            node.op = "FusedConv2DBiasActivation"  # a tf.contrib op TF 2 does not register
    (f,) = scan(model, rules=["unregistered-op"])
    assert f.replacement and "tf.nn.conv2d" in f.replacement and "known replacement" in f.message
    assert f.to_json()["replacement"] == f.replacement


def test_replaced_op_is_only_info(tmp_path):
    model = explorer.load(build_risky_graph(tmp_path), replacements={"MySquare": lambda x: x})
    (f,) = scan(model, rules=["unregistered-op"])
    assert f.severity == "info" and "replaced on import" in f.message


def test_saver_ops_and_initialisers_are_not_flagged(mlp_paths):
    """The Saver's save/restore ops are the checkpoint; random initialisers only init."""
    for fmt in ("checkpoint_v1", "checkpoint_v2", "saved_model", "frozen_pb"):
        model = explorer.load(mlp_paths[fmt])
        findings = scan(model)
        assert not findings.unsafe, (fmt, findings.unsafe)
        require_safe(model)  # does not raise
    findings = scan(explorer.load(mlp_paths["checkpoint_v2"]))
    assert findings.by_rule("ref-variable")[0].nodes == (
        "dense/kernel",
        "dense/bias",
        "logits/kernel",
        "logits/bias",
    )
    (edges,) = findings.by_rule("ref-edge")
    assert edges.severity == "info" and "Assign" in edges.message


def test_file_rule_edges(tmp_path):
    """PrintV2 to stderr is a door (issue 23: it can fake explorer's own lines); a restore inside
    a save/ scope reading a path from outside it is not the Saver's."""

    def build(tf):
        tf.raw_ops.PrintV2(input="hi", output_stream="stderr", name="say")
        outside = tf.constant("/home/someone/secrets", name="evil_path")
        with tf.name_scope("save"):
            tf.raw_ops.RestoreV2(
                prefix=outside, tensor_names=["v"], shape_and_slices=[""], dtypes=[tf.float32]
            )

    found = scan(graph_model(tmp_path, build), rules=["file-system"])
    assert sorted(f.nodes for f in found) == [("save/RestoreV2",), ("say",)]
    assert "the process's stderr" in found.by_rule("file-system")[1].message


def test_file_ops_in_library_functions(tmp_path):
    """In a function body a save/restore op is a checkpoint op when its prefix is an argument of
    the function, and a file-system risk when the path is a constant."""
    from tensorflow.core.framework import function_pb2

    model = explorer.load(build_risky_graph(tmp_path, unregistered=False))
    fn = function_pb2.FunctionDef()
    fn.signature.name = "checkpoint_fn"
    fn.signature.input_arg.add(name="file_prefix", type=7)
    fn.node_def.add(name="save", op="SaveV2", input=["file_prefix", "names:output:0"])
    fn.node_def.add(name="names", op="Const")
    fn.node_def.add(name="path", op="Const")
    fn.node_def.add(name="restore", op="RestoreV2", input=["path:output:0", "names:output:0"])
    fn.node_def.add(name="orphan", op="RestoreV2", input=["ghost:output:0"])
    model.graph_def.library.function.append(fn)
    nodes = {n for f in scan(model, rules=["file-system"]) for n in f.nodes}
    assert "checkpoint_fn::restore" in nodes and "checkpoint_fn::save" not in nodes
    assert "checkpoint_fn::orphan" in nodes  # its prefix comes from nowhere known


def test_random_only_initialising_a_variable_is_info(tmp_path):
    def build(tf):
        u = tf.random.uniform([2], name="u", seed=1)
        tf.compat.v1.Variable(u + u * 2.0, name="v", use_resource=False)

    (f,) = scan(graph_model(tmp_path, build), rules=["stateful-random"])
    assert f.severity == "info" and f.nodes == ("u/RandomUniform",)


def test_seeded_random_on_the_run_path(tmp_path):
    def build(tf):
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        tf.identity(x + tf.random.uniform([2], seed=3, name="u"), name="y")

    (f,) = scan(graph_model(tmp_path, build), rules=["stateful-random"])
    assert f.severity == "warning" and "all seeded" in f.message
