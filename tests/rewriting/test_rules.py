"""One fixture per Keras rewrite rule: a small real TF1 graph built with ``tf.compat.v1`` ops
(frozen: weights as constants), rewritten by ``explorer.to_keras``, the generated model built
here (TensorFlow backend) and run against the v1 session on the same feeds.

The fresh-process TF + JAX check of whole models is in ``test_models.py``; these stay in process
to be quick.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import explorer
from explorer.rewriting import translate  # noqa: F401 - registers every rule
from explorer.rewriting.ir import KERAS_RULES
from explorer.rewriting.rules_ops import KERAS_OPS


def _freeze(tmp_path: Path, name: str, body) -> Path:
    """Build ``body(tf, v1, rng)`` (returns the output tensor) in a fresh graph; write ``.pb``."""
    import tensorflow as tf

    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        rng = np.random.default_rng(0)
        y = body(tf, v1, rng)
        tf.identity(y, name="y")
    path = tmp_path / f"{name}.pb"
    path.write_bytes(g.as_graph_def().SerializeToString())
    return path


def _const(tf, rng, *shape, name=None):
    return tf.constant(rng.normal(size=shape).astype(np.float32), name=name)


def _rewrite(path: Path, inputs=("x:0",), outputs=("y:0",)):
    rw = explorer.to_keras(path, inputs=list(inputs), outputs=list(outputs), check=False)
    model = rw.build()
    for feeds, want in zip(rw._feeds, rw._expected):
        got = model(feeds, training=False)
        for key, value in want.items():
            np.testing.assert_allclose(np.asarray(got[key]), value, atol=1e-5, rtol=1e-5)
    return rw


def _rules(rw) -> list[str]:
    return [r["rule"] for r in rw.layers]


def test_every_rule_and_translation_is_registered():
    names = {e.name for e in KERAS_RULES.entries()}
    assert {
        "dense",
        "dense-no-bias",
        "conv2d",
        "activation",
        "batch-norm",
        "batch-norm-unfused",
        "pooling",
        "embedding",
        "dropout",
        "dynamic-rnn",
        "keras-ops",
        "with-constant",
    } <= names
    assert {"Reshape", "ConcatV2", "Squeeze", "ExpandDims", "Transpose", "Pad"} <= set(KERAS_OPS)


def test_dense_matmul_biasadd_relu_and_matmul_plus_bias(tmp_path):
    def body(tf, v1, rng):
        x = v1.placeholder(tf.float32, [None, 4], name="x")
        h = tf.nn.relu(tf.nn.bias_add(tf.matmul(x, _const(tf, rng, 4, 5)), _const(tf, rng, 5)))
        h = tf.matmul(h, _const(tf, rng, 5, 3)) + _const(tf, rng, 3)  # Add, not BiasAdd
        return tf.matmul(h, _const(tf, rng, 2, 3), transpose_b=True)  # no bias

    rw = _rewrite(_freeze(tmp_path, "dense", body))
    assert _rules(rw) == ["dense", "dense", "dense-no-bias"]
    assert 'activation="relu"' in rw.source and rw.fallbacks == []


def test_conv2d_depthwise_and_transpose_with_bias(tmp_path):
    def body(tf, v1, rng):
        x = v1.placeholder(tf.float32, [None, 8, 8, 2], name="x")
        h = tf.nn.conv2d(x, _const(tf, rng, 3, 3, 2, 4), strides=2, padding="SAME")
        h = tf.nn.relu6(tf.nn.bias_add(h, _const(tf, rng, 4)))
        h = tf.nn.depthwise_conv2d(h, _const(tf, rng, 3, 3, 4, 2), [1, 1, 1, 1], "VALID")
        h = tf.nn.bias_add(h, _const(tf, rng, 8))
        batch = tf.shape(x)[0]
        return tf.nn.conv2d_transpose(
            h, _const(tf, rng, 3, 3, 3, 8), tf.stack([batch, 3, 3, 3]), strides=2, padding="SAME"
        )

    rw = _rewrite(_freeze(tmp_path, "conv", body))
    kinds = [r["kind"] for r in rw.layers]
    assert kinds == ["Conv2D", "DepthwiseConv2D", "Conv2DTranspose"]
    assert 'activation="relu6"' in rw.source and "output_padding=(0, 0)" in rw.source


def test_fused_and_unfused_batch_norm_inference(tmp_path):
    def body(tf, v1, rng):
        x = v1.placeholder(tf.float32, [None, 4, 4, 3], name="x")
        var = tf.constant(rng.uniform(0.5, 2.0, 3).astype(np.float32))
        h, _, _ = v1.nn.fused_batch_norm(
            x,
            _const(tf, rng, 3),
            _const(tf, rng, 3),
            _const(tf, rng, 3),
            var,
            epsilon=1e-3,
            is_training=False,
        )
        return tf.nn.batch_normalization(
            h, _const(tf, rng, 3), var * 2.0, _const(tf, rng, 3), _const(tf, rng, 3), 1e-4
        )

    rw = _rewrite(_freeze(tmp_path, "bn", body))
    assert _rules(rw) == ["batch-norm", "batch-norm-unfused"]
    assert rw.source.count("keras.layers.BatchNormalization(") == 2


def test_pooling(tmp_path):
    def body(tf, v1, rng):
        x = v1.placeholder(tf.float32, [None, 7, 7, 2], name="x")
        h = tf.nn.max_pool2d(x, 3, 2, "SAME")
        return tf.nn.avg_pool2d(h, 2, 1, "SAME")  # SAME average excludes the padding

    rw = _rewrite(_freeze(tmp_path, "pool", body))
    assert [r["kind"] for r in rw.layers] == ["MaxPooling2D", "AveragePooling2D"]


def test_standalone_activations(tmp_path):
    def body(tf, v1, rng):
        x = v1.placeholder(tf.float32, [None, 6], name="x")
        h = tf.nn.elu(tf.nn.selu(tf.sigmoid(tf.tanh(x))))
        return tf.nn.softmax(tf.nn.leaky_relu(h, alpha=0.1))

    rw = _rewrite(_freeze(tmp_path, "act", body))
    assert set(_rules(rw)) == {"activation"}
    assert "LeakyReLU(negative_slope=0.1" in rw.source


def test_reshape_concat_and_friends_as_keras_ops(tmp_path):
    def body(tf, v1, rng):
        x = v1.placeholder(tf.float32, [None, 2, 3, 4], name="x")
        flat = tf.reshape(x, [-1, 24])
        t = tf.transpose(x, [0, 2, 1, 3])
        e = tf.expand_dims(tf.squeeze(tf.reshape(t, [-1, 1, 24]), [1]), 2)
        p = tf.pad(e, [[0, 0], [1, 2], [0, 0]])
        both = tf.concat([flat, tf.reshape(p, [-1, 27])[:, :24]], axis=1)
        return tf.reduce_mean(both * flat[:, :1] + flat[:, 1:2], axis=1, keepdims=True)

    rw = _rewrite(_freeze(tmp_path, "ops", body))
    kinds = {r["kind"] for r in rw.layers}
    assert {"Flatten", "Permute", "Concatenate", "keras.ops.pad", "keras.ops.mean"} <= kinds
    assert rw.fallbacks == []


def test_constant_operands_become_weights(tmp_path):
    def body(tf, v1, rng):
        x = v1.placeholder(tf.float32, [None, 3], name="x")
        return (x * _const(tf, rng, 3, name="scale")) + 0.5

    rw = _rewrite(_freeze(tmp_path, "withc", body))
    assert _rules(rw) == ["with-constant", "keras-ops"]
    assert 'WithConstant("multiply", (3,)' in rw.source and "keras.ops.add(" in rw.source


def test_embedding_gather(tmp_path):
    def body(tf, v1, rng):
        ids = v1.placeholder(tf.int32, [None, 4], name="x")
        return tf.gather(_const(tf, rng, 8, 3, name="embedding"), ids)

    rw = _rewrite(_freeze(tmp_path, "emb", body))
    assert [r["kind"] for r in rw.layers] == ["Embedding"]
    assert "keras.layers.Embedding(8, 3" in rw.source


def test_leftovers_are_one_marked_fallback_layer_in_keras_ops(tmp_path):
    def body(tf, v1, rng):
        x = v1.placeholder(tf.float32, [None, 3], name="x")
        h = tf.nn.relu(tf.matmul(x, _const(tf, rng, 3, 3)))
        return tf.sqrt(tf.exp(-h))  # Neg, Exp, Sqrt: no Keras layer, all keras.ops

    rw = _rewrite(_freeze(tmp_path, "fb", body))
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

    path = _freeze(tmp_path, "rfft", body)
    with pytest.raises(explorer.ConversionError, match=r"^op rfft \(RFFT\) has no Keras pattern"):
        explorer.to_keras(path, inputs=["x:0"], outputs=["y:0"], check=False)


def test_generated_source_imports_only_keras(tmp_path):
    def body(tf, v1, rng):
        x = v1.placeholder(tf.float32, [None, 2], name="x")
        return tf.matmul(x, _const(tf, rng, 2, 2))

    rw = _rewrite(_freeze(tmp_path, "imports", body))
    imports = {
        ln.split()[1] for ln in rw.source.splitlines() if ln.startswith(("import ", "from "))
    }
    assert imports == {"os", "keras"}
    assert "def build_model(weights=WEIGHTS):" in rw.source
    assert "# Dense <- TF1 MatMul" in rw.source
