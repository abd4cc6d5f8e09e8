"""Graphs whose outputs are hard to choose, built with tf.compat.v1 (issue 24), one per class:

* ``detector``: a frozen multi-head detector: uint8 images -> a conv head -> per-image NMS in a v1
  ``map_fn`` (a while loop with TensorArrays) -> ``detection_boxes``, ``detection_scores``,
  ``detection_classes`` and ``num_detections`` (the size of what NMS kept), the only sinks.
* ``row0``: a Keras-style frozen export that wrote ``tf.identity(model.output[0])``: the named
  output ``output_0`` is row 0 of the batch of ``dense_1/Sigmoid``.
* ``ctc``: a CTC training checkpoint: time-major logits read by ``CTCLoss`` and a
  ``CTCGreedyDecoder`` whose decoded labels ``SparseToDense`` densifies (``dense_decoded``).
* ``lstm``: a frozen LSTM classifier with dropout steered by a ``keep_prob`` placeholder (no
  default) -> ``probs``.
* ``keypoints``: a frozen MobileNetV2-style pose net: depthwise stages, two branch convs
  (heatmaps, part affinity fields) whose concat ``Openpose/concat_stage7`` is the only sink.
* ``switches``: a frozen classifier with a ``keep_prob`` placeholder (no default) and an
  ``is_training`` PlaceholderWithDefault(False) steering a v1 ``cond`` -> ``probs``.
* ``metrics``: a training checkpoint (Adam on a cross-entropy ``loss``) whose script fetches
  ``probs`` and two accuracy counts, as fije's does: ``correct`` (int64 Cast of a Sum of
  argmax(logits) == the labels ``gold``) and ``labelled`` (the int32 Sum of sign(gold)).

:func:`build_heads` builds them in one child process (``python -m tests.model_builders.heads OUT
[NAME ...]``, ``TF_USE_LEGACY_KERAS=1`` for the v1 RNN cells), which turns v1 control flow on
for the whole process.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from tests.model_builders.child import build_in_child, child_main

NAMES = ("detector", "row0", "ctc", "lstm", "keypoints", "switches", "metrics")


def _tf() -> tuple[Any, Any, Any]:
    """``(tensorflow, tf.compat.v1, a new tf.Graph)`` with v1 control flow."""
    import tensorflow as tf

    tf.compat.v1.disable_control_flow_v2()
    return tf, tf.compat.v1, tf.Graph()


def _const(tf: Any, shape: tuple[int, ...], seed: int) -> Any:
    import numpy as np

    return tf.constant(np.random.default_rng(seed).normal(0, 0.5, shape).astype(np.float32))


def _write(tf: Any, graph_def: Any, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    tf.io.write_graph(graph_def, str(out), "frozen.pb", as_text=False)
    return out / "frozen.pb"


def build_detector(out: Path) -> Path:
    tf, v1, g = _tf()
    with g.as_default():
        image = v1.placeholder(tf.uint8, [None, None, None, 3], name="image_tensor")
        x = v1.image.resize_bilinear(tf.cast(image, tf.float32) / 255.0, [8, 8])
        h = tf.nn.relu(tf.nn.conv2d(x, _const(tf, (3, 3, 3, 8), 1), [1, 2, 2, 1], "SAME"))
        n = tf.shape(h)[0]
        boxes = tf.sigmoid(
            tf.reshape(tf.nn.conv2d(h, _const(tf, (1, 1, 8, 4), 2), 1, "SAME"), [n, 16, 4])
        )
        scores = tf.sigmoid(
            tf.reshape(tf.nn.conv2d(h, _const(tf, (1, 1, 8, 3), 3), 1, "SAME"), [n, 16, 3])
        )

        def one_image(args: Any) -> Any:
            b, s = args
            best, cls = tf.reduce_max(s, axis=1), tf.argmax(s, axis=1)
            keep = tf.image.non_max_suppression(b, best, 5, iou_threshold=0.5)
            count = tf.shape(keep)[0]
            pad = 5 - count
            kept_b = tf.pad(tf.gather(b, keep), [[0, pad], [0, 0]])
            kept_s = tf.pad(tf.gather(best, keep), [[0, pad]])
            kept_c = tf.pad(tf.cast(tf.gather(cls, keep), tf.float32), [[0, pad]])
            return kept_b, kept_s, kept_c, tf.cast(count, tf.float32)

        dtypes = (tf.float32, tf.float32, tf.float32, tf.float32)
        b, s, c, k = tf.map_fn(one_image, (boxes, scores), dtype=dtypes)
        for t, name in ((b, "boxes"), (s, "scores"), (c, "classes")):
            tf.identity(t, name=f"detection_{name}")
        tf.identity(k, name="num_detections")
    return _write(tf, g.as_graph_def(), out)


def build_row0(out: Path) -> Path:
    tf, v1, g = _tf()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 4], name="input_1")
        with v1.name_scope("dense_1"):
            y = tf.sigmoid(tf.nn.bias_add(tf.matmul(x, _const(tf, (4, 2), 4)), _const(tf, (2,), 5)))
        tf.identity(y[0], name="output_0")
    return _write(tf, g.as_graph_def(), out)


def build_ctc(out: Path) -> Path:
    tf, v1, g = _tf()
    v1.disable_resource_variables()
    with g.as_default():
        feats = v1.placeholder(tf.float32, [None, 12, 5], name="inputs")
        seq_len = v1.placeholder(tf.int32, [None], name="seq_len")
        targets = v1.sparse_placeholder(tf.int32, name="targets")
        w = v1.get_variable("w", [5, 6], initializer=v1.random_normal_initializer(0, 0.3, 6))
        bias = v1.get_variable("b", [6], initializer=v1.constant_initializer(0.1))
        logits = tf.reshape(tf.matmul(tf.reshape(feats, [-1, 5]), w) + bias, [-1, 12, 6])
        time_major = tf.transpose(logits, (1, 0, 2))
        loss = tf.reduce_mean(v1.nn.ctc_loss(targets, time_major, seq_len), name="loss")
        train = v1.train.AdamOptimizer(0.01).minimize(loss)
        decoded, _ = tf.nn.ctc_greedy_decoder(time_major, seq_len)
        dense = v1.sparse_to_dense(
            decoded[0].indices, decoded[0].dense_shape, decoded[0].values, -1, name="dense_decoded"
        )
        v1.reduce_mean(tf.edit_distance(tf.cast(decoded[0], tf.int32), targets), name="ler")
        del dense, train
        saver = v1.train.Saver()
        init = v1.global_variables_initializer()
    out.mkdir(parents=True, exist_ok=True)
    with v1.Session(graph=g) as sess:
        sess.run(init)
        saver.save(sess, str(out / "model.ckpt"), global_step=1)
    return out


def _classifier(tf: Any, h: Any, n_in: int) -> Any:
    logits = tf.nn.bias_add(tf.matmul(h, _const(tf, (n_in, 3), 7)), _const(tf, (3,), 8))
    return tf.nn.softmax(logits, name="probs")


def build_lstm(out: Path) -> Path:
    tf, v1, g = _tf()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 6, 4], name="x")
        keep_prob = v1.placeholder(tf.float32, [], name="keep_prob")
        cell = v1.nn.rnn_cell.DropoutWrapper(
            v1.nn.rnn_cell.LSTMCell(8, initializer=v1.constant_initializer(0.1)),
            output_keep_prob=keep_prob,
        )
        outputs, _ = v1.nn.dynamic_rnn(cell, x, dtype=tf.float32)
        _classifier(tf, outputs[:, -1], 8)
        init = v1.global_variables_initializer()
    with v1.Session(graph=g) as sess:  # frozen, as the author's freeze script left it
        sess.run(init)
        frozen = v1.graph_util.convert_variables_to_constants(sess, g.as_graph_def(), ["probs"])
    return _write(tf, frozen, out)


def build_keypoints(out: Path) -> Path:
    tf, v1, g = _tf()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 32, 32, 3], name="image")
        h = tf.nn.relu6(tf.nn.conv2d(x, _const(tf, (3, 3, 3, 8), 10), 2, "SAME"))
        h = tf.nn.relu6(tf.nn.depthwise_conv2d(h, _const(tf, (3, 3, 8, 1), 11), [1] * 4, "SAME"))
        with v1.name_scope("Openpose"):
            branches = [
                tf.nn.bias_add(
                    tf.nn.conv2d(h, _const(tf, (1, 1, 8, n), 12 + n), 1, "SAME"),
                    _const(tf, (n,), 20 + n),
                )
                for n in (4, 6)  # heatmaps, part affinity fields
            ]
            tf.concat(branches, 3, name="concat_stage7")
    return _write(tf, g.as_graph_def(), out)


def build_switches(out: Path) -> Path:
    tf, v1, g = _tf()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 4], name="x")
        keep_prob = v1.placeholder(tf.float32, [], name="keep_prob")
        is_training = v1.placeholder_with_default(False, [], name="is_training")
        h = tf.nn.relu(tf.matmul(x, _const(tf, (4, 5), 9)))
        h = v1.cond(is_training, lambda: h * 0.5, lambda: h)
        _classifier(tf, v1.nn.dropout(h, keep_prob=keep_prob), 5)
    return _write(tf, g.as_graph_def(), out)


def build_metrics(out: Path) -> Path:
    tf, v1, g = _tf()
    v1.disable_resource_variables()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 4], name="x")
        gold = v1.placeholder(tf.int64, [None], name="gold")
        w = v1.get_variable("w", [4, 5], initializer=v1.random_normal_initializer(0, 0.5, 3))
        logits = tf.matmul(x, w)
        tf.nn.softmax(logits, name="probs")
        xent = v1.nn.sparse_softmax_cross_entropy_with_logits(labels=gold, logits=logits)
        train = v1.train.AdamOptimizer(0.01).minimize(tf.reduce_mean(xent, name="loss"))
        mask = tf.cast(tf.sign(gold), tf.int32)
        hits = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(logits, 1), gold), tf.int32) * mask)
        tf.cast(hits, tf.int64, name="correct")
        tf.reduce_sum(mask, name="labelled")
        tf.truediv(hits, tf.reduce_sum(mask))  # the float accuracy: left out
        del train
        saver, init = v1.train.Saver(), v1.global_variables_initializer()
    out.mkdir(parents=True, exist_ok=True)
    with v1.Session(graph=g) as sess:
        sess.run(init)
        saver.save(sess, str(out / "model.ckpt"))
    return out


BUILDERS = {
    "detector": build_detector,
    "row0": build_row0,
    "ctc": build_ctc,
    "lstm": build_lstm,
    "keypoints": build_keypoints,
    "switches": build_switches,
    "metrics": build_metrics,
}


def build_heads(root: Path, timeout: float = 300.0) -> dict[str, Path]:
    """Build every graph under ``root`` in one child process: name -> what ``explorer.load``
    takes."""
    root = Path(root).resolve()
    env = {"TF_USE_LEGACY_KERAS": "1"}
    return build_in_child("tests.model_builders.heads", root, NAMES, "heads", timeout, env)


if __name__ == "__main__":
    sys.exit(child_main(BUILDERS, NAMES))
