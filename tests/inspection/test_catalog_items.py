"""OpInfo and TensorInfo: the light views of one op or tensor that a catalog hands out."""

from __future__ import annotations

import pytest

import explorer


def test_op_info_fields(frozen):
    op = frozen.op("logits/BiasAdd")
    assert op.type in ("AddV2", "Add")
    assert op.inputs == ("MatMul_1:0", "logits/bias/read:0")
    assert op.consumers == ("probs",)
    assert op.outputs == ("logits/BiasAdd:0",)
    assert op.attrs["T"] == "float32"
    assert op.scope == "logits"
    assert frozen.op("logits/BiasAdd:0") == op  # a tensor name finds its op
    kernel = frozen.op("dense/kernel")
    assert kernel.type == "Const" and kernel.attrs["value"] == "float32[4, 8]"
    assert op.to_json()["consumers"] == ["probs"]


def test_tensor_info_dtype_shape_consumers(ckpt, frozen):
    x = ckpt.tensor("x:0")
    assert (x.dtype, x.shape, x.producer, x.index) == ("float32", (None, 4), "x", 0)
    assert ckpt.tensor("x") == x
    assert ckpt.tensor("probs:0").shape == (None, 3)  # from _output_shapes in the MetaGraph
    assert ckpt.tensor("dense/kernel:0").dtype == "float32_ref"  # VariableV2: a ref edge
    assert "dense/kernel/read" in ckpt.tensor("dense/kernel:0").consumers
    assert ckpt.tensor("keep_prob:0").shape == ()
    assert frozen.tensor("probs:0").shape is None  # frozen graphs record no shapes
    assert frozen.tensor("x:0").to_json()["shape"] == [None, 4]


def test_control_edges_in_neighbours(ckpt):
    sub = ckpt.neighbours("init", up=1, down=0)
    assert sub.edges and all(e.control and e.tensor is None for e in sub.edges)
    assert ckpt.op("init").control_inputs and ckpt.op("dense/kernel/Assign").control_consumers


@pytest.fixture(scope="module")
def frozen(mlp_paths):
    return explorer.Catalog.from_model(explorer.load(mlp_paths["frozen_pb"]))


@pytest.fixture(scope="module")
def ckpt(mlp_paths):
    return explorer.Catalog.from_model(explorer.load(mlp_paths["checkpoint_v2"]))
