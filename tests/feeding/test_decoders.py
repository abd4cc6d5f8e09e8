"""Decoder-aware string samples: valid WAV, JPEG, PNG, CSV and TensorProto values that the
decoding ops of a real TF1 graph accept."""

from __future__ import annotations

import numpy as np

import explorer
from explorer.running.v1_runner import V1Runner

from . import shape_models


def test_wav_samples_decode_to_the_desired_samples(tmp_path):
    import tensorflow as tf

    path, ins, outs = shape_models.decoded_wav(tmp_path)
    runner = V1Runner(explorer.load(path), inputs=ins, outputs=outs)
    feeds = runner.sample(seed=3)
    wav = feeds["wav_data:0"].item()
    audio, rate = tf.audio.decode_wav(wav)
    assert audio.shape == (4000, 1) and int(rate) == 16000
    with runner:
        assert np.isfinite(runner.infer(feeds)["y:0"]).all()
    assert any("WAV files for DecodeWav 'decoded': 4000 samples" in n for n in feeds.notes)


def test_image_csv_and_tensor_samples_are_accepted(tmp_path):
    path, ins, outs = shape_models.decoded_images(tmp_path)
    runner = V1Runner(explorer.load(path), inputs=ins, outputs=outs)
    feeds = runner.sample(batch=2)
    assert feeds["jpeg:0"].shape == () and feeds["jpeg:0"].item()[:2] == b"\xff\xd8"
    assert feeds["png:0"].item()[:4] == b"\x89PNG"
    assert feeds["image:0"].shape == ()  # unknown rank, but DecodeImage reads one scalar
    lines = feeds["lines:0"]
    assert lines.shape == (2,) and all(len(v.split(b";")) == 3 for v in lines)
    with runner:
        out = runner.infer(feeds)
    assert all(np.isfinite(v).all() for v in out.values())
    notes = " ".join(feeds.notes)
    assert "JPEG images for DecodeJpeg" in notes and "CSV lines for DecodeCSV" in notes
    assert "serialized float32[2, 3] TensorProto for ParseTensor" in notes
