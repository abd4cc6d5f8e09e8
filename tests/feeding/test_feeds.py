"""Feeds: named values, their .npz form, and their checks against input specs."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.errors import FeedError
from explorer.feeding.feeds import Feeds, SparseValue, check_feeds
from explorer.graph.specs import TensorSpec

SPECS = {
    "x": TensorSpec("x:0", "float32", (None, 4)),
    "s": TensorSpec("s:0", "string", (None,)),
    "sp": TensorSpec("sp/values:0", "int64", (None, 3), "sparse", ("i:0", "v:0", "d:0")),
}


def test_feeds_npz_round_trip_without_pickle(tmp_path):
    strings = np.empty(3, dtype=object)
    strings[:] = [b"a\x00", b"", b"\x00\x01\x00"]  # trailing NULs survive
    sparse = SparseValue(np.array([[0, 1], [2, 0]]), strings[:2].copy(), np.array([3, 2]))
    feeds = Feeds({"x:0": np.arange(6, dtype=np.float32).reshape(2, 3), "s": strings, "sp": sparse})
    path = feeds.save(tmp_path / "f.npz")
    with np.load(path, allow_pickle=False) as z:
        assert all(z[k].dtype != object for k in z.files)
    back = Feeds.load(path)
    np.testing.assert_array_equal(back["x:0"], feeds["x:0"])
    assert list(back["s"]) == list(strings)
    assert isinstance(back["sp"], SparseValue) and list(back["sp"].values) == [b"a\x00", b""]
    assert back["sp"].to_dense(b"")[0].tolist() == [b"", b"a\x00"]
    with pytest.raises(FeedError, match="cannot read feeds"):
        Feeds.load(tmp_path / "missing.npz")


def test_feeds_accept_dicts_of_lists_and_str():
    f = Feeds({"a": [1.0, 2.0], "s": ["x", "y"]})
    assert f["a"].dtype == np.float64 and list(f["s"]) == [b"x", b"y"]


def test_check_feeds_errors_name_dtype_shape():
    ok = check_feeds({"x": np.zeros((2, 4)), "s": ["a"]}, SPECS)
    assert ok["x"].dtype == np.float32 and ok["s"].dtype == object
    with pytest.raises(FeedError, match=r"feed 'y' is not an input .* inputs are s, sp, x"):
        check_feeds({"y": np.zeros(1)}, SPECS)
    with pytest.raises(FeedError, match=r"'x' \(x:0\) expects dtype float32, given string\[2\]"):
        check_feeds({"x": ["a", "b"]}, SPECS)
    with pytest.raises(FeedError, match=r"expects shape float32\[\?,4\], given float32\[2,3\]"):
        check_feeds({"x": np.zeros((2, 3), np.float32)}, SPECS)
    with pytest.raises(FeedError, match=r"'s' \(s:0\) expects dtype string, given float64"):
        check_feeds({"s": np.zeros(2)}, SPECS)
    with pytest.raises(FeedError, match="is sparse .* not a dense array"):
        check_feeds({"sp": np.zeros((1, 3))}, SPECS)
    with pytest.raises(FeedError, match=r"no feed for input 'x' \(x:0 float32\[\?,4\]\)"):
        check_feeds({}, SPECS, required=["x"])
    sv = check_feeds({"sp": (np.array([[0, 2]]), np.array([5]), np.array([1, 3]))}, SPECS)["sp"]
    assert sv.to_dense().tolist() == [[0, 0, 5]]
