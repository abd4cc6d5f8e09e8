"""Input shape inference: each class of graph that says what it needs, fed and run for real."""

from __future__ import annotations

import pytest

import explorer
from explorer.errors import FeedError, SessionError
from explorer.feeding.shape_inference import infer_shapes
from explorer.running.v1_runner import V1Runner
from tests.shared_models import MODELS

from . import shape_models


def _run(path, inputs, outputs, **sample_kwargs):
    """Sample feeds for ``inputs`` and run ``outputs``: (feeds, outputs)."""
    runner = V1Runner(explorer.load(path), inputs=inputs, outputs=outputs)
    feeds = runner.sample(**sample_kwargs)
    with runner:
        return feeds, runner.infer(feeds)


def _reasons(feeds, key: str) -> str:
    return " ".join(feeds.shapes[key]["reasons"])


def test_reshape_to_a_constant_gives_the_unshaped_input_its_shape(tmp_path):
    path, ins, outs = shape_models.reshaped(tmp_path)
    feeds, out = _run(path, ins, outs)
    assert feeds["x:0"].shape == (1, 784)
    assert out["y:0"].shape == (1, 3)
    assert "784: Reshape 'model/Reshape' reshapes it to [-1, 784]" in _reasons(feeds, "x:0")
    assert any("784: Reshape" in n for n in feeds.notes)


def test_matmul_weight_and_bias_give_the_inner_dim(tmp_path):
    path, ins, outs = shape_models.multiplied(tmp_path)
    feeds, out = _run(path, ins, outs, batch=3)
    assert feeds["x:0"].shape == (3, 5) and out["y:0"].shape == (3, 2)
    assert "dim 1 = 5: BatchMatMulV2 'MatMul' multiplies it by w [5, 2]" in _reasons(feeds, "x:0")


def test_conv2d_filter_gives_channels_and_a_large_enough_image(tmp_path):
    path, ins, outs = shape_models.convolved(tmp_path)
    feeds, out = _run(path, ins, outs)
    assert feeds["image:0"].shape == (1, 224, 224, 4)  # rank 4 and 4 channels from the conv
    assert out["y:0"].shape == (1, 2)
    assert "dim 3 = 4: the input channels: Conv2D 'conv'" in _reasons(feeds, "image:0")
    assert "dim 1 = 224: a common image size" in _reasons(feeds, "image:0")


def test_broadcast_with_a_constant_and_concat_with_a_shaped_sibling(tmp_path):
    path, ins, outs = shape_models.broadcast(tmp_path)
    feeds, out = _run(path, ins, outs)
    assert feeds["a:0"].shape == (1, 6)
    assert feeds["c:0"].shape == (3, 2)  # rows from the [3, 2] sibling, the concat axis free
    assert "broadcasts it with a constant of shape [6]" in _reasons(feeds, "a:0")
    assert "ConcatV2" in _reasons(feeds, "c:0")


def test_batch_fixed_by_a_tile_deep_in_the_graph(tmp_path):
    path, ins, outs = shape_models.tiled_batch(tmp_path)
    feeds, out = _run(path, ins, outs)  # batch=1 asked; the graph needs 16
    assert feeds["x:0"].shape == (16, 3) and out["y:0"].shape == (16, 6)
    assert "16: ConcatV2" in _reasons(feeds, "x:0")
    assert "fixed by Tile 'decode/Tile' (multiples [16, 1])" in _reasons(feeds, "x:0")


def test_tensorinfo_without_shape_takes_the_placeholder_shape(tmp_path):
    path, _, _ = shape_models.no_tensorinfo_shape(tmp_path)
    model = explorer.load(path)
    assert model.signature("serving_default").inputs["x"].shape is None
    runner = V1Runner(model)
    feeds = runner.sample()
    assert feeds["x"].shape == (1, 1)
    with runner:
        assert runner.infer(feeds)["y"].shape == (1, 1)
        with pytest.raises(FeedError) as e:  # checked against the placeholder's shape
            runner.infer({"x": [1.0]})
    assert "expects shape float32[?,1], given float32[1]" in str(e.value)
    # below the runner, TensorFlow's own refusal: one line too
    with explorer.ModelSession(model) as s, pytest.raises(explorer.errors.SessionError) as e:
        s.run("y:0", {"x:0": [1.0]})
    msg = str(e.value)
    assert "x:0" in msg and "float64[1]" in msg and "--shape x:0=-1,1" in msg


def test_tf10_scalar_shape_is_read_from_its_consumers(tmp_path):
    path, ins, outs = shape_models.era_matmul(tmp_path)
    feeds, out = _run(path, ins, outs)
    assert feeds["x:0"].shape == (1, 4) and out["y:0"].shape == (1, 1)
    path, ins, outs = shape_models.decoded_wav(tmp_path)
    feeds, out = _run(path, ins, outs)
    assert feeds["wav_data:0"].shape == ()
    assert feeds["wav_data:0"].item().startswith(b"RIFF")
    assert "scalar: DecodeWav 'decoded'" in _reasons(feeds, "wav_data:0")
    assert any("TF 1.0-era shape [] is read as a real scalar" in n for n in feeds.notes)


def test_given_shapes_override_and_are_checked(tmp_path):
    path, ins, outs = shape_models.reshaped(tmp_path)
    feeds, out = _run(path, ins, outs, shapes={"x": (2, 28, 28)})
    assert feeds["x:0"].shape == (2, 28, 28) and out["y:0"].shape == (2, 3)
    path, ins, outs = shape_models.tiled_batch(tmp_path)
    runner = V1Runner(explorer.load(path), inputs=ins, outputs=outs)
    with pytest.raises(FeedError, match=r"contradicts the placeholder's \[\?, 3\]"):
        runner.sample(shapes={"x:0": (1, 4)})
    with pytest.raises(FeedError, match="not an input of this run"):
        runner.sample(shapes={"nope:0": (1,)})


def test_unshaped_inputs_without_consumer_rules_keep_unknown_rank(tmp_path):
    """No rule fires: the old behaviour (a [batch] vector) and no reasons."""
    import tensorflow as tf

    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, name="x")
        tf.identity(x * 2.0, name="y")
    gd = g.as_graph_def()
    (tmp_path / "plain.pb").write_bytes(gd.SerializeToString())
    model = explorer.load(tmp_path / "plain.pb")
    specs = {"x:0": explorer.records.TensorSpec("x:0", "float32", None)}
    inferred, notes = infer_shapes(model, specs)
    assert inferred["x:0"].dims is None and inferred["x:0"].reasons() == [] and notes == []


def test_sparse_input_densified_to_batch_by_one_gets_a_valid_dense_shape(tmp_path):
    """A tf.Transform-style var-len feature: SparseToDense to [batch, 1] takes indices inside
    [batch, 1], row-major sorted."""
    import numpy as np

    path, _, _ = shape_models.sparse_transform(tmp_path)
    runner = V1Runner(explorer.load(path))
    for seed in range(3):
        feeds = runner.sample(batch=4, seed=seed)
        sp = feeds["x"]
        assert list(sp.dense_shape) == [4, 1]
        assert (sp.indices < sp.dense_shape).all()
        assert sp.indices.tolist() == sorted(sp.indices.tolist())
        with runner:
            assert runner.infer(feeds)["y"].shape == (4,)
    assert "SparseToDense" in _reasons(feeds, "x") and np.all(sp.indices[:, 1] == 0)


@pytest.mark.slow
def _sampled_runs() -> list:
    out = []
    for shared in MODELS:
        if not shared.runs:
            continue  # needs a custom op library: refused, not fed
        marks = ()
        if shared.sampled_run_fails:
            marks = pytest.mark.xfail(
                strict=True, raises=SessionError, reason=shared.sampled_run_fails
            )
        out.append(pytest.param(shared, id=shared.name, marks=marks))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("shared", _sampled_runs())
def test_generated_feeds_of_every_shared_model_are_accepted(shared):
    """Every signature (or default and curated I/O) of every shared model runs on sampled feeds."""
    model = explorer.load(shared.path)
    runs = [{"signature": s} for s in model.signatures] or [{}]
    if shared.kind != "project":  # their curated I/O (the default choice may differ)
        runs.append({"inputs": [*shared.inputs], "outputs": [*shared.outputs]})
    for kwargs in runs:
        runner = V1Runner(model, **kwargs)
        feeds = runner.sample(seed=1)
        with runner:
            out = runner.infer(feeds)
        assert set(out) == set(runner.output_specs)


def test_a_reshaped_vector_is_probed_in_whole_rows(tmp_path):
    """x [?] reshaped to [-1, 4] and added to a [5, 4] tile: 20 values, noted with the Tile."""
    import numpy as np
    import tensorflow as tf

    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None], name="x")
        tile = tf.tile(tf.constant(np.ones((1, 4), np.float32)), [5, 1], name="rows")
        tf.identity(tf.reshape(x, [-1, 4]) + tile, name="y")
    (tmp_path / "v.pb").write_bytes(g.as_graph_def().SerializeToString())
    feeds, out = _run(tmp_path / "v.pb", ["x:0"], ["y:0"])
    assert feeds["x:0"].shape == (20,) and out["y:0"].shape == (5, 4)
    assert "fixed by Tile 'rows'" in _reasons(feeds, "x:0")
