"""What will run: the ops outputs need (not past feeds), restore/init, and called functions."""

from __future__ import annotations

import explorer
from explorer.graph.index import called_functions, ops_that_run
from explorer.loading.model import model_run_scope


def _graph():
    from explorer._tf import tf

    tf = tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 2], name="x")
        hidden = tf.identity(x * 2.0, name="hidden")
        y = tf.identity(hidden + 1.0, name="y")
        text = tf.io.read_file("/etc/hostname", name="read")
        with tf.control_dependencies([text]):
            tf.identity(y, name="z")

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
        def double(a):
            return a * 2.0

        tf.identity(double(tf.reshape(y, [-1])), name="called")
    return g.as_graph_def()


def test_upstream_of_the_fetches_not_past_the_feeds_nor_elsewhere():
    gd = _graph()
    scope = ops_that_run(gd, ["y:0"], ["x:0"])
    assert {"y", "hidden"} <= scope.ops and "read" not in scope.ops and "z" not in scope
    assert "x" not in scope.ops  # fed: a placeholder that is fed does not run either
    cut = ops_that_run(gd, ["y:0"], ["hidden:0"])
    assert "hidden" not in cut.ops and "x" not in cut.ops  # a fed tensor's producer does not run
    assert "read" in ops_that_run(gd, ["z:0"], ["x:0"]).ops  # control edges run


def test_library_functions_called_are_in_the_scope():
    gd = _graph()
    scope = ops_that_run(gd, ["called:0"], ["x:0"])
    (fn,) = scope.functions
    assert fn in called_functions(gd, scope.ops) and fn.startswith("__inference_double")
    node = next(n.name for f in gd.library.function for n in f.node_def)
    assert f"{fn}::{node}" in scope and "other::node" not in scope


def test_model_scope_adds_restore_and_init(mlp_paths):
    model = explorer.load(mlp_paths["checkpoint_v2"])
    scope = model_run_scope(model, ["probs:0"], ["x:0"])
    assert model.restore_op.split(":")[0] in scope.ops
    assert any(n.startswith("save/") for n in scope.ops)
