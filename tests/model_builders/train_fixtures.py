"""TF1 training checkpoints for the training-step check (issue 27), built with tf.compat.v1.

Each builder runs a few training steps (so the optimizer slots and the global step are not at
their start) and saves ``<out>/<name>/model.ckpt-<step>`` as a training script does:

* ``mlp_adam``: a two-layer MLP, softmax cross-entropy, Adam on an exponential-decay schedule.
* ``cnn_momentum``: a small CNN with ``v1.layers.batch_normalization(training=True)`` (fused,
  its ``UPDATE_OPS`` grouped with the train op), a dropout on a ``keep_prob`` placeholder
  (default 1.0, fed 0.5 while training) and Nesterov Momentum.
* ``mlp_rmsprop``: an MLP with centered-free RMSProp (momentum 0.9) on a piecewise-constant
  schedule and a mean-squared-error loss.
* ``mlp_ftrl``: an MLP trained with FTRL (Keras's ``Ftrl``); ``mlp_proximal_adagrad`` with
  ProximalAdagrad (no Keras counterpart: the check names it).
* ``mlp_momentum_decay``: Momentum on an exponential decay (TF1 keeps the accumulator without
  the rate, Keras with it: only the first step agrees, and the check says which variable differs).
* ``estimator_adagrad``: an Estimator's model dir (a DNN ``model_fn`` graph, Adagrad as
  ``DNNClassifier``'s default, a loss summary), saved at steps 2 and 4 by a sharded Saver with
  relative paths, ``graph.pbtxt`` beside the ``model.ckpt-N`` files and ``checkpoint``.
* ``lstm_rmsprop_clip``: a ``dynamic_rnn`` LSTM on dense sequences, RMSProp, the gradients
  clipped by ``tf.clip_by_global_norm`` (Keras's ``global_clipnorm``); ``embedding_lstm_...``
  the same on token ids through an embedding (a sparse update: not mapped, the check says so).

``python -m tests.model_builders.train_fixtures OUT [NAME ...]`` builds them in one child process
(:func:`build_train_fixtures`, ``TF_USE_LEGACY_KERAS=1`` for the v1 ``LSTMCell``), which switches v1
control flow and reference variables on.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from explorer.examples.models import build_training_mlp
from tests.model_builders.child import build_in_child, child_main
from tests.model_builders.training_graphs import _dense, _tf

NAMES = (
    "mlp_adam",
    "cnn_momentum",
    "mlp_rmsprop",
    "mlp_ftrl",
    "mlp_proximal_adagrad",
    "mlp_momentum_decay",
    "estimator_adagrad",
    "lstm_rmsprop_clip",
    "embedding_lstm_rmsprop_clip",
)


def _batch(np: Any, shape: tuple[int, ...], classes: int, seed: int) -> tuple[Any, Any]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=shape).astype("float32"), rng.integers(0, classes, shape[0])


def _mlp(tf: Any, x: Any, sizes: tuple[int, ...]) -> Any:
    h = x
    for i, n in enumerate(sizes):
        h = _dense(tf, h, int(h.shape[-1]), n, f"dense_{i}", i + 1)
        h = h if i == len(sizes) - 1 else tf.nn.relu(h)
    return h


def _train(tf: Any, g: Any, out: Path, train: Any, feed: dict, steps: int) -> Path:
    """``steps`` training steps on ``feed``, then saved as ``model.ckpt-<steps>``."""
    out.mkdir(parents=True, exist_ok=True)
    with g.as_default():
        saver = tf.compat.v1.train.Saver()
        init = tf.compat.v1.global_variables_initializer()
    with tf.compat.v1.Session(graph=g) as sess:
        sess.run(init)
        for _ in range(steps):
            sess.run(train, feed)
        saver.save(sess, str(out / "model.ckpt"), global_step=steps)
    return out


def _mlp_classifier(out: Path, n_in: int, sizes: tuple, optimize: Any, steps: int, seed: int):
    """An MLP on ``x`` with a sparse cross-entropy on ``labels``, trained by ``optimize(v1,
    loss, global_step)`` for ``steps`` steps."""
    import numpy as np

    tf = _tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, n_in], name="x")
        y = v1.placeholder(tf.int64, [None], name="labels")
        loss = v1.losses.sparse_softmax_cross_entropy(y, _mlp(tf, x, sizes))
        train = optimize(v1, loss, v1.train.get_or_create_global_step())
    xs, ys = _batch(np, (4, n_in), sizes[-1], seed)
    return _train(tf, g, out, train, {x: xs, y: ys}, steps)


def build_mlp_adam(out: Path) -> Path:
    return build_training_mlp(out)  # the example the notebooks resume (explorer.examples)


def build_cnn_momentum(out: Path) -> Path:
    import numpy as np

    tf = _tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 6, 6, 2], name="images")
        y = v1.placeholder(tf.int64, [None], name="labels")
        v1.set_random_seed(3)
        init = v1.glorot_uniform_initializer(seed=3)
        k = v1.get_variable("conv/kernel", [3, 3, 2, 4], initializer=init)
        h = tf.nn.conv2d(x, k, 1, "VALID")
        h = v1.layers.batch_normalization(h, momentum=0.9, training=True, name="bn")
        keep = v1.placeholder_with_default(1.0, [], name="keep_prob")  # 0.5 when training
        h = v1.nn.dropout(tf.reshape(tf.nn.relu(h), [-1, 64]), keep_prob=keep)
        logits = _dense(tf, h, 64, 3, "logits", 4)
        loss = v1.losses.sparse_softmax_cross_entropy(y, logits)
        step = v1.train.get_or_create_global_step()
        opt = v1.train.MomentumOptimizer(0.05, 0.9, use_nesterov=True)
        update_ops = v1.get_collection(v1.GraphKeys.UPDATE_OPS)  # the moving averages
        train = tf.group([opt.minimize(loss, global_step=step), update_ops])
    xs, ys = _batch(np, (4, 6, 6, 2), 3, 1)
    return _train(tf, g, out, train, {x: xs, y: ys, keep: 0.5}, 2)


def build_mlp_rmsprop(out: Path) -> Path:
    import numpy as np

    tf = _tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 5], name="x")
        target = v1.placeholder(tf.float32, [None, 2], name="target")
        pred = _mlp(tf, x, (7, 2))
        loss = v1.losses.mean_squared_error(target, pred)
        step = v1.train.get_or_create_global_step()
        lr = v1.train.piecewise_constant(step, [3, 6], [0.01, 0.005, 0.001])
        train = v1.train.RMSPropOptimizer(lr, momentum=0.9).minimize(loss, global_step=step)
    xs = np.random.default_rng(2).normal(size=(4, 5)).astype("float32")
    return _train(tf, g, out, train, {x: xs, target: xs[:, :2] * 0.5}, 2)


def build_mlp_ftrl(out: Path) -> Path:
    def optimize(v1: Any, loss: Any, step: Any) -> Any:
        return v1.train.FtrlOptimizer(0.1).minimize(loss)

    return _mlp_classifier(out, 4, (2,), optimize, 1, 3)


def build_mlp_proximal_adagrad(out: Path) -> Path:
    def optimize(v1: Any, loss: Any, step: Any) -> Any:
        return v1.train.ProximalAdagradOptimizer(0.1).minimize(loss)

    return _mlp_classifier(out, 4, (2,), optimize, 1, 3)


def build_mlp_momentum_decay(out: Path) -> Path:
    def optimize(v1: Any, loss: Any, step: Any) -> Any:
        lr = v1.train.exponential_decay(0.5, step, 1, 0.5)
        return v1.train.MomentumOptimizer(lr, 0.9).minimize(loss, global_step=step)

    return _mlp_classifier(out, 4, (3,), optimize, 2, 4)


def build_estimator_adagrad(out: Path) -> Path:
    """What ``Estimator.train`` leaves in its model_dir after two checkpoints."""
    import numpy as np

    tf = _tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        step = v1.train.get_or_create_global_step()  # the Estimator makes it before model_fn
        x = v1.placeholder(tf.float32, [None, 5], name="features/x")
        y = v1.placeholder(tf.int64, [None], name="labels")
        h = tf.nn.relu(_dense(tf, x, 5, 6, "dnn/hiddenlayer_0", 5))
        logits = _dense(tf, h, 6, 3, "dnn/logits", 6)
        loss = v1.losses.sparse_softmax_cross_entropy(y, logits)
        v1.summary.scalar("loss", loss)
        train = v1.train.AdagradOptimizer(0.05).minimize(loss, global_step=step)
        saver = v1.train.Saver(sharded=True, max_to_keep=5, save_relative_paths=True)
        init = v1.global_variables_initializer()
    out.mkdir(parents=True, exist_ok=True)
    v1.train.write_graph(g.as_graph_def(add_shapes=True), str(out), "graph.pbtxt")
    xs, ys = _batch(np, (4, 5), 3, 5)
    with v1.Session(graph=g) as sess:
        sess.run(init)
        for _ in range(2):
            for _ in range(2):
                sess.run(train, {x: xs, y: ys})
            saver.save(sess, str(out / "model.ckpt"), global_step=step)
    return out


def _lstm_clip(out: Path, embed: bool) -> Path:
    import numpy as np

    tf = _tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    rng = np.random.default_rng(6)
    with g.as_default():
        if embed:
            ids = v1.placeholder(tf.int64, [None, 4], name="tokens")
            table = v1.get_variable(
                "embedding", [7, 3], initializer=v1.random_normal_initializer(0, 0.5, 7)
            )
            x, xs = tf.nn.embedding_lookup(table, ids), rng.integers(0, 7, (4, 4))
        else:
            x = v1.placeholder(tf.float32, [None, 4, 3], name="x")
            ids, xs = x, rng.normal(size=(4, 4, 3)).astype("float32")
        y = v1.placeholder(tf.int64, [None], name="labels")
        cell = v1.nn.rnn_cell.LSTMCell(5, initializer=v1.glorot_uniform_initializer(seed=8))
        h, _ = v1.nn.dynamic_rnn(cell, x, dtype=tf.float32)
        loss = v1.losses.sparse_softmax_cross_entropy(y, _dense(tf, h[:, -1], 5, 3, "logits", 9))
        step = v1.train.get_or_create_global_step()
        tvars = v1.trainable_variables()
        grads, _ = tf.clip_by_global_norm(tf.gradients(loss, tvars), 0.1)  # active: norm ~0.26
        opt = v1.train.RMSPropOptimizer(0.01, momentum=0.5)
        train = opt.apply_gradients(zip(grads, tvars), global_step=step)
    return _train(tf, g, out, train, {ids: xs, y: rng.integers(0, 3, 4)}, 2)


def build_lstm_rmsprop_clip(out: Path) -> Path:
    return _lstm_clip(out, embed=False)


def build_embedding_lstm_rmsprop_clip(out: Path) -> Path:
    return _lstm_clip(out, embed=True)


BUILDERS = {name: globals()[f"build_{name}"] for name in NAMES}


def build_train_fixtures(
    root: str | os.PathLike[str], names: Sequence[str] | None = None, timeout: float = 300.0
) -> dict[str, Path]:
    """Build the checkpoints under ``root`` in one child process; name -> checkpoint folder."""
    root = Path(root).resolve()
    names = list(names or NAMES)
    env = {"TF_USE_LEGACY_KERAS": "1"}  # the v1 LSTMCell
    return build_in_child(
        "tests.model_builders.train_fixtures", root, names, "fixtures", timeout, env
    )


if __name__ == "__main__":
    sys.exit(child_main(BUILDERS, NAMES))
