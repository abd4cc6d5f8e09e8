"""Training graphs as TF1 scripts saved them: checkpoints with no export, built with tf.compat.v1.

Each builder writes ``<out>/<name>/model.ckpt-<step>.meta`` (+ checkpoint files and the state file),
as a training script's ``tf.compat.v1.train.Saver().save(sess, ..., global_step=step)`` does:

* ``gan``: generator and discriminator (applied twice, shared variables), two Adam optimizers,
  loss summaries; the generator's image is a bare ``Tanh`` read by the discriminator.
* ``dqn``: evaluation and target networks (the target's variables only assigned from the
  evaluation's), the action gather ``GatherNd(q_eval, a)``, an RMSProp optimizer.
* ``seq2seq``: a teacher-forced training decoder (``logits``, read by the loss with ``targets``)
  and a greedy inference decoder (a v1 ``while_loop`` feeding back its own ``ArgMax``).
* ``add_logits``: an MNIST-tutorial classifier whose logits are ``matmul + b`` (an ``Add``),
  a softmax cross-entropy loss and an accuracy metric.
* ``tfdata``: fed by ``tf.compat.v1.data`` (TFRecordDataset -> parse_single_example -> batch,
  one-shot iterator); ``IteratorGetNext`` gives the features and the label.
* ``queue``: fed by queue runners over TFRecords (match_filenames_once, string_input_producer,
  TFRecordReader, parse_single_example, shuffle_batch).

:func:`build_training_graphs` builds them in one child process (``python -m
tests.model_builders.training_graphs OUT [NAME ...]``), which turns v1 control flow and reference
variables on for the whole process.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.model_builders.child import build_in_child, child_main

NAMES = ("gan", "dqn", "seq2seq", "add_logits", "tfdata", "queue")


def _tf() -> Any:
    import tensorflow as tf

    tf.compat.v1.disable_control_flow_v2()
    tf.compat.v1.disable_resource_variables()
    return tf


def _save(tf: Any, graph: Any, out: Path, step: int = 100, feed: Any = None) -> Path:
    """Initialise, optionally run one training step, and save as a training script does."""
    out.mkdir(parents=True, exist_ok=True)
    with graph.as_default():
        saver = tf.compat.v1.train.Saver()
        init = tf.compat.v1.global_variables_initializer()
        local = tf.compat.v1.local_variables_initializer()
    with tf.compat.v1.Session(graph=graph) as sess:
        sess.run([init, local])
        if feed is not None:
            fetches, feed_dict = feed
            sess.run(fetches, feed_dict)
        saver.save(sess, str(out / "model.ckpt"), global_step=step)
    return out


def _dense(tf: Any, x: Any, n_in: int, n_out: int, scope: str, seed: int) -> Any:
    v1 = tf.compat.v1
    with v1.variable_scope(scope, reuse=v1.AUTO_REUSE):
        w = v1.get_variable(
            "w", [n_in, n_out], initializer=v1.random_normal_initializer(0, 0.3, seed)
        )
        b = v1.get_variable("b", [n_out], initializer=v1.constant_initializer(0.1))
    return tf.matmul(x, w) + b


def build_gan(out: Path) -> Path:
    tf = _tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        z = v1.placeholder(tf.float32, [None, 16], name="noise")
        x = v1.placeholder(tf.float32, [None, 32], name="real_images")
        with v1.variable_scope("generator"):
            h = tf.nn.relu(_dense(tf, z, 16, 24, "fc1", 1))
            fake = tf.tanh(_dense(tf, h, 24, 32, "fc2", 2))  # a bare Tanh: generator/Tanh

        def discriminator(inp: Any) -> Any:
            with v1.variable_scope("discriminator", reuse=v1.AUTO_REUSE):
                d = tf.nn.relu(_dense(tf, inp, 32, 12, "fc1", 3))
                return tf.sigmoid(_dense(tf, d, 12, 1, "fc2", 4))

        d_real, d_fake = discriminator(x), discriminator(fake)
        d_loss = -tf.reduce_mean(tf.math.log(d_real) + tf.math.log(1.0 - d_fake))
        g_loss = -tf.reduce_mean(tf.math.log(d_fake))
        v1.summary.scalar("D_loss", d_loss)
        v1.summary.scalar("G_loss", g_loss)
        v1.summary.merge_all()
        d_vars = [v for v in v1.trainable_variables() if v.name.startswith("discriminator")]
        g_vars = [v for v in v1.trainable_variables() if v.name.startswith("generator")]
        d_train = v1.train.AdamOptimizer(1e-3).minimize(d_loss, var_list=d_vars)
        g_train = v1.train.AdamOptimizer(1e-3).minimize(g_loss, var_list=g_vars)
    import numpy as np

    rng = np.random.default_rng(0)
    feed = {z: rng.normal(size=(4, 16)), x: rng.uniform(-1, 1, size=(4, 32))}
    return _save(tf, g, out, feed=([d_train, g_train], feed))


def build_dqn(out: Path) -> Path:
    tf = _tf()
    v1 = tf.compat.v1
    n_features, n_actions = 6, 4
    g = tf.Graph()
    with g.as_default():
        s = v1.placeholder(tf.float32, [None, n_features], name="s")
        s_ = v1.placeholder(tf.float32, [None, n_features], name="s_")
        r = v1.placeholder(tf.float32, [None], name="r")
        a = v1.placeholder(tf.int32, [None], name="a")
        with v1.variable_scope("eval_net"):
            e1 = tf.nn.relu(_dense(tf, s, n_features, 20, "l1", 1))
            q_eval = _dense(tf, e1, 20, n_actions, "q", 2)  # eval_net/q/add
        with v1.variable_scope("target_net"):
            t1 = tf.nn.relu(_dense(tf, s_, n_features, 20, "t1", 3))
            q_next = _dense(tf, t1, 20, n_actions, "t2", 4)  # target_net/t2/add
        with v1.variable_scope("q_target"):
            q_target = tf.stop_gradient(r + 0.9 * tf.reduce_max(q_next, axis=1, name="Qmax_s_"))
        with v1.variable_scope("q_eval"):
            a_indices = tf.stack([tf.range(tf.shape(a)[0], dtype=tf.int32), a], axis=1)
            q_eval_wrt_a = tf.gather_nd(params=q_eval, indices=a_indices)
        with v1.variable_scope("loss"):
            loss = tf.reduce_mean(tf.math.squared_difference(q_target, q_eval_wrt_a))
        with v1.variable_scope("train"):
            e_params = v1.get_collection(v1.GraphKeys.GLOBAL_VARIABLES, scope="eval_net")
            train = v1.train.RMSPropOptimizer(0.01).minimize(loss, var_list=e_params)
        t_params = v1.get_collection(v1.GraphKeys.GLOBAL_VARIABLES, scope="target_net")
        with v1.variable_scope("soft_replacement"):
            replace = [v1.assign(t, e) for t, e in zip(t_params, e_params)]
    import numpy as np

    rng = np.random.default_rng(0)
    feed = {s: rng.normal(size=(5, 6)), s_: rng.normal(size=(5, 6)), r: rng.normal(size=5)}
    feed[a] = rng.integers(0, n_actions, size=5)
    return _save(tf, g, out, feed=([train, replace], feed))


def build_seq2seq(out: Path) -> Path:
    tf = _tf()
    v1 = tf.compat.v1
    vocab, emb, hid, steps, max_out = 12, 6, 8, 5, 7
    go, eos = 1, 2
    g = tf.Graph()
    with g.as_default():
        source = v1.placeholder(tf.int32, [None, steps], name="source_ids")
        targets = v1.placeholder(tf.int32, [None, steps], name="targets")
        lr = v1.placeholder(tf.float32, name="learning_rate")
        init = v1.random_normal_initializer(0, 0.3, 5)
        enc_emb = v1.get_variable("encoder/embeddings", [vocab, emb], initializer=init)
        dec_emb = v1.get_variable("decoder/embeddings", [vocab, emb], initializer=init)

        def cell(x: Any, h: Any, scope: str) -> Any:
            with v1.variable_scope(scope, reuse=v1.AUTO_REUSE):
                w = v1.get_variable("w", [emb + hid, hid], initializer=init)
                b = v1.get_variable("b", [hid], initializer=v1.zeros_initializer())
            return tf.tanh(tf.matmul(tf.concat([x, h], 1), w) + b)

        def project(h: Any) -> Any:
            with v1.variable_scope("projection", reuse=v1.AUTO_REUSE):
                w = v1.get_variable("w", [hid, vocab], initializer=init)
                b = v1.get_variable("b", [vocab], initializer=v1.zeros_initializer())
            return tf.matmul(h, w) + b

        batch = tf.shape(source)[0]
        h = tf.zeros([batch, hid])
        src = tf.nn.embedding_lookup(enc_emb, source)
        for t in range(steps):  # the encoder, unrolled
            h = cell(src[:, t], h, "encoder/cell")
        state = h
        with v1.name_scope("train_decoder"):  # teacher forcing: the targets, shifted, go in
            dec_in = tf.concat([tf.fill([batch, 1], go), targets[:, :-1]], 1)
            x_in = tf.nn.embedding_lookup(dec_emb, dec_in)
            hs, hd = [], state
            for t in range(steps):
                hd = cell(x_in[:, t], hd, "decoder/cell")
                hs.append(project(hd))
        logits = tf.identity(tf.stack(hs, axis=1), name="logits")
        with v1.name_scope("infer_decoder"):  # greedy: each step's ArgMax is the next input
            start = tf.fill([batch], go)
            ta = tf.TensorArray(tf.int32, size=max_out)

            def body(i: Any, prev: Any, hd: Any, ta: Any) -> Any:
                hd = cell(tf.nn.embedding_lookup(dec_emb, prev), hd, "decoder/cell")
                ids = tf.argmax(project(hd), axis=1, output_type=tf.int32)
                return i + 1, ids, hd, ta.write(i, ids)

            _, _, _, ta = v1.while_loop(
                lambda i, *_: i < max_out, body, [tf.constant(0), start, state, ta]
            )
        tf.identity(tf.transpose(ta.stack()), name="sample_ids")
        with v1.name_scope("optimization"):
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=targets, logits=logits)
            )
            train = v1.train.AdamOptimizer(lr).minimize(loss)
        del eos
    import numpy as np

    rng = np.random.default_rng(0)
    feed = {source: rng.integers(0, vocab, (3, steps)), targets: rng.integers(0, vocab, (3, steps))}
    feed[lr] = 1e-3
    return _save(tf, g, out, feed=([train], feed))


def build_add_logits(out: Path) -> Path:
    tf = _tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 20])
        y_ = v1.placeholder(tf.float32, [None, 5])
        w = v1.Variable(tf.zeros([20, 5]))
        b = v1.Variable(tf.zeros([5]))
        y = tf.matmul(x, w) + b  # the logits: a bare Add
        cross_entropy = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y_, logits=y))
        train = v1.train.GradientDescentOptimizer(0.5).minimize(cross_entropy)
        correct = tf.equal(tf.argmax(y, 1), tf.argmax(y_, 1))
        tf.reduce_mean(tf.cast(correct, tf.float32))
    import numpy as np

    rng = np.random.default_rng(0)
    feed = {x: rng.normal(size=(4, 20)), y_: np.eye(5)[rng.integers(0, 5, 4)]}
    return _save(tf, g, out, feed=([train], feed))


def _write_records(tf: Any, path: Path, n: int = 16) -> Path:
    import numpy as np

    rng = np.random.default_rng(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tf.io.TFRecordWriter(str(path)) as w:
        for _ in range(n):
            ex = tf.train.Example(
                features=tf.train.Features(
                    feature={
                        "pixels": tf.train.Feature(
                            float_list=tf.train.FloatList(value=rng.normal(size=8).tolist())
                        ),
                        "age": tf.train.Feature(
                            float_list=tf.train.FloatList(value=[float(rng.uniform(0, 90))])
                        ),
                        "label": tf.train.Feature(
                            int64_list=tf.train.Int64List(value=[int(rng.integers(0, 3))])
                        ),
                    }
                )
            )
            w.write(ex.SerializeToString())
    return path


_FEATURES = {"pixels": ([8], "float32"), "age": ([1], "float32"), "label": ([], "int64")}


def _spec(tf: Any) -> dict[str, Any]:
    return {
        k: tf.io.FixedLenFeature(shape, getattr(tf, dtype))
        for k, (shape, dtype) in _FEATURES.items()
    }


def _classifier(tf: Any, pixels: Any, age: Any, label: Any) -> tuple[Any, Any]:
    v1 = tf.compat.v1
    x = tf.concat([pixels, age / 90.0], 1)
    hidden = tf.nn.relu(_dense(tf, x, 9, 10, "dnn/hiddenlayer_0", 1))
    logits = _dense(tf, hidden, 10, 3, "dnn/logits", 2)
    probs = tf.nn.softmax(logits, name="probabilities")
    loss = v1.losses.sparse_softmax_cross_entropy(labels=label, logits=logits)
    step = v1.train.get_or_create_global_step()
    train = v1.train.AdagradOptimizer(0.1).minimize(loss, global_step=step)
    return probs, train


def build_tfdata(out: Path) -> Path:
    tf = _tf()
    v1 = tf.compat.v1
    records = _write_records(tf, out / "data" / "train.tfrecord")
    g = tf.Graph()
    with g.as_default():
        spec = _spec(tf)
        ds = tf.data.TFRecordDataset([str(records)])
        ds = ds.map(lambda s: v1.parse_single_example(s, spec)).batch(4).repeat()
        features = v1.data.make_one_shot_iterator(ds).get_next()
        label = features.pop("label")
        _, train = _classifier(tf, features["pixels"], features["age"], label)
    return _save(tf, g, out, step=20, feed=([train], {}))


def build_queue(out: Path) -> Path:
    tf = _tf()
    v1 = tf.compat.v1
    records = _write_records(tf, out / "data" / "train-00000.tfrecord")
    g = tf.Graph()
    with g.as_default():
        files = v1.train.match_filenames_once(str(out / "data" / "train-*.tfrecord"))
        queue = v1.train.string_input_producer(files, shuffle=False)
        _, serialized = v1.TFRecordReader().read(queue)
        parsed = v1.parse_single_example(serialized, _spec(tf))
        pixels, age, label = v1.train.shuffle_batch(
            [parsed["pixels"], parsed["age"], parsed["label"]],
            batch_size=4,
            capacity=32,
            min_after_dequeue=4,
        )
        _, train = _classifier(tf, pixels, age, label)
    del records
    import numpy as np

    rng = np.random.default_rng(0)  # a training step fed directly (no queue runners started)
    feed = {pixels: rng.normal(size=(4, 8)), age: rng.uniform(0, 90, (4, 1)), label: [0, 1, 2, 0]}
    return _save(tf, g, out, step=30, feed=([train], feed))


BUILDERS = {
    "gan": build_gan,
    "dqn": build_dqn,
    "seq2seq": build_seq2seq,
    "add_logits": build_add_logits,
    "tfdata": build_tfdata,
    "queue": build_queue,
}


def build_training_graphs(
    root: str | os.PathLike[str], names: Sequence[str] | None = None, timeout: float = 300.0
) -> dict[str, Path]:
    """Build training checkpoints under ``root`` (one folder each) in one child process.

    Returns:
        name -> the checkpoint folder (what ``explorer.load`` takes).

    Raises:
        ValueError: an unknown name. ExplorerError: the child process failed (its last line).
    """
    names = list(names or NAMES)
    unknown = [n for n in names if n not in BUILDERS]
    if unknown:
        raise ValueError(f"unknown training graphs {unknown}: choose from {', '.join(NAMES)}")
    root = Path(root).resolve()
    return build_in_child(
        "tests.model_builders.training_graphs", root, names, "training graphs", timeout
    )


if __name__ == "__main__":
    sys.exit(child_main(BUILDERS, NAMES))
