"""Feeds that exercise the model (issue 24): loop-steering scalars, realistic image sizes that
survive every op below, shapes from consumers, two rows per parity batch; the scan predicts them."""

from __future__ import annotations

import argparse

import pytest

import explorer
from explorer.comparing.parity_check import Sampled
from explorer.running.v1_runner import V1Runner
from tests.model_builders import feed_classes
from tests.shared_models import shared_model


def _run(path, inputs, outputs, batch=2):
    runner = V1Runner(explorer.load(path), inputs=inputs, outputs=outputs)
    feeds = runner.sample(batch=batch)
    with runner:
        return feeds, runner.infer(feeds)


def _notes(feeds, key):
    return " ".join(n for n in feeds.notes if n.startswith(f"{key}: "))


def test_loop_steering_scalars_are_scalars_in_a_range_the_loop_ends_on(tmp_path):
    path, ins, outs = feed_classes.pyramid(tmp_path)
    feeds, out = _run(path, ins, outs)
    assert feeds["input:0"].shape == (224, 224, 3)  # rank 3 stays rank 3: no batch added
    assert feeds["min_size:0"].shape == () and 20 <= feeds["min_size:0"] < 40
    assert feeds["factor:0"].shape == () and 0.6 <= feeds["factor:0"] < 0.8
    assert feeds["thresholds:0"].shape == (2,) and ((feeds["thresholds:0"] >= 0.5).all())
    assert out["count:0"].shape == ()
    assert "scalar: it steers LoopCond 'while/LoopCond'" in _notes(feeds, "factor:0")
    assert "a scale factor, in (0, 1)" in _notes(feeds, "factor:0")
    assert "a minimum size (named like one)" in _notes(feeds, "min_size:0")
    assert "a threshold" in _notes(feeds, "thresholds:0")
    assert "224: a common image size" in _notes(feeds, "input:0")
    found = explorer.scan(explorer.load(path)).by_rule("loop-scalar")
    assert sorted(f.nodes for f in found) == [("factor",), ("min_size",)]
    assert "LoopCond 'while/LoopCond'" in found[0].message


def test_an_unshaped_image_gets_the_size_that_survives_pads_strides_and_a_final_squeeze(tmp_path):
    path, ins, outs = feed_classes.mirror_squeezed(tmp_path)
    feeds, out = _run(path, ins, outs)
    assert feeds["image:0"].shape == (2, 22, 22, 3)  # 19-22 fit; 224 leaves a 52x52 map
    assert out["features:0"].shape == (2, 4)
    text = " ".join(feeds.shapes["image:0"]["reasons"])
    assert "22: the nearest to 224" in text and "Squeeze 'Squeeze' squeezes dim 1" in text
    assert "dim 3 = 3: the input channels" in text  # rank and channels through the MirrorPad
    (found,) = explorer.scan(explorer.load(path)).by_rule("image-size")
    assert "MirrorPad" in found.message and "22x22" in found.message


def test_a_placeholder_with_no_shape_read_by_a_strided_conv_gets_a_realistic_image(tmp_path):
    path, ins, outs = feed_classes.strided_unshaped(tmp_path)
    feeds, out = _run(path, ins, outs)
    assert feeds["pixels:0"].shape == (2, 224, 224, 3)  # rank 4 and channels from Conv2D
    assert out["logits:0"].shape == (2, 8)
    assert "224: a common image size" in _notes(feeds, "pixels:0")
    assert "the input channels: Conv2D" in _notes(feeds, "pixels:0")


def test_sampled_parity_batches_hold_two_rows():
    from explorer.cli.parity import add_parity_args, parity_kwargs

    assert Sampled().batch_size == 2
    parser = argparse.ArgumentParser()
    add_parity_args(parser)
    assert parity_kwargs(parser.parse_args([]))["source"].batch_size == 2


@pytest.mark.slow
def test_mtcnn_gets_a_rank3_image_and_loop_scalars_in_range():
    model = explorer.load(shared_model("blaueck_mtcnn_pipeline_frozen"))
    feeds = explorer.sample(model, ["input:0", "min_size:0", "thresholds:0", "factor:0"])
    assert feeds["input:0"].shape == (224, 224, 3)
    assert feeds["min_size:0"].shape == () and feeds["factor:0"].shape == ()
    assert 0 < feeds["factor:0"] < 1 and feeds["thresholds:0"].min() >= 0.5


@pytest.mark.slow
def test_minakhan_ssd_gets_the_size_its_preprocessor_resizes_to():
    model = explorer.load(shared_model("minakhan01_ssd_frozen"))
    feeds = explorer.sample(model, ["image_tensor:0"], batch=2)
    assert feeds["image_tensor:0"].shape == (2, 256, 256, 3)
    assert "ResizeBilinear" in " ".join(feeds.shapes["image_tensor:0"]["reasons"])


def test_uint8_images_get_pixels_over_the_whole_byte_range(tmp_path):
    path, ins, outs = feed_classes.byte_image(tmp_path)
    feeds, out = _run(path, ins, outs)
    pixels = feeds["image_tensor:0"]
    assert pixels.dtype.name == "uint8" and pixels.max() > 128  # not the [0, 8) of other ints
    assert "a uint8 image: pixels in [0, 256)" in _notes(feeds, "image_tensor:0")
    assert (out["brightest:0"] > 0.5).all()
