"""Models whose parity verdict needs a reason (issue 25), built with tf.compat.v1:

* ``folded_bn``: a frozen conv + batch-norm graph, then folded as ``optimize_for_inference`` does:
  each ``FusedBatchNorm`` node becomes an ``Add`` (conv * scale + offset, the scale folded into
  the conv weights) that keeps its old name and its stale 5-entry ``_output_shapes``.
* ``dropout_ckpt``: a checkpoint (``.meta`` + variables + state file) of a classifier
  (``features``, ``class_bias`` -> ``probs``) with dropout baked in (``rate=0.5``, no switch): v1
  disagrees with itself, parity is nondeterministic until randomness is pinned.

:func:`build_verdicts` builds them in one child process (``python -m tests.model_builders.verdicts
OUT [NAME ...]``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.model_builders.child import build_in_child, child_main

NAMES = ("folded_bn", "dropout_ckpt")


def _const(shape: tuple[int, ...], seed: int, scale: float = 0.5) -> Any:
    import numpy as np

    return np.random.default_rng(seed).normal(0, scale, shape).astype(np.float32)


def _fold(tf: Any, frozen: Any) -> Any:
    """``frozen`` with each FusedBatchNorm(conv(x, w)) replaced by Add(conv(x, w * s), b) under
    the batch norm's name, its attributes (``_output_shapes`` included) left as they were."""
    import numpy as np
    from tensorflow.python.framework import tensor_util

    nodes = {n.name: n for n in frozen.node}

    def const(name: str) -> Any:  # through the Identity reads freezing leaves
        node = nodes[name.split(":")[0]]
        return const(node.input[0]) if node.op == "Identity" else node

    def value(name: str) -> Any:
        return tensor_util.MakeNdarray(const(name).attr["value"].tensor)

    out = tf.compat.v1.GraphDef()
    for node in frozen.node:
        if node.op.startswith("FusedBatchNorm"):
            conv = nodes[node.input[0]]
            gamma, beta, mean, var = (value(n) for n in node.input[1:5])
            scale = gamma / np.sqrt(var + node.attr["epsilon"].f)
            weights = const(conv.input[1])
            folded = value(weights.name) * scale
            weights.attr["value"].tensor.CopyFrom(tensor_util.make_tensor_proto(folded))
            bias = out.node.add(name=f"{node.name}/folded_offset", op="Const")
            bias.attr["dtype"].type = 1
            offset = (beta - mean * scale).astype(np.float32)
            bias.attr["value"].tensor.CopyFrom(tensor_util.make_tensor_proto(offset))
            add = out.node.add()
            add.CopyFrom(node)  # the name and the stale _output_shapes (5 entries) stay
            add.op = "Add"
            del add.attr["_output_shapes"].list.shape[5:]  # as TF1's FusedBatchNorm wrote it
            del add.input[:]
            add.input.extend([conv.name, bias.name])
            for attr in ("epsilon", "is_training", "data_format", "U", "exponential_avg_factor"):
                if attr in add.attr:
                    del add.attr[attr]
        else:
            out.node.add().CopyFrom(node)
    used = {i.split(":")[0].lstrip("^") for n in out.node for i in n.input}
    keep = [n for n in out.node if n.name in used or n.op not in ("Const", "Identity")]
    del out.node[:]
    out.node.extend(keep)
    return out


def build_folded_bn(out: Path) -> Path:
    import tensorflow as tf

    v1, g = tf.compat.v1, tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 8, 8, 3], name="image")
        h = x
        for i in (1, 2):
            with v1.variable_scope(f"block{i}"):
                w = v1.get_variable("weights", initializer=_const((3, 3, h.shape[-1], 4), i))
                h = tf.nn.conv2d(h, w, 1, "SAME", name="Conv2D")
                stats = [_const((4,), 10 + i + k, 0.3) for k in range(4)]
                gamma, beta, mean, var = stats[0] + 1, stats[1], stats[2], abs(stats[3]) + 0.5
                h, _, _ = v1.nn.fused_batch_norm(
                    h, gamma, beta, mean, var, is_training=False, name="BatchNorm/FusedBatchNorm"
                )
                h = tf.nn.relu6(h, name="Relu6")
        tf.reduce_mean(h, [1, 2], name="logits")
        init = v1.global_variables_initializer()
    with v1.Session(graph=g) as sess:
        sess.run(init)
        gd = g.as_graph_def(add_shapes=True)
        frozen = v1.graph_util.convert_variables_to_constants(sess, gd, ["logits"])
    out.mkdir(parents=True, exist_ok=True)
    tf.io.write_graph(_fold(tf, frozen), str(out), "folded.pb", as_text=False)
    return out / "folded.pb"


def build_dropout_ckpt(out: Path) -> Path:
    import tensorflow as tf

    v1, g = tf.compat.v1, tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 6], name="features")
        w1 = v1.Variable(_const((6, 64), 1), name="fc1/weights")  # wide: v1 never agrees by chance
        h = tf.nn.relu(tf.matmul(x, w1), name="fc1/Relu")
        h = v1.nn.dropout(h, rate=0.5, name="dropout")  # baked in: no keep_prob to feed
        w2 = v1.Variable(_const((64, 3), 2), name="logits/weights")
        bias = v1.placeholder(tf.float32, [None, 3], name="class_bias")  # a second input
        tf.nn.softmax(tf.matmul(h, w2) + bias, name="probs")
        saver = v1.train.Saver()
        init = v1.global_variables_initializer()
    out.mkdir(parents=True, exist_ok=True)
    with v1.Session(graph=g) as sess:
        sess.run(init)
        saver.save(sess, str(out / "model.ckpt"))
    return out


BUILDERS = {"folded_bn": build_folded_bn, "dropout_ckpt": build_dropout_ckpt}


def build_verdicts(
    root: Path, names: Sequence[str] = NAMES, timeout: float = 300.0
) -> dict[str, Path]:
    """Build ``names`` under ``root`` in one child process: name -> what ``explorer.load`` takes."""
    root = Path(root).resolve()
    return build_in_child("tests.model_builders.verdicts", root, names, "verdict models", timeout)


if __name__ == "__main__":
    sys.exit(child_main(BUILDERS, NAMES))
