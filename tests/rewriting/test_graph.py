"""GraphContext: v1 conds on a fixed ``training`` flag looked through, values of weights, and
what depends on the inputs, on the real tf.compat.v1.layers CNN (batch norm + dropout)."""

from __future__ import annotations

import explorer
from explorer.rewriting.graph import GraphContext, py_name, scope_of


def test_fixed_training_switches_are_resolved_to_the_inference_branch(keras_fixtures):
    model = explorer.load(keras_fixtures / "cnn_bn_dropout" / "model.meta")
    with explorer.ModelSession(model) as sess:
        ctx = GraphContext(["x:0"], ["y:0"], sess)
        # fused batch norm: the Merge of the training flag is its inference FusedBatchNormV3_1
        assert ctx.resolve("bn1/cond/Merge:0") == "bn1/cond/FusedBatchNormV3_1:0"
        assert ctx.is_dead("bn1/cond/FusedBatchNormV3:0")  # the training branch never runs
        # unfused: the moving mean behind a Switch is a fixed value (a restored variable)
        mean = ctx.value("bn2/cond/Merge:0")
        assert mean is not None and mean.shape == (6,)
        assert ctx.is_variable("bn2/gamma/read:0") and not ctx.is_const("conv2/Relu:0")
        # a placeholder with a default that is not an input is a constant (False)
        assert ctx.value("training:0") == False  # noqa: E712 - a numpy bool
        assert ctx.shape("x:0") == [None, 9, 9, 1] and ctx.dtype("x:0") == "float32"
        assert ctx.single_use("conv2/BiasAdd:0")  # gradient readers are not counted
        assert not ctx.single_use("conv1/BiasAdd:0")  # both batch-norm branches' Switches


def test_names():
    assert scope_of("model/dense/BiasAdd") == "model/dense" and scope_of("Add") == "Add"
    assert py_name("rnn/while/Exit_3") == "rnn_while_Exit_3" and py_name("1x") == "t_1x"
