"""conversion.rewrite: reference variables -> resource variables, checked by running the result."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import explorer
from explorer.conversion.rewrite import REWRITES, rewrites, to_resource_variables
from explorer.examples.models import mlp_reference
from tests.conftest import shared_model

X = np.random.default_rng(3).normal(size=(4, 4)).astype(np.float32)


def _has_refs(graph_def):
    return any(n.op in ("VariableV2", "Variable") for n in graph_def.node)


def _rewritten(model):
    r = to_resource_variables(model.graph_def, model.meta_graph, str(model.path))
    return r, dataclasses.replace(
        model, graph_def=r.graph_def, meta_graph=r.meta_graph, _signatures=None
    )


@pytest.mark.parametrize("fmt", ["saved_model", "checkpoint_v1"])
def test_mlp_rewrite_restores_and_computes_the_same(mlp_paths, fmt):
    model = explorer.load(mlp_paths[fmt])
    r, m2 = _rewritten(model)
    nodes = {n.name: n for n in r.graph_def.node}
    assert not _has_refs(r.graph_def) and _has_refs(model.graph_def)
    assert r.variables == ["dense/bias", "dense/kernel", "logits/bias", "logits/kernel"]
    assert nodes["dense/kernel"].op == "VarHandleOp"
    assert nodes["dense/kernel"].attr["shared_name"].s == b"dense/kernel"
    assert nodes["dense/kernel/read"].op == "ReadVariableOp"
    # Assign keeps its name as a read with a control edge on the update
    assign = nodes["dense/kernel/Assign"]
    assert assign.op == "ReadVariableOp"
    assert nodes[assign.input[1][1:]].op == "AssignVariableOp"
    assert r.updates["dense/kernel/Assign"] == "AssignVariableOp"
    with explorer.ModelSession(m2) as s:  # restores through the rewritten Saver ops
        y = s.run("probs:0", {"x:0": X})
    np.testing.assert_allclose(y, mlp_reference(X), rtol=1e-5, atol=1e-6)
    with explorer.ModelSession(model) as s:
        assert np.array_equal(y, s.run("probs:0", {"x:0": X}))


def test_meta_graph_variable_defs_become_resource(mlp_paths):
    from tensorflow.core.framework import variable_pb2

    model = explorer.load(mlp_paths["saved_model"])
    r, _ = _rewritten(model)
    for key in ("variables", "trainable_variables"):
        for raw in r.meta_graph.collection_def[key].bytes_list.value:
            vd = variable_pb2.VariableDef()
            vd.ParseFromString(raw)
            assert vd.is_resource, vd.variable_name
    # the source protos are untouched
    assert any(n.op == "VariableV2" for n in model.meta_graph.graph_def.node)


def _training_graph():
    """A TF1 graph with Apply*, Scatter*, CountUpTo, IsVariableInitialized and AssignSub."""
    from explorer._tf import tf

    tf = tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 2], name="x")
        w = v1.Variable([[1.0], [2.0]], name="w", use_resource=False)
        table = v1.Variable([0.0, 0.0, 0.0], name="table", use_resource=False)
        step = v1.Variable(0, name="step", use_resource=False)
        loss = tf.reduce_sum(tf.square(tf.matmul(x, w) - 1.0), name="loss")
        opt = v1.train.MomentumOptimizer(0.1, 0.9)
        train = opt.minimize(loss, name="train")
        with tf.control_dependencies([train]):
            v1.scatter_add(table, [0, 2], [1.0, 2.0], name="scatter")
            v1.count_up_to(step, 10, name="count")
            v1.assign_sub(w, [[0.5], [0.5]], name="shrink")
        tf.identity(v1.is_variable_initialized(w), name="inited")
        init = v1.global_variables_initializer()
    fetch = ["loss:0", "scatter:0", "count:0", "shrink:0", "inited:0"]
    return g, init.name, fetch


def test_training_ops_behave_the_same_after_rewrite():
    from explorer._tf import tf1

    g, init, fetch = _training_graph()
    gd = g.as_graph_def()
    r = to_resource_variables(gd)
    ops = {n.name: n.op for n in r.graph_def.node}
    assert {"ResourceApplyMomentum", "ResourceScatterAdd", "AssignSubVariableOp"} <= set(
        ops.values()
    )
    assert ops["count"] == "ResourceCountUpTo" and "VarIsInitializedOp" in ops.values()
    feeds = {"x:0": np.array([[1.0, 2.0], [0.5, -1.0]], np.float32)}

    def run(graph_def):
        g2 = tf1().Graph()
        with g2.as_default():
            tf1().import_graph_def(graph_def, name="")
        with tf1().Session(graph=g2) as s:
            s.run(init)
            out = []
            for _ in range(3):  # a step, then the variable read on its own (reads in the same
                out.append(s.run(fetch, feeds))  # run as an update are unordered in TF1)
                out.append([s.run("w/read:0")])
            return out

    before, after = run(gd), run(r.graph_def)
    for a, b in zip(before, after):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)


def test_op_needing_a_ref_without_rewrite_is_named():
    from tensorflow.core.framework import graph_pb2, types_pb2

    gd = graph_pb2.GraphDef()
    v = gd.node.add(name="v", op="VariableV2")
    v.attr["dtype"].type = types_pb2.DT_FLOAT
    v.attr["shape"].shape.SetInParent()
    ref = gd.node.add(name="alias", op="DestroyTemporaryVariable", input=["v"])
    ref.attr["T"].type = types_pb2.DT_FLOAT
    match = r"'alias' \(DestroyTemporaryVariable\).*freeze=True"
    with pytest.raises(explorer.errors.ConversionError, match=match):
        to_resource_variables(gd, path="g.pb")


def test_registry_is_keyed_by_op_type():
    assert REWRITES["Assign"] is not REWRITES["VariableV2"]
    assert REWRITES["ApplyAdam"] is REWRITES["ApplyGradientDescent"]

    @rewrites("MyRefOp")
    def _mine(ctx, node):
        return [node]

    try:
        assert REWRITES["MyRefOp"] is _mine
    finally:
        REWRITES.unregister("MyRefOp")


@pytest.mark.slow
def test_counter_keeps_state_in_a_v1_session_after_rewrite():
    model = explorer.load(shared_model("serving_counter"))
    _, m2 = _rewritten(model)
    assert m2.signatures["get_counter"].outputs["output"].dtype == "float32"
    with explorer.ModelSession(m2) as s:
        s.run("reset_counter_op/Assign:0")
        s.run("incr_counter_op/AssignAdd:0")
        assert s.run("incr_counter_op/AssignAdd:0") == 2.0
        assert s.run("incr_counter_by_op/AssignAdd:0", {"delta:0": 3.0}) == 5.0
        assert s.run("counter/read:0") == 5.0
