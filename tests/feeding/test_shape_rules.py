"""Shape rules, one op at a time, on GraphDefs built with tf.compat.v1 (no session needed)."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.feeding.shape_inference import (
    DIM_ORIGINS,
    SHAPE_RULES,
    SPARSE_SHAPE_RULES,
    Dim,
    Proposal,
    ShapeContext,
    dim_origin,
    shape_rule,
)
from explorer.graph.index import graph_index
from explorer.graph.inputs import loop_predicate


def _graph(build):
    import tensorflow as tf

    g = tf.Graph()
    with g.as_default():
        build(tf, tf.compat.v1)

    def static(t):
        try:
            s = g.get_tensor_by_name(t).shape
        except (KeyError, ValueError):
            return None
        return None if s.rank is None else tuple(s.as_list())

    gd = g.as_graph_def()
    return ShapeContext(graph_index(gd), static)


def _ask(ctx, op_name, pos=0, shape=None):
    node = ctx.index.nodes[op_name]
    return SHAPE_RULES[node.op](ctx, node, pos, shape)


def _sizes(prop: Proposal):
    return tuple(d.size for d in prop.dims)


def test_registry_covers_the_ops_of_the_issue():
    for op in ("Reshape", "MatMul", "BatchMatMulV2", "Conv2D", "BiasAdd", "AddV2", "Mul"):
        assert op in SHAPE_RULES, op
    for op in ("ConcatV2", "Pack", "DecodeWav", "DecodeJpeg", "ParseTensor", "GatherNd"):
        assert op in SHAPE_RULES, op
    assert "SparseToDense" in SPARSE_SHAPE_RULES
    assert {"Tile", "Fill", "Const"} <= set(DIM_ORIGINS)


def test_matmul_transposes_and_the_weight_side():
    def build(tf, v1):
        x = v1.placeholder(tf.float32, name="x")
        w = tf.constant(np.ones((3, 7), np.float32))
        tf.raw_ops.MatMul(a=x, b=w, transpose_a=True, name="ta")
        tf.raw_ops.MatMul(a=w, b=x, name="right")

    ctx = _graph(build)
    assert _sizes(_ask(ctx, "ta")) == (3, None)  # x is [K, batch] when transposed
    assert _sizes(_ask(ctx, "right", 1)) == (7, None)


def test_reshape_of_a_known_rank_input_with_one_free_dim():
    def build(tf, v1):
        x = v1.placeholder(tf.float32, [None], name="x")
        tf.reshape(x, [-1, 784], name="flat")
        y = v1.placeholder(tf.float32, [2, None], name="y")
        tf.reshape(y, [6, 4], name="fixed")

    ctx = _graph(build)
    d = _ask(ctx, "flat", 0, (None,)).dims[0]
    assert d.size is None and d.scale == 784  # 784 per example
    assert _sizes(_ask(ctx, "fixed", 0, (2, None))) == (2, 12)


def test_pool_minimum_and_nchw_bias():
    def build(tf, v1):
        x = v1.placeholder(tf.float32, name="x")
        tf.nn.max_pool2d(x, 3, 1, "VALID", name="pool")
        tf.nn.bias_add(v1.placeholder(tf.float32, name="z"), tf.ones([5]), "NCHW", name="bias")

    ctx = _graph(build)
    pool = _ask(ctx, "pool")
    assert [d.minimum for d in pool.dims] == [1, 3, 3, 1]
    assert "at least 3: MaxPool 'pool'" in pool.dims[1].describe()
    assert _sizes(_ask(ctx, "bias", 0, (None, None, None, None))) == (None, 5, None, None)


def test_scalars_pack_and_switch():
    def build(tf, v1):
        s = v1.placeholder(tf.string, name="s")
        tf.io.parse_tensor(s, tf.float32, name="parse")
        p = v1.placeholder(tf.float32, name="p")
        tf.stack([p, tf.zeros([2, 3])], name="stack")
        flag = v1.placeholder(tf.bool, name="flag")
        tf.raw_ops.Switch(data=tf.zeros([1]), pred=flag, name="sw")

    ctx = _graph(build)
    assert _ask(ctx, "parse").dims == ()
    assert _sizes(_ask(ctx, "stack")) == (2, 3)
    assert "Switch" not in SHAPE_RULES  # a predicate is a scalar: loop_predicate finds it
    assert loop_predicate(ctx.index, "flag:0")[0].name == "sw"
    assert loop_predicate(ctx.index, "p:0") is None


def test_dim_origin_names_the_tile_and_a_new_rule_can_be_added():
    def build(tf, v1):
        t = tf.tile(tf.constant([[1.0]]), [9, 1], name="tiled")
        tf.identity(tf.nn.relu(t), name="out")
        x = v1.placeholder(tf.float32, name="x")
        tf.raw_ops.Softplus(features=x, name="soft")

    ctx = _graph(build)
    assert dim_origin(ctx, "out:0", 0, 9) == "fixed by Tile 'tiled' (multiples [9, 1])"

    @shape_rule("Softplus", name="test softplus")
    def _softplus(ctx, node, pos, shape):
        return Proposal((Dim(), Dim(4, "a test rule")), "a test rule")

    try:
        assert _sizes(_ask(ctx, "soft")) == (None, 4)
        with pytest.raises(ValueError, match="already has a shape rule"):
            shape_rule("Softplus")(_softplus)
    finally:
        SHAPE_RULES.unregister("test softplus")
