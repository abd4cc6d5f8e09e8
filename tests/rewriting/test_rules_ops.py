"""Single ops as ``keras.ops`` lines / parameter-free layers, and constants kept as weights."""

from __future__ import annotations

from explorer.rewriting import translate  # noqa: F401 - registers every rule
from explorer.rewriting.graph import KERAS_RULES
from explorer.rewriting.rules_ops import KERAS_OPS
from tests.rewriting.helpers import const, freeze, rewrite_and_run, rules


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


def test_reshape_concat_and_friends_as_keras_ops(tmp_path):
    def body(tf, v1, rng):
        x = v1.placeholder(tf.float32, [None, 2, 3, 4], name="x")
        flat = tf.reshape(x, [-1, 24])
        t = tf.transpose(x, [0, 2, 1, 3])
        e = tf.expand_dims(tf.squeeze(tf.reshape(t, [-1, 1, 24]), [1]), 2)
        p = tf.pad(e, [[0, 0], [1, 2], [0, 0]])
        both = tf.concat([flat, tf.reshape(p, [-1, 27])[:, :24]], axis=1)
        return tf.reduce_mean(both * flat[:, :1] + flat[:, 1:2], axis=1, keepdims=True)

    rw = rewrite_and_run(freeze(tmp_path, "ops", body))
    kinds = {r["kind"] for r in rw.layers}
    assert {"Flatten", "Permute", "Concatenate", "keras.ops.pad", "keras.ops.mean"} <= kinds
    assert rw.fallbacks == []


def test_constant_operands_become_weights(tmp_path):
    def body(tf, v1, rng):
        x = v1.placeholder(tf.float32, [None, 3], name="x")
        return (x * const(tf, rng, 3, name="scale")) + 0.5

    rw = rewrite_and_run(freeze(tmp_path, "withc", body))
    assert rules(rw) == ["with-constant", "keras-ops"]
    assert 'WithConstant("multiply", (3,)' in rw.source and "keras.ops.add(" in rw.source
