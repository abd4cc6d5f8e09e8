"""Pattern rules that become Keras layers with weights, one real TF1 fixture each (frozen graphs
built with ``tf.compat.v1`` ops); the generated model runs here against the v1 session.
"""

from __future__ import annotations

import numpy as np

from tests.rewriting.helpers import const, freeze, rewrite_and_run, rules


def test_dense_matmul_biasadd_relu_and_matmul_plus_bias(tmp_path):
    def body(tf, v1, rng):
        x = v1.placeholder(tf.float32, [None, 4], name="x")
        h = tf.nn.relu(tf.nn.bias_add(tf.matmul(x, const(tf, rng, 4, 5)), const(tf, rng, 5)))
        h = tf.matmul(h, const(tf, rng, 5, 3)) + const(tf, rng, 3)  # Add, not BiasAdd
        return tf.matmul(h, const(tf, rng, 2, 3), transpose_b=True)  # no bias

    rw = rewrite_and_run(freeze(tmp_path, "dense", body))
    assert rules(rw) == ["dense", "dense", "dense-no-bias"]
    assert 'activation="relu"' in rw.source and rw.fallbacks == []


def test_conv2d_depthwise_and_transpose_with_bias(tmp_path):
    def body(tf, v1, rng):
        x = v1.placeholder(tf.float32, [None, 8, 8, 2], name="x")
        h = tf.nn.conv2d(x, const(tf, rng, 3, 3, 2, 4), strides=2, padding="SAME")
        h = tf.nn.relu6(tf.nn.bias_add(h, const(tf, rng, 4)))
        h = tf.nn.depthwise_conv2d(h, const(tf, rng, 3, 3, 4, 2), [1, 1, 1, 1], "VALID")
        h = tf.nn.bias_add(h, const(tf, rng, 8))
        batch = tf.shape(x)[0]
        return tf.nn.conv2d_transpose(
            h, const(tf, rng, 3, 3, 3, 8), tf.stack([batch, 3, 3, 3]), strides=2, padding="SAME"
        )

    rw = rewrite_and_run(freeze(tmp_path, "conv", body))
    kinds = [r["kind"] for r in rw.layers]
    assert kinds == ["Conv2D", "DepthwiseConv2D", "Conv2DTranspose"]
    assert 'activation="relu6"' in rw.source and "output_padding=(0, 0)" in rw.source


def test_fused_and_unfused_batch_norm_inference(tmp_path):
    def body(tf, v1, rng):
        x = v1.placeholder(tf.float32, [None, 4, 4, 3], name="x")
        var = tf.constant(rng.uniform(0.5, 2.0, 3).astype(np.float32))
        h, _, _ = v1.nn.fused_batch_norm(
            x,
            const(tf, rng, 3),
            const(tf, rng, 3),
            const(tf, rng, 3),
            var,
            epsilon=1e-3,
            is_training=False,
        )
        return tf.nn.batch_normalization(
            h, const(tf, rng, 3), var * 2.0, const(tf, rng, 3), const(tf, rng, 3), 1e-4
        )

    rw = rewrite_and_run(freeze(tmp_path, "bn", body))
    assert rules(rw) == ["batch-norm", "batch-norm-unfused"]
    assert rw.source.count("keras.layers.BatchNormalization(") == 2


def test_pooling(tmp_path):
    def body(tf, v1, rng):
        x = v1.placeholder(tf.float32, [None, 7, 7, 2], name="x")
        h = tf.nn.max_pool2d(x, 3, 2, "SAME")
        return tf.nn.avg_pool2d(h, 2, 1, "SAME")  # SAME average excludes the padding

    rw = rewrite_and_run(freeze(tmp_path, "pool", body))
    assert [r["kind"] for r in rw.layers] == ["MaxPooling2D", "AveragePooling2D"]


def test_standalone_activations(tmp_path):
    def body(tf, v1, rng):
        x = v1.placeholder(tf.float32, [None, 6], name="x")
        h = tf.nn.elu(tf.nn.selu(tf.sigmoid(tf.tanh(x))))
        return tf.nn.softmax(tf.nn.leaky_relu(h, alpha=0.1))

    rw = rewrite_and_run(freeze(tmp_path, "act", body))
    assert set(rules(rw)) == {"activation"}
    assert "LeakyReLU(negative_slope=0.1" in rw.source


def test_embedding_gather(tmp_path):
    def body(tf, v1, rng):
        ids = v1.placeholder(tf.int32, [None, 4], name="x")
        return tf.gather(const(tf, rng, 8, 3, name="embedding"), ids)

    rw = rewrite_and_run(freeze(tmp_path, "emb", body))
    assert [r["kind"] for r in rw.layers] == ["Embedding"]
    assert "keras.layers.Embedding(8, 3" in rw.source


def test_inline_dropout_behind_a_keep_prob_default_becomes_dropout(tmp_path):
    """The example MLP: ``tf.nn.dropout(h, rate=1 - keep_prob)``, keep_prob defaulting to 1.0."""
    from tests.model_builders.mlp_formats import build_mlp

    path = build_mlp(tmp_path / "mlp", fmt="checkpoint_v2")
    rw = rewrite_and_run(path, outputs=("probs:0",))
    assert [r["kind"] for r in rw.layers] == ["Dense", "Dropout", "Dense", "Softmax"]
    assert (
        "dropout-keep-prob" in rules(rw)
        and 'Dense(8, activation="relu", name="dense")' in rw.source
    )
