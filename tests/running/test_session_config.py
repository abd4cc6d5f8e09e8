"""Session config: Grappler off for big graphs only (issue 23: memory of ``run``); the prepared
GraphDef is the model's own when nothing needs changing, and never changes the model's proto."""

from __future__ import annotations

import explorer
from explorer.loading.isolation import prepare_graph_def
from explorer.running.session import BIG_GRAPH_BYTES, session_config


def _graph_with_const(nbytes: int):
    """A GraphDef ``x + c`` whose Const ``c`` holds ``nbytes`` of float32 zeros (in memory)."""
    from tensorflow.core.framework import graph_pb2, types_pb2

    gd = graph_pb2.GraphDef()
    x = gd.node.add(name="x", op="Placeholder")
    x.attr["dtype"].type = types_pb2.DT_FLOAT
    c = gd.node.add(name="c", op="Const")
    c.attr["dtype"].type = types_pb2.DT_FLOAT
    tensor = c.attr["value"].tensor
    tensor.dtype = types_pb2.DT_FLOAT
    tensor.tensor_shape.dim.add().size = nbytes // 4
    tensor.tensor_content = bytes(nbytes // 4 * 4)
    gd.node.add(name="y", op="AddV2", input=["x", "c"]).attr["T"].type = types_pb2.DT_FLOAT
    return gd


def test_big_graph_runs_without_the_meta_optimizer():
    big = session_config(_graph_with_const(BIG_GRAPH_BYTES + 2**20))
    assert big.graph_options.rewrite_options.disable_meta_optimizer
    assert big.allow_soft_placement
    small = session_config(_graph_with_const(4096))
    assert not small.graph_options.rewrite_options.disable_meta_optimizer
    assert small.allow_soft_placement


def test_model_session_keeps_the_optimizer_for_normal_models(mlp_paths):
    import numpy as np

    model = explorer.load(mlp_paths["saved_model"])
    before = model.graph_def.SerializeToString(deterministic=True)
    assert prepare_graph_def(model) is model.graph_def  # nothing to change: no copy
    assert prepare_graph_def(model, writable=True) is not model.graph_def
    with explorer.ModelSession(model) as s:
        assert not s.config.graph_options.rewrite_options.disable_meta_optimizer
        sig = model.signature()
        feeds = {
            t: np.ones([2, *(d or 1 for d in t.shape[1:])], np.float32) for t in sig.inputs.values()
        }
        assert all(np.isfinite(v).all() for v in s.run(sig.outputs, feeds).values())
    assert model.graph_def.SerializeToString(deterministic=True) == before  # import left it
