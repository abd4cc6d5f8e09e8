"""The example models the notebooks open: every TF1 format computes the same reference MLP."""

from __future__ import annotations

import numpy as np

import explorer
from explorer.examples import MLP_SIZES, mlp_reference, mlp_weights
from tests.model_builders.mlp_formats import MLP_FORMATS


def test_every_format_is_built_and_matches_the_reference(mlp_paths):
    assert set(mlp_paths) == set(MLP_FORMATS)
    x = np.random.default_rng(0).uniform(-1, 1, (3, MLP_SIZES[0])).astype(np.float32)
    for fmt in ("saved_model", "frozen_pb", "checkpoint_v2", "checkpoint_v1"):
        model = explorer.load(mlp_paths[fmt])
        with explorer.ModelSession(model) as s:
            probs = s.run("probs:0", {"x:0": x})
        np.testing.assert_allclose(probs, mlp_reference(x), rtol=1e-5, atol=1e-6)


def test_weights_are_seeded():
    a, b = mlp_weights(0), mlp_weights(0)
    assert set(a) == set(b) and all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(mlp_weights(1)["dense/kernel"], a["dense/kernel"])
