"""Small TF1 example models the notebooks open; builders return the path to load."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from explorer._tf import tf as tf_module

MLP_SIZES = (4, 8, 3)  # input features, hidden units, classes


def mlp_weights(seed: int = 0) -> dict[str, np.ndarray]:
    """The MLP's weights by variable name (float32)."""
    rng = np.random.default_rng(seed)
    n_in, n_hidden, n_out = MLP_SIZES
    return {
        "dense/kernel": rng.normal(0, 0.5, (n_in, n_hidden)).astype(np.float32),
        "dense/bias": rng.normal(0, 0.1, (n_hidden,)).astype(np.float32),
        "logits/kernel": rng.normal(0, 0.5, (n_hidden, n_out)).astype(np.float32),
        "logits/bias": rng.normal(0, 0.1, (n_out,)).astype(np.float32),
    }


def mlp_reference(x: np.ndarray, seed: int = 0) -> np.ndarray:
    """``probs`` of the example MLP for input ``x`` [batch, 4], computed in numpy."""
    w = mlp_weights(seed)
    h = np.maximum(x @ w["dense/kernel"] + w["dense/bias"], 0)
    logits = h @ w["logits/kernel"] + w["logits/bias"]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def vocabulary_init(path: Path) -> Any:
    """A v1 lookup-table initializer: each line of the file ``path`` -> its line number."""
    tf = tf_module()
    lines = tf.compat.v1.lookup.TextFileIndex
    return tf.compat.v1.lookup.TextFileInitializer(
        str(path), tf.string, lines.WHOLE_LINE, tf.int64, lines.LINE_NUMBER
    )


@contextlib.contextmanager
def mlp_session(seed: int = 0) -> Iterator[tuple[Any, dict[str, Any]]]:
    """A v1 session on the example MLP (x[None,4] -> probs[None,3], ref variables), initialised;
    yields it and its tensors ``x``, ``logits`` and ``probs``."""
    tf = tf_module()
    v1 = tf.compat.v1
    w = mlp_weights(seed)
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, MLP_SIZES[0]], name="x")
        keep_prob = v1.placeholder_with_default(1.0, [], name="keep_prob")
        var = {name: v1.Variable(value, name=name, use_resource=False) for name, value in w.items()}
        h = tf.nn.relu(tf.matmul(x, var["dense/kernel"]) + var["dense/bias"], name="dense/Relu")
        h = v1.nn.dropout(h, rate=1.0 - keep_prob, name="dropout")
        logits = tf.add(
            tf.matmul(h, var["logits/kernel"]), var["logits/bias"], name="logits/BiasAdd"
        )
        probs = tf.nn.softmax(logits, name="probs")
        init = v1.global_variables_initializer()
    with v1.Session(graph=g) as sess:
        sess.run(init)
        yield sess, {"x": x, "logits": logits, "probs": probs}


EXAMPLE_FORMATS = ("saved_model", "frozen_pb", "checkpoint_v2", "checkpoint_v1")


def build_mlp(out_dir: str | os.PathLike[str], fmt: str = "saved_model", seed: int = 0) -> Path:
    """Write the example MLP as a SavedModel (tag ``serve``, signature ``serving_default``), or
    with ``fmt`` ``frozen_pb`` as ``OUT_DIR/frozen.pb``, ``checkpoint_v2``/``checkpoint_v1`` as
    ``OUT_DIR/model.meta`` and its checkpoint (what the notebooks open; the tests build more)."""
    tf = tf_module()
    v1 = tf.compat.v1
    if fmt not in EXAMPLE_FORMATS:
        raise ValueError(f"unknown format {fmt!r}: choose one of {', '.join(EXAMPLE_FORMATS)}")
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    with mlp_session(seed) as (sess, t):
        if fmt == "frozen_pb":
            frozen = v1.graph_util.convert_variables_to_constants(
                sess, sess.graph.as_graph_def(), ["probs", "logits/BiasAdd"]
            )
            tf.io.write_graph(frozen, str(out), "frozen.pb", as_text=False)
            return out / "frozen.pb"
        if fmt.startswith("checkpoint"):
            out.mkdir(parents=True, exist_ok=True)
            version = v1.train.SaverDef.V2 if fmt == "checkpoint_v2" else v1.train.SaverDef.V1
            with sess.graph.as_default():
                saver = v1.train.Saver(write_version=version)
            return Path(saver.save(sess, str(out / "model")) + ".meta")
        builder = v1.saved_model.Builder(str(out))
        sig = v1.saved_model.predict_signature_def(
            inputs={"x": t["x"]}, outputs={"probs": t["probs"], "logits": t["logits"]}
        )
        builder.add_meta_graph_and_variables(
            sess, ["serve"], signature_def_map={"serving_default": sig}
        )
        builder.save()
    return out


def build_example_parser_model(
    out_dir: str | os.PathLike[str], vocab: tuple[str, ...] = ("red", "green", "blue")
) -> Path:
    """Write an Estimator-style SavedModel parsing ``tf.Example`` protos (``x``, ``n``, ``color``
    looked up in the asset ``colors.txt``, ``ids``); signatures predict, regress and classify."""
    tf = tf_module()
    v1 = tf.compat.v1
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    vocab_dir = tempfile.TemporaryDirectory(prefix="tf1-vocab-")  # copied into assets/ on save
    vocab_file = Path(vocab_dir.name) / "colors.txt"
    vocab_file.write_text("".join(f"{c}\n" for c in vocab))
    g = tf.Graph()
    with g.as_default():
        serialized = v1.placeholder(tf.string, [None], name="input_example_tensor")
        spec = {
            "x": tf.io.FixedLenFeature([2], tf.float32),
            "n": tf.io.FixedLenFeature([1], tf.int64, default_value=[0]),
            "color": tf.io.FixedLenFeature([1], tf.string, default_value=[""]),
            "ids": tf.io.VarLenFeature(tf.int64),
        }
        f = tf.io.parse_example(serialized, spec)
        table = v1.lookup.StaticHashTable(vocabulary_init(vocab_file), default_value=-1)
        color_id = tf.identity(table.lookup(f["color"]), name="color_id")  # [batch, 1]
        w = v1.Variable([[0.5], [-0.25]], name="w", use_resource=False)
        b = v1.Variable([1.0], name="b", use_resource=False)
        ids_sum = tf.sparse.reduce_sum(f["ids"], axis=1, keepdims=True)
        y = tf.add_n(
            [
                tf.matmul(f["x"], w),
                0.1 * tf.cast(f["n"], tf.float32),
                tf.cast(color_id, tf.float32),
                0.01 * tf.cast(ids_sum, tf.float32),
                b * tf.ones_like(tf.cast(f["n"], tf.float32)),
            ],
            name="y",
        )
        p = tf.sigmoid(y)
        scores = tf.concat([p, 1.0 - p], axis=1, name="scores")
        classes = tf.tile(tf.constant([["pos", "neg"]]), [tf.shape(y)[0], 1], name="classes")
        init = v1.global_variables_initializer()
        sig = v1.saved_model.signature_def_utils
        predict = sig.predict_signature_def(
            {"examples": serialized}, {"y": y, "color_id": color_id}
        )
        signatures = {
            "serving_default": predict,
            "predict": predict,
            "regress": sig.regression_signature_def(serialized, y),
            "classify": sig.classification_signature_def(serialized, classes, scores),
        }
        with v1.Session(graph=g) as sess:
            sess.run(init)
            builder = v1.saved_model.Builder(str(out))
            builder.add_meta_graph_and_variables(
                sess,
                ["serve"],
                signature_def_map=signatures,
                assets_collection=g.get_collection(v1.GraphKeys.ASSET_FILEPATHS),
                main_op=v1.tables_initializer(),
            )
            builder.save()
    vocab_dir.cleanup()
    return out


def build_training_mlp(out_dir: str | os.PathLike[str], steps: int = 3, seed: int = 0) -> Path:
    """Write an MLP's TF1 training checkpoint (``x``, ``labels``; Adam on a decay, global step)
    after ``steps`` steps as ``model.ckpt-<steps>``, their losses in ``tf1_losses.json``."""
    tf = tf_module()
    v1 = tf.compat.v1
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    xs, ys = rng.normal(size=(4, 6)).astype("float32"), rng.integers(0, 3, 4)
    g = tf.Graph()
    with g.as_default(), v1.variable_scope(v1.get_variable_scope(), use_resource=False):
        x = v1.placeholder(tf.float32, [None, 6], name="x")
        y = v1.placeholder(tf.int64, [None], name="labels")
        h = x
        for i, n in enumerate((8, 3)):
            with v1.variable_scope(f"dense_{i}"):
                w = v1.get_variable(
                    "w", [h.shape[-1], n], initializer=v1.random_normal_initializer(0, 0.3, i + 1)
                )
                b = v1.get_variable("b", [n], initializer=v1.constant_initializer(0.1))
            h = tf.matmul(h, w) + b
            h = tf.nn.relu(h) if i == 0 else h
        loss = v1.losses.sparse_softmax_cross_entropy(y, h)
        step = v1.train.get_or_create_global_step()
        lr = v1.train.exponential_decay(0.01, step, 2, 0.9)
        train = v1.train.AdamOptimizer(lr, epsilon=1e-6).minimize(loss, global_step=step)
        saver = v1.train.Saver()
        init = v1.global_variables_initializer()
    with v1.Session(graph=g) as sess:
        sess.run(init)
        losses = [float(sess.run([loss, train], {x: xs, y: ys})[0]) for _ in range(steps)]
        saver.save(sess, str(out / "model.ckpt"), global_step=steps)
    (out / "tf1_losses.json").write_text(json.dumps(losses) + "\n")
    return out
