"""Helpers of the rewrite tests: small frozen TF1 graphs built here, rewritten and checked here."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import explorer


def freeze(tmp_path: Path, name: str, body) -> Path:
    """Build ``body(tf, v1, rng)`` (returns the output tensor) in a fresh ``tf.Graph`` with
    ``tf.compat.v1`` ops and constants for weights; write it as ``<name>.pb`` (output ``y:0``)."""
    import tensorflow as tf

    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        rng = np.random.default_rng(0)
        y = body(tf, v1, rng)
        tf.identity(y, name="y")
    path = tmp_path / f"{name}.pb"
    path.write_bytes(g.as_graph_def().SerializeToString())
    return path


def const(tf, rng, *shape, name=None):
    return tf.constant(rng.normal(size=shape).astype(np.float32), name=name)


def rewrite_and_run(path: Path, inputs=("x:0",), outputs=("y:0",)):
    """``to_keras`` without the fresh-process check; the model built HERE must match v1 within
    1e-5 on the rewrite's own feeds (batch 1 and 4)."""
    rw = explorer.to_keras(path, inputs=list(inputs), outputs=list(outputs), check=False)
    model = rw.build()
    for feeds, want in zip(rw._feeds, rw._expected):
        got = model(feeds, training=False)
        for key, value in want.items():
            np.testing.assert_allclose(np.asarray(got[key]), value, atol=1e-5, rtol=1e-5)
    return rw


def rules(rw) -> list[str]:
    return [r["rule"] for r in rw.layers]
