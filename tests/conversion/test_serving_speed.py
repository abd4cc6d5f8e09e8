"""What the served artifact runs per call: a frozen conversion of a model whose init op reads
variables (serving_half_plus_two: its asset initialiser) saves, loads with plain TensorFlow and is
proven; V2Runner feeds tensors of the signature's dtype, casting the others."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

import explorer
from tests.shared_models import shared_model


def test_a_frozen_conversion_keeps_only_the_variables_its_init_op_reads(tmp_path):
    model = explorer.load(shared_model("serving_half_plus_two"))
    v2 = explorer.convert(model, signatures=["serving_default"], freeze=True)
    assert v2.frozen and v2.variables == [] and len(v2._root.init_variables) == 2
    out = v2.save(tmp_path / "frozen")
    loaded = tf.saved_model.load(str(out))
    served = loaded.signatures["serving_default"](x=tf.constant([[1.0], [2.0]]))
    np.testing.assert_array_equal(served["y"].numpy(), [[2.5], [3.0]])  # 0.5 x + 2
    assert explorer.parity(model, out, signatures=["serving_default"]).passed
    with explorer.V2Runner(out) as runner:  # a float64 feed is cast to the float32 input
        got = runner.infer({"x": np.array([[4.0]])})
    assert got["y"].dtype == np.float32 and got["y"].tolist() == [[4.0]]
