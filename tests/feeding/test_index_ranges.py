"""Integer inputs that index something: the bounds the graph puts on them, as registry rules."""

from __future__ import annotations

import numpy as np

import explorer


def test_index_bounds_follow_values_and_sampled_dims(tmp_path):
    """GatherV2 with a constant axis through Cast/Reshape, and ReverseSequence whose time dim is
    unknown in the graph (bounded by the size the sampler picks for it)."""
    import tensorflow as tf

    from explorer import load, sample
    from explorer.feeding.shape_inference import PlaceholderDim, int_input_bounds

    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        ids = v1.placeholder(tf.int32, [None], name="ids")
        lengths = v1.placeholder(tf.int64, [None], name="lengths")
        x = v1.placeholder(tf.float32, [None, None, 2], name="x")
        table = tf.constant(np.arange(12, dtype=np.float32).reshape(4, 3))
        picked = tf.gather(table, tf.reshape(tf.cast(ids, tf.int64), [-1]), axis=1)
        rev = tf.reverse_sequence(x, lengths, seq_axis=1, batch_axis=0)
        tf.identity(tf.reduce_sum(picked) + tf.reduce_sum(rev), name="y")
    bounds = int_input_bounds(g.as_graph_def(), {"ids": "ids:0", "lengths": "lengths:0"})
    bounds = {k: [b for b, _ in v] for k, v in bounds.items()}
    assert bounds == {"ids": [3], "lengths": [PlaceholderDim("x", 1, plus=1)]}
    tf.io.write_graph(g.as_graph_def(), str(tmp_path), "g.pb", as_text=False)
    model = load(tmp_path / "g.pb")
    feeds = sample(model, ["ids", "lengths", "x"], batch=300, default_dim=3)
    assert feeds["ids:0"].max() == 2 and feeds["lengths:0"].max() == 3
    with explorer.ModelSession(model) as s:  # the graph accepts them
        s.run("y:0", {k: v for k, v in feeds.items()})


def test_ctc_lengths_gather_nd_and_one_hot_stay_inside_the_graph(tmp_path):
    """Sequence lengths no longer than the CTC decoder's time dim, GatherNd indices inside a
    [1, 2] table, one-hot indices below the depth: the graph runs them."""
    from explorer.running.v1_runner import V1Runner

    from . import shape_models

    path, ins, outs = shape_models.ctc_and_gather(tmp_path)
    runner = V1Runner(explorer.load(path), inputs=ins, outputs=outs)
    feeds = runner.sample(batch=4, default_dim=3)
    assert feeds["logits:0"].shape == (4, 3, 4)  # [time, batch, classes] as sampled
    assert feeds["seq_len:0"].max() <= 4  # the time dim: lengths in [0, 5)
    assert feeds["idx:0"].shape == (4, 2) and feeds["idx:0"].max() == 0
    assert feeds["hot:0"].max() < 3
    notes = " ".join(feeds.notes)
    assert "CTCGreedyDecoder" in notes and "GatherNd" in notes
    with runner:
        out = runner.infer(feeds)
    assert out["y_gather:0"].shape == (4,)


def test_ranges_override_int_inputs(tmp_path):
    from explorer.running.v1_runner import V1Runner

    from . import shape_models

    path, ins, outs = shape_models.ctc_and_gather(tmp_path)
    feeds = V1Runner(explorer.load(path), inputs=ins, outputs=outs).sample(
        batch=50, ranges={"hot": (1, 2)}
    )
    assert set(feeds["hot:0"].tolist()) == {1}
