"""The converter's plans: which tensors go in and out of each TF2 signature, under which keys."""

from __future__ import annotations

import pytest

from explorer.conversion.build import plan_signatures
from explorer.errors import SignatureNotFoundError


def test_named_tensors_are_keyed_by_op_name_and_a_mapping_keeps_its_keys(mlp):
    (plan,) = plan_signatures(mlp, None, ["x"], ["probs:0"])
    assert plan.name == "serving_default" and list(plan.inputs) == ["x:0"]
    assert plan.keys == {"x:0": "x", "probs:0": "probs"}
    assert plan.inputs["x:0"].shape == (None, 4) and plan.outputs["probs:0"].name == "probs:0"
    (mapped,) = plan_signatures(mlp, None, {"image": "x:0"}, {"p": "probs"})
    assert mapped.keys == {"image": "image", "p": "p"}
    assert mapped.inputs["image"].name == "x:0" and mapped.outputs["p"].name == "probs:0"


def test_signatures_and_tensor_names_exclude_each_other(mlp):
    with pytest.raises(SignatureNotFoundError, match="either signatures or inputs/outputs"):
        plan_signatures(mlp, ["serving_default"], ["x:0"], ["probs:0"])
    with pytest.raises(SignatureNotFoundError, match="no outputs given"):
        plan_signatures(mlp, None, ["x:0"], None)
    (plan,) = plan_signatures(mlp, None, None, None)
    assert plan.name == "serving_default" and set(plan.outputs) == {"probs", "logits"}
