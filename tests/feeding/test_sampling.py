"""explorer.sample and Feeds: generated values, tf.Example protos for parse ops, .npz, checks."""

from __future__ import annotations

import numpy as np
import pytest

import explorer
from explorer.errors import FeedError
from explorer.feeding.sampling import sample
from explorer.running.v1_runner import V1Runner
from tests.helpers import parse_example

# -- tf.Example generation ---------------------------------------------------------------------


def test_parser_model_outputs_follow_its_formula(parser_model):
    feeds = sample(parser_model, "predict", batch=5, seed=4)
    with V1Runner(parser_model, signature="predict") as r:
        out = r.infer(feeds)
    vocab = [b"red", b"green", b"blue"]
    for b, y, cid in zip(feeds["examples"], out["y"][:, 0], out["color_id"][:, 0]):
        p = parse_example(b)
        assert cid == vocab.index(p["color"][0])
        want = p["x"][0] * 0.5 - 0.25 * p["x"][1] + 0.1 * p["n"][0] + cid
        want += 0.01 * sum(p["ids"]) + 1.0
        assert y == pytest.approx(want, rel=1e-5)


# -- plain values, seeds, dims -------------------------------------------------------------------


def test_sample_mlp_dims_ranges_and_seed(mlp_paths):
    model = explorer.load(mlp_paths["saved_model"])
    a = sample(model, batch=3, seed=7)
    assert list(a) == ["x"] and a["x"].shape == (3, 4) and a["x"].dtype == np.float32
    assert a["x"].min() >= -1 and a["x"].max() < 1
    assert "x: unknown dim 0=3" in a.notes
    np.testing.assert_array_equal(a["x"], sample(model, batch=3, seed=7)["x"])
    assert not np.array_equal(a["x"], sample(model, batch=3, seed=8)["x"])
    b = sample(model, batch=2, ranges={"x": (10.0, 11.0)})
    assert b["x"].min() >= 10.0
    fixed = np.ones((2, 4), np.float32)
    np.testing.assert_array_equal(sample(model, overrides={"x": fixed})["x"], fixed)


def test_tf_examples_are_reproducible(parser_model):
    a = sample(parser_model, "regress", batch=4, seed=5)["inputs"]
    assert list(a) == list(sample(parser_model, "regress", batch=4, seed=5)["inputs"])
    assert list(a) != list(sample(parser_model, "regress", batch=4, seed=6)["inputs"])


def test_size_limit_refuses_before_allocating(mlp_paths):
    model = explorer.load(mlp_paths["saved_model"])
    with pytest.raises(FeedError, match=r"about 15258\.8 MiB, over the limit of 1024\.0 MiB"):
        sample(model, batch=10**9)
    with pytest.raises(FeedError, match="over the limit"):
        sample(model, batch=100, max_bytes=100)


# -- Feeds: .npz and checks ----------------------------------------------------------------------


# -- which inputs are fed --------------------------------------------------------------------------
