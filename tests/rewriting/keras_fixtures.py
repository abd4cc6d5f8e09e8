"""Real TF1 models for the Keras rewrite: a CNN with batch norm and dropout, and text models whose
LSTM / GRU / BasicRNN cells are unrolled by ``tf.compat.v1.nn.dynamic_rnn`` (v1 while loops).

Run as a script in a SUBPROCESS with ``TF_USE_LEGACY_KERAS=1`` (``tf.compat.v1.layers`` and
``rnn_cell`` exist on TF 2.21 only through tf_keras)::

    TF_USE_LEGACY_KERAS=1 python tests/rewriting/keras_fixtures.py OUT_DIR [NAME ...]

Each model is trained a few Adam steps (batch-norm statistics move) and saved as ``.meta`` +
checkpoint, like ``tests/conversion/v1_layers_models.py`` (whose ``build`` it reuses), with
reference variables and v1 control flow. Tensors: ``x:0`` input, ``y:0`` output (training flag off).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "conversion"))

import numpy as np  # noqa: E402
from v1_layers_models import MLP_X, _mlp, build  # noqa: E402

VOCAB, STEPS = 20, 5
TEXT_X = (3, STEPS)


def _cnn_bn_dropout(tf, v1, x, training):
    h = v1.layers.conv2d(x, 4, 3, padding="same", name="conv1")
    h = v1.layers.batch_normalization(h, training=training, name="bn1")
    h = tf.nn.relu(h)
    h = v1.layers.max_pooling2d(h, 2, 2, name="pool1")
    h = v1.layers.conv2d(h, 6, 3, strides=2, padding="valid", activation=tf.nn.relu, name="conv2")
    h = v1.layers.batch_normalization(h, training=training, fused=False, name="bn2")
    h = v1.layers.flatten(h, name="flatten")
    h = v1.layers.dropout(h, 0.3, training=training, name="dropout")
    return v1.layers.dense(h, 5, name="logits")


def _text(cell_fn):
    def body(tf, v1, x, training):
        table = v1.get_variable("embedding", [VOCAB, 6])
        emb = tf.nn.embedding_lookup(table, x)
        outputs, _state = v1.nn.dynamic_rnn(cell_fn(v1), emb, dtype=tf.float32)
        last = outputs[:, -1, :]
        return v1.layers.dense(last, 3, name="logits")

    return body


TEXT_MODELS = {
    "lstm": _text(lambda v1: v1.nn.rnn_cell.LSTMCell(7)),
    "basic_lstm": _text(lambda v1: v1.nn.rnn_cell.BasicLSTMCell(5, forget_bias=1.0)),
    "gru": _text(lambda v1: v1.nn.rnn_cell.GRUCell(6)),
    "rnn": _text(lambda v1: v1.nn.rnn_cell.BasicRNNCell(4)),
}


def build_text(out: Path, name: str, body, seed: int) -> None:
    """Like ``v1_layers_models.build`` for int32 token ids ``x`` [batch, STEPS]."""
    import tensorflow as tf

    v1 = tf.compat.v1
    rng = np.random.default_rng(seed)
    x_value = rng.integers(0, VOCAB, size=TEXT_X).astype(np.int32)
    g = tf.Graph()
    with g.as_default():
        v1.set_random_seed(seed)
        x = v1.placeholder(tf.int32, [None, STEPS], name="x")
        y = tf.identity(body(tf, v1, x, None), name="y")
        loss = tf.reduce_mean(tf.square(y - 1.0))
        step = v1.train.get_or_create_global_step()
        train = v1.train.AdamOptimizer(1e-2).minimize(loss, global_step=step)
        saver = v1.train.Saver()
        with v1.Session(graph=g) as s:
            s.run(v1.global_variables_initializer())
            for _ in range(5):
                s.run(train, {x: rng.integers(0, VOCAB, size=TEXT_X).astype(np.int32)})
            expected = s.run(y, {x: x_value})
            folder = out / name
            folder.mkdir(parents=True, exist_ok=True)
            saver.save(s, str(folder / "model"))
    np.savez(folder / "expected.npz", x=x_value, y=expected)


def build_lengths(out: Path, name: str, seed: int) -> None:
    """An LSTM text model with a ``lengths`` input (``dynamic_rnn(sequence_length=...)``): outputs
    past each length are zeros, the final state is the one at the length; ``y`` reads both."""
    import tensorflow as tf

    v1 = tf.compat.v1
    rng = np.random.default_rng(seed)
    x_value = rng.integers(0, VOCAB, size=TEXT_X).astype(np.int32)
    len_value = np.array([5, 2, 0], np.int32)
    g = tf.Graph()
    with g.as_default():
        v1.set_random_seed(seed)
        x = v1.placeholder(tf.int32, [None, STEPS], name="x")
        lengths = v1.placeholder(tf.int32, [None], name="lengths")
        emb = tf.nn.embedding_lookup(v1.get_variable("embedding", [VOCAB, 6]), x)
        outputs, state = v1.nn.dynamic_rnn(
            v1.nn.rnn_cell.LSTMCell(4), emb, sequence_length=lengths, dtype=tf.float32
        )
        y = tf.identity(tf.concat([tf.reduce_sum(outputs, axis=1), state.h], axis=1), name="y")
        saver = v1.train.Saver()
        with v1.Session(graph=g) as s:
            s.run(v1.global_variables_initializer())
            expected = s.run(y, {x: x_value, lengths: len_value})
            folder = out / name
            folder.mkdir(parents=True, exist_ok=True)
            saver.save(s, str(folder / "model"))
    np.savez(folder / "expected.npz", x=x_value, lengths=len_value, y=expected)


def main(argv: list[str]) -> int:
    if os.environ.get("TF_USE_LEGACY_KERAS") != "1":
        print("set TF_USE_LEGACY_KERAS=1 (tf.compat.v1.layers needs tf_keras)", file=sys.stderr)
        return 2
    import tensorflow as tf

    tf.compat.v1.disable_v2_behavior()
    tf.compat.v1.disable_resource_variables()
    out = Path(argv[1])
    names = argv[2:] or ["mlp", "cnn_bn_dropout", *TEXT_MODELS, "lstm_lengths"]
    for i, name in enumerate(names):
        if name == "mlp":
            build(out, "mlp", _mlp, MLP_X, seed=2)
        elif name == "lstm_lengths":
            build_lengths(out, name, seed=30)
        elif name == "cnn_bn_dropout":
            build(out, name, _cnn_bn_dropout, (2, 9, 9, 1), seed=3)
        else:
            build_text(out, name, TEXT_MODELS[name], seed=10 + i)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
