"""explorer.data(): kinds by name, arrays (.npz, memory-mapped .npy, dicts, sparse), batching,
limits, and the one-line errors of data that does not fit."""

from __future__ import annotations

import numpy as np
import pytest

import explorer
from explorer.errors import DataError
from explorer.feeding.feeds import Feeds
from explorer.graph.specs import TensorSpec

X = {"x": TensorSpec("x:0", "float32", (None, 4))}


def test_a_dict_is_batched_along_the_first_axis():
    arr = np.arange(40, dtype=np.float32).reshape(10, 4)
    batches = list(explorer.data({"x": arr}, batch_size=4).batches(X))
    assert [b.start for b in batches] == [0, 4, 8]
    assert batches[2].where == ["arrays[8]", "arrays[9]"]
    np.testing.assert_array_equal(np.concatenate([b.feeds["x"] for b in batches]), arr)
    assert [b.rows for b in explorer.data({"x": arr}, batch_size=4, limit=6).batches(X)] == [4, 2]


def test_npz_and_memory_mapped_npy(tmp_path):
    arr = np.random.default_rng(0).normal(size=(7, 4)).astype(np.float32)
    Feeds({"x": arr}).save(tmp_path / "f.npz")
    np.save(tmp_path / "x.npy", arr)
    for name in ("f.npz", "x.npy"):
        got = np.concatenate(
            [b.feeds["x"] for b in explorer.data(tmp_path / name, batch_size=3).batches(X)]
        )
        np.testing.assert_array_equal(got, arr)
    two = {**X, "y": TensorSpec("y:0", "float32", (None,))}
    with pytest.raises(DataError, match=r"x.npy: one array for 2 inputs \(x, y\): pass key="):
        list(explorer.data(tmp_path / "x.npy").batches(two))
    assert next(iter(explorer.data(tmp_path / "x.npy", key="y").batches(two))).feeds.keys() == {"y"}


def test_arrays_that_do_not_fit_are_refused(tmp_path):
    with pytest.raises(DataError, match=r"'y' is not an input of this model run: inputs are x"):
        list(explorer.data({"y": np.zeros((2, 4))}).batches(X))
    two = {**X, "z": TensorSpec("z:0", "float32", (None,))}
    with pytest.raises(DataError, match=r"'z' has 3 rows but 'x' has 2"):
        list(explorer.data({"x": np.zeros((2, 4)), "z": np.zeros(3)}).batches(two))
    with pytest.raises(DataError, match=r"no values for input 'z'"):
        list(explorer.data({"x": np.zeros((2, 4))}).batches(two, required=["x", "z"]))
    (tmp_path / "junk.npz").write_bytes(b"junk")
    with pytest.raises(DataError, match=r"cannot read feeds from .*junk.npz"):
        list(explorer.data(tmp_path / "junk.npz").batches(X))


def test_kinds_paths_and_arguments():
    with pytest.raises(DataError, match="does not exist"):
        explorer.data("/nowhere/data.tfrecord")
    with pytest.raises(DataError, match="batch_size=0"):
        explorer.data({"x": np.zeros((1, 4))}, batch_size=0)
    with pytest.raises(DataError, match="kind='parquet'"):
        explorer.data(__file__, kind="parquet")
    with pytest.raises(DataError, match="holds no records"):
        list(explorer.data({"x": np.zeros((0, 4))}).batches(X))
    src = explorer.data({"x": np.ones((3, 4))})
    assert explorer.data(src) is src
    assert explorer.records.DataSource is type(src).__mro__[1]


def test_a_folder_of_tfx_style_record_files(tmp_path):
    from explorer.feeding.data.sources import _expand

    for name in ("data_tfrecord-00000-of-00002.gz", "data_tfrecord-00001-of-00002.gz", "README"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in _expand(tmp_path)] == [
        "data_tfrecord-00000-of-00002.gz",
        "data_tfrecord-00001-of-00002.gz",
    ]
    assert explorer.data(tmp_path).kind == "tfrecord"
