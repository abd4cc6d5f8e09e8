"""Build real ``tf.compat.v1.layers`` models (an MLP and a CNN with batch norm) and save them.

Run as a script in a SUBPROCESS with ``TF_USE_LEGACY_KERAS=1`` (the test process keeps Keras 3;
``tf.compat.v1.layers`` exists on TF 2.21 only through tf_keras)::

    TF_USE_LEGACY_KERAS=1 python tests/conversion/v1_layers_models.py OUT_DIR

For each of ``mlp`` and ``cnn`` it writes ``OUT_DIR/<name>/model.meta`` + V2 checkpoint (reference
variables, as TF1 had, with Adam slots and ``global_step``) after a few training steps (so the
batch-norm moving statistics are not at their initial values) and ``OUT_DIR/<name>/expected.npz``
with the fixed input ``x`` and the v1 session's inference output ``y`` for it. Graph tensors:
``x:0`` (input), ``y:0`` (output, inference mode: the ``training`` flag defaults to False).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

MLP_X = (6, 4)  # batch, features
CNN_X = (2, 8, 8, 1)  # batch, height, width, channels


def _mlp(tf, v1, x, training):
    h = v1.layers.dense(x, 8, activation=tf.nn.relu)
    h = v1.layers.dense(h, 8, activation=tf.nn.relu)
    return v1.layers.dense(h, 3)


def _cnn(tf, v1, x, training):
    h = v1.layers.conv2d(x, 4, 3, padding="same", activation=tf.nn.relu)
    h = v1.layers.max_pooling2d(h, 2, 2)
    h = v1.layers.conv2d(h, 8, 3, padding="same", activation=tf.nn.relu)
    h = v1.layers.batch_normalization(h, training=training)
    h = v1.layers.flatten(h)
    return v1.layers.dense(h, 5)


def build(out: Path, name: str, body, x_shape: tuple[int, ...], seed: int) -> None:
    """Train ``body`` a few Adam steps in a fresh graph; save .meta + checkpoint + expected.npz."""
    import tensorflow as tf

    v1 = tf.compat.v1
    rng = np.random.default_rng(seed)
    x_value = rng.normal(size=x_shape).astype(np.float32)
    g = tf.Graph()
    with g.as_default():
        v1.set_random_seed(seed)
        x = v1.placeholder(tf.float32, [None, *x_shape[1:]], name="x")
        training = v1.placeholder_with_default(False, [], name="training")
        y = tf.identity(body(tf, v1, x, training), name="y")
        loss = tf.reduce_mean(tf.square(y - 1.0))
        step = v1.train.get_or_create_global_step()
        with tf.control_dependencies(v1.get_collection(v1.GraphKeys.UPDATE_OPS)):
            train = v1.train.AdamOptimizer(1e-2).minimize(loss, global_step=step)
        saver = v1.train.Saver()
        with v1.Session(graph=g) as s:
            s.run(v1.global_variables_initializer())
            for _ in range(5):
                batch = rng.normal(1.0, 2.0, size=x_shape).astype(np.float32)
                s.run(train, {x: batch, training: True})
            expected = s.run(y, {x: x_value})
            folder = out / name
            folder.mkdir(parents=True, exist_ok=True)
            saver.save(s, str(folder / "model"))
    np.savez(folder / "expected.npz", x=x_value, y=expected)


def main(argv: list[str]) -> int:
    if os.environ.get("TF_USE_LEGACY_KERAS") != "1":
        print("set TF_USE_LEGACY_KERAS=1 (tf.compat.v1.layers needs tf_keras)", file=sys.stderr)
        return 2
    import tensorflow as tf

    # Graph mode with TF1 semantics: reference variables (VariableV2 / float_ref) and v1 control
    # flow (Switch/Merge for the batch-norm training flag), as TF1 wrote them.
    tf.compat.v1.disable_v2_behavior()
    tf.compat.v1.disable_resource_variables()
    out = Path(argv[1])
    build(out, "mlp", _mlp, MLP_X, seed=2)
    build(out, "cnn", _cnn, CNN_X, seed=3)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
