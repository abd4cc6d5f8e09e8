"""Probing free dims with TensorFlow's own shape inference: fixed sizes, ties, bounded rounds."""

from __future__ import annotations

import numpy as np


def _importer(build):
    """``shapes -> tf.Graph`` importing ``build``'s GraphDef with placeholder shapes replaced."""
    import tensorflow as tf

    g = tf.Graph()
    with g.as_default():
        build(tf, tf.compat.v1)
    gd = g.as_graph_def()

    def import_graph(shapes):
        copy = type(gd)()
        copy.CopyFrom(gd)
        for node in copy.node:
            if node.name in shapes:
                s = node.attr["shape"].shape
                del s.dim[:]
                for d in shapes[node.name]:
                    s.dim.add().size = -1 if d is None else d
        out = tf.Graph()
        with out.as_default():
            tf.compat.v1.import_graph_def(copy, name="")
        return out

    return import_graph


def test_probe_fixes_a_batch_and_ties_two_inputs():
    from explorer.feeding.shape_inference import probe

    def build(tf, v1):
        a = v1.placeholder(tf.float32, [None, 2], name="a")
        b = v1.placeholder(tf.float32, [None, 2], name="b")
        c = tf.concat([a + b, tf.tile(tf.constant([[0.0, 1.0]]), [5, 1])], axis=1)
        tf.identity(c, name="y")

    res = probe(_importer(build), {"a": (None, 2), "b": (None, 2)})
    assert res.fixed[("a", 0)][0] == 5 and res.fixed[("b", 0)][0] == 5
    assert "ConcatV2 'concat' needs it" in res.fixed[("a", 0)][1]
    assert res.graph is not None and res.stopped == ""


def test_probe_leaves_free_dims_free_and_stops_on_other_errors():
    from explorer.feeding.shape_inference import probe

    def build(tf, v1):
        x = v1.placeholder(tf.float32, [None, 3], name="x")
        tf.matmul(x, tf.constant(np.ones((3, 1), np.float32)), name="y")

    res = probe(_importer(build), {"x": (None, 3)})
    assert res.fixed == {} and res.ties == {} and res.rounds == 1

    def refuse(shapes):
        raise ValueError("Shape must be rank 2 but is rank 3")

    res = probe(refuse, {"x": (None, 3)})
    assert res.fixed == {} and "rank 2" in res.stopped


def test_probe_sizes_respect_a_reshape_scale():
    """A [?] input reshaped to [-1, 4] is probed with a multiple of 4, so the Reshape imports and
    the Tile deeper down fixes it at 5 rows of 4."""
    from explorer.feeding.shape_inference import probe

    def build(tf, v1):
        x = v1.placeholder(tf.float32, [None], name="x")
        rows = tf.reshape(x, [-1, 4])
        tf.identity(rows + tf.tile(tf.constant([[1.0, 2.0, 3.0, 4.0]]), [5, 1]), name="y")

    res = probe(_importer(build), {"x": (None,)}, scales={("x", 0): 4})
    assert res.fixed[("x", 0)][0] == 20
