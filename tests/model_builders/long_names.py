"""A frozen graph whose names are long and alike (issue 25's tables): two
``inputs/preprocessing/resize_block_3/normalize/PlaceholderWithDefault[_1]`` float [1, 80, 80, 3]
inputs deep in scopes, 660 ``heads/head_<i>/softmax_scores/...`` blocks (a ``softmax_temperature``
constant each: names starting with "softmax"), a 3-way split (a dtype "float32 (+2)") and, last in
graph order, the op ``Softmax``. Built with tf.compat.v1 in this process (no control flow)."""

from __future__ import annotations

from pathlib import Path

INPUT = "inputs/preprocessing/resize_block_3/normalize/PlaceholderWithDefault_1"
HEADS = 660  # with the rest: 1,994 ops, a "2k-op graph"


def build_long_names(path: Path) -> Path:
    """Write the frozen GraphDef to ``path`` (a ``.pb``); returns it."""
    import tensorflow as tf

    tf1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        with tf1.name_scope("inputs/preprocessing/resize_block_3/normalize"):
            shape = [1, 80, 80, 3]
            x0 = tf1.placeholder_with_default(tf.zeros(shape), shape, "PlaceholderWithDefault")
            x1 = tf1.placeholder_with_default(tf.ones(shape), shape, "PlaceholderWithDefault_1")
        h = x0 + x1
        for i in range(HEADS):
            with tf1.name_scope(f"heads/head_{i}/softmax_scores"):
                h = tf.nn.relu(h * tf.constant(0.5, name="softmax_temperature"), name="Relu")
        with tf1.name_scope("heads/split"):
            part = tf.split(h, 3, axis=3)[0]
        tf.nn.softmax(tf.reduce_mean(part, axis=[1, 2]), name="Softmax")
    path.write_bytes(g.as_graph_def(add_shapes=True).SerializeToString())
    return path
