"""Value generators: arrays of a dtype and shape in a range, strings, and valid sparse values."""

from __future__ import annotations

import numpy as np

from explorer.feeding.feeds import random_sparse, random_strings, random_values
from explorer.graph.specs import TensorSpec


def test_values_follow_dtype_shape_and_range():
    rng = np.random.default_rng(0)
    f = random_values(rng, "float32", (3, 4), (2.0, 3.0))
    assert f.dtype == np.float32 and f.shape == (3, 4) and f.min() >= 2.0 and f.max() < 3.0
    i = random_values(rng, "int64", (50,), int_high=5)
    assert i.dtype == np.int64 and i.min() >= 0 and i.max() < 5
    b = random_values(rng, "bool", (8,))
    assert b.dtype == np.bool_
    s = random_values(rng, "string", (2,))
    assert s.dtype == object and all(isinstance(v, bytes) for v in s)


def test_same_seed_same_values():
    a = random_values(np.random.default_rng(7), "float64", (5,))
    b = random_values(np.random.default_rng(7), "float64", (5,))
    assert np.array_equal(a, b)


def test_strings_pick_from_a_pool():
    out = random_strings(np.random.default_rng(0), (10,), pool=[b"cat", b"dog"])
    assert set(out) <= {b"cat", b"dog"}


def test_sparse_values_are_inside_their_dense_shape_in_row_major_order():
    spec = TensorSpec("sp/values:0", "float32", (None, 6), "sparse", ("i:0", "v:0", "d:0"))
    sv = random_sparse(np.random.default_rng(1), spec, (4, 6), (0.0, 1.0))
    assert sv.dense_shape.tolist() == [4, 6] and sv.indices.dtype == np.int64
    assert len(sv.values) == len(sv.indices) > 0
    assert (sv.indices >= 0).all() and (sv.indices < [4, 6]).all()
    flat = [tuple(r) for r in sv.indices.tolist()]
    assert flat == sorted(flat)
    assert sv.to_dense().shape == (4, 6)
