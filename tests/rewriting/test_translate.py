"""From the outputs back to the inputs: leftovers grouped into marked fallback layers, and the
one-line errors for what has no rewrite.
"""

from __future__ import annotations

import pytest

import explorer
from tests.rewriting.helpers import const, freeze, rewrite_and_run


def test_leftovers_are_one_marked_fallback_layer_in_keras_ops(tmp_path):
    def body(tf, v1, rng):
        x = v1.placeholder(tf.float32, [None, 3], name="x")
        h = tf.nn.relu(tf.matmul(x, const(tf, rng, 3, 3)))
        return tf.sqrt(tf.exp(-h))  # Neg, Exp, Sqrt: no Keras layer, all keras.ops

    rw = rewrite_and_run(freeze(tmp_path, "fb", body))
    assert [r["native"] for r in rw.layers] == [True, False]  # Dense, then one fallback
    (fb,) = rw.fallbacks
    assert fb["kind"] == "Fallback1" and {"Neg", "Exp", "Sqrt"} <= {
        n.split("/")[-1] for n in fb["replaces"]
    }
    assert "class Fallback1(keras.layers.Layer):" in rw.source and "FALLBACK" in rw.source


def test_an_op_without_rewrite_is_a_one_line_error_naming_it(tmp_path):
    def body(tf, v1, rng):
        x = v1.placeholder(tf.float32, [None, 4], name="x")
        return tf.signal.rfft(x)

    path = freeze(tmp_path, "rfft", body)
    with pytest.raises(
        explorer.errors.ConversionError, match=r"^op rfft \(RFFT\) has no Keras pattern"
    ):
        explorer.to_keras(path, inputs=["x:0"], outputs=["y:0"], check=False)
