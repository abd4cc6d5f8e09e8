"""Image folders on real PNG/JPEG files, decoded by TensorFlow and resized to the input's spec."""

from __future__ import annotations

import numpy as np
import pytest

import explorer
from explorer.errors import DataError
from explorer.running.v1_runner import V1Runner
from tests.feeding.data.files import build_image_model, image_pixels, write_image


@pytest.fixture(scope="module")
def image_model(tmp_path_factory):
    return explorer.load(build_image_model(tmp_path_factory.mktemp("img")))


def test_png_and_jpeg_are_decoded_and_resized(image_model, tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    write_image(folder / "a.png", image_pixels(1, 8, 8))
    write_image(folder / "b.jpg", image_pixels(2, 16, 12))
    (folder / "notes.txt").write_text("not an image")
    src = explorer.data(folder, batch_size=8)
    assert "decoded by TensorFlow" in src.describe()
    with V1Runner(image_model, outputs=["flat:0"], inputs=["image:0"]) as r:
        (batch,) = src.batches(r.input_specs, image_model)
        out = r.infer(batch.feeds)
    assert batch.where == ["a.png", "b.jpg"]
    x = batch.feeds["image:0"]
    assert x.shape == (2, 8, 8, 3) and x.dtype == np.float32
    # PNG at the input's size is lossless and not resampled: the pixels as they are, 0..255
    np.testing.assert_array_equal(x[0], image_pixels(1, 8, 8).astype(np.float32))
    np.testing.assert_array_equal(out["flat:0"][0], x[0].reshape(-1))
    assert "b.jpg: 12x16x3 -> 8x8x3" in batch.summary(1)
    assert any("images decoded by TensorFlow" in n for n in batch.notes)


def test_value_range_scales_floats(image_model, tmp_path):
    write_image(tmp_path / "a.png", np.full((8, 8, 3), 255, np.uint8))
    src = explorer.data(tmp_path / "a.png", value_range=(-1.0, 1.0))
    (batch,) = src.batches(
        V1Runner(image_model, outputs=["mean:0"], inputs=["image:0"]).input_specs
    )
    np.testing.assert_allclose(batch.feeds["image:0"], 1.0)


def test_a_file_that_does_not_decode_is_named(image_model, tmp_path):
    write_image(tmp_path / "a.png", image_pixels(0, 8, 8))
    (tmp_path / "b.png").write_bytes(b"this is not a png")
    specs = V1Runner(image_model, outputs=["mean:0"], inputs=["image:0"]).input_specs
    with pytest.raises(
        DataError, match=r"b.png: image 1 does not decode \(.*\): replace or remove"
    ):
        list(explorer.data(tmp_path).batches(specs))


def test_unknown_height_needs_image_size(tmp_path):
    from explorer.graph.specs import TensorSpec

    write_image(tmp_path / "a.png", image_pixels(0, 6, 4))
    specs = {"img": TensorSpec("img:0", "uint8", (None, None, None, 1))}
    with pytest.raises(
        DataError,
        match=r"input 'img' is uint8\[\?,\?,\?,1\] \(height/width unknown\): pass image_size",
    ):
        list(explorer.data(tmp_path).batches(specs))
    (batch,) = explorer.data(tmp_path, image_size=(3, 2)).batches(specs)
    assert batch.feeds["img"].shape == (1, 3, 2, 1) and batch.feeds["img"].dtype == np.uint8


def test_string_input_gets_the_file_bytes(tmp_path):
    from explorer.graph.specs import TensorSpec

    p = write_image(tmp_path / "a.jpg", image_pixels(0, 6, 4))
    (batch,) = explorer.data(tmp_path, key="jpeg").batches(
        {"jpeg": TensorSpec("jpeg:0", "string", (None,))}
    )
    assert batch.feeds["jpeg"].tolist() == [p.read_bytes()]


def test_flat_and_grey_inputs(tmp_path):
    from explorer.graph.specs import TensorSpec

    write_image(tmp_path / "a.png", image_pixels(3, 4, 4))
    flat = {"x": TensorSpec("x:0", "float32", (None, 48))}
    with pytest.raises(DataError, match=r"cannot tell which input .*image_size=\(H, W\)"):
        list(explorer.data(tmp_path).batches(flat))
    (batch,) = explorer.data(tmp_path, image_size=(4, 4)).batches(flat)
    np.testing.assert_array_equal(batch.feeds["x"][0], image_pixels(3, 4, 4).reshape(-1))
    grey = {"g": TensorSpec("g:0", "uint8", (None, 4, 4))}
    (batch,) = explorer.data(tmp_path).batches(grey)
    assert batch.feeds["g"].shape == (1, 4, 4) and batch.feeds["g"].dtype == np.uint8
