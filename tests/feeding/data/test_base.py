"""The base of the data readers: row slicing (sparse rows renumbered), batching in chunks,
clipped summaries and the file a row came from."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import explorer
from explorer.feeding.data.sources import DataSource, chunks, clip, take_rows
from explorer.feeding.feeds import SparseValue
from explorer.graph.specs import TensorSpec


def test_sparse_rows_are_renumbered():
    sv = SparseValue(
        np.array([[0, 0], [1, 2], [3, 1]]), np.array([1.0, 2.0, 3.0]), np.array([4, 5])
    )
    part = take_rows(sv, 1, 4)
    assert part.indices.tolist() == [[0, 2], [2, 1]] and part.dense_shape.tolist() == [3, 5]
    specs = {"s": TensorSpec("", "float32", (None, 5), "sparse", ("a:0", "b:0", "c:0"))}
    batches = list(explorer.data({"s": sv}, batch_size=2).batches(specs))
    assert [b.feeds["s"].dense_shape.tolist() for b in batches] == [[2, 5], [2, 5]]


def test_chunks_clip_and_the_file_of_a_row():
    assert list(chunks(range(5), 2)) == [(0, [0, 1]), (2, [2, 3]), (4, [4])]
    assert clip("abc", 3) == "abc" and clip("abcd", 3) == "ab…"
    src = DataSource([Path("d/a.csv"), Path("e/b.tfrecord")])
    assert src._file("a.csv:19") == "d/a.csv" and src._file("b.tfrecord#3") == "e/b.tfrecord"
    assert src._files() == "d/a.csv (+1 files)"
