"""Comparator: the figures of compare() batch by batch, per-example errors, the worst examples,
in memory that does not grow with the data, merged exactly across shards."""

from __future__ import annotations

import math

import numpy as np
import pytest

from explorer.comparing.outputs import Comparator, LogHistogram, compare
from explorer.comparing.records import Tolerance
from explorer.feeding.data.sources import Batch


def _batch(start: int, rows: int) -> Batch:
    return Batch(
        {"x": np.arange(start, start + rows)}, start, [f"f#{i}" for i in range(start, start + rows)]
    )


def _stream(a_list, b_list, **kw):
    acc = Comparator(Tolerance(1e-5, 1e-5), **kw)
    start = 0
    for a, b in zip(a_list, b_list):
        acc.add({"y": a}, {"y": b}, _batch(start, len(a)))
        start += len(a)
    return acc.report()


def test_streamed_figures_match_compare():
    rng = np.random.default_rng(0)
    a_list = [rng.normal(size=(16, 5)).astype(np.float32) for _ in range(6)]
    b_list = [a + rng.normal(scale=1e-4, size=a.shape).astype(np.float32) for a in a_list]
    b_list[2][3, 1] = np.nan
    a_list[4][0, 0] = b_list[4][0, 0] = np.inf
    want = compare([{"y": a} for a in a_list], [{"y": b} for b in b_list]).outputs["y"]
    got = _stream(a_list, b_list).outputs["y"]
    for f in (
        "status",
        "count",
        "mismatches",
        "equal",
        "nan_a",
        "nan_b",
        "inf_a",
        "inf_b",
        "batches",
        "hist_zeros",
    ):
        assert getattr(got, f) == getattr(want, f), f
    for f in ("max_abs", "max_rel", "mean_abs", "mean_rel"):
        assert getattr(got, f) == pytest.approx(getattr(want, f), rel=1e-9), f
    for f in ("median_abs", "p99_abs", "median_rel", "p99_rel"):  # histogram estimates
        assert getattr(got, f) == pytest.approx(getattr(want, f), rel=0.05), f
    assert got.hist_edges == pytest.approx(want.hist_edges)
    assert sum(got.hist_counts) == sum(want.hist_counts)


def test_worst_examples_are_found_with_their_source_index_and_values():
    a_list = [np.zeros((8, 3), np.float32) for _ in range(3)]
    b_list = [a.copy() for a in a_list]
    b_list[1][5, 2] = 0.5  # source index 13
    b_list[2][0, 0] = 0.01  # source index 16
    b_list[0][7, 1] = 1e-7  # within tolerance: 7
    rep = _stream(a_list, b_list, worst=3)
    ex = rep.examples["y"]
    assert (ex.examples, ex.failed) == (24, 2)
    assert [w.index for w in ex.worst] == [13, 16, 7]
    w = ex.worst[0]
    assert (w.where, w.max_abs, w.mismatches, w.shape) == ("f#13", 0.5, 1, [3])
    assert w.a == [0.0, 0.0, 0.0] and w.b == [0.0, 0.0, 0.5]
    assert w.inputs == "x: 13"
    assert ex.quantiles["max"] == 0.5 and ex.quantiles["p50"] == 0.0
    assert ex.hist_zeros == 21 and sum(ex.hist_counts) == 3
    js = rep.to_json()["examples"]["y"]
    assert js["worst"][0]["index"] == 13
    from explorer.comparing.records import ParityReport

    assert ParityReport.from_json(rep.to_json()).examples["y"].worst[0].b == [0.0, 0.0, 0.5]


def test_ties_keep_the_earlier_examples_and_strings_count_mismatches():
    a = [np.array([[b"x"], [b"y"], [b"z"]], dtype=object)] * 2
    b = [
        np.array([[b"x"], [b"Y"], [b"z"]], dtype=object),
        np.array([[b"X"], [b"y"], [b"z"]], dtype=object),
    ]
    rep = _stream(a, b, worst=5)
    ex = rep.examples["y"]
    assert rep.outputs["y"].mismatches == 2 and not rep.passed
    assert [w.index for w in ex.worst] == [1, 3, 0, 2, 4]
    assert ex.quantiles == {} and ex.worst[0].b == [b"Y"]
    assert rep.to_json()["examples"]["y"]["worst"][0]["b"] == ["Y"]


def test_shape_change_fails_and_outputs_without_a_batch_dim_have_no_examples():
    acc = Comparator(Tolerance(1e-5, 1e-5))
    acc.add(
        {"y": np.zeros((2, 3)), "s": np.float32(1)},
        {"y": np.zeros((2, 3)), "s": np.float32(1)},
        _batch(0, 2),
    )
    acc.add(
        {"y": np.zeros((2, 3)), "s": np.float32(1)},
        {"y": np.zeros((2, 4)), "s": np.float32(1)},
        _batch(2, 2),
    )
    rep = acc.report()
    assert (
        rep.outputs["y"].status == "failed"
        and "batch 1: shape [2, 3] vs [2, 4]" in rep.outputs["y"].reason
    )
    assert rep.examples["y"].reason.startswith("not compared")
    assert rep.outputs["s"].passed and "no per-example figures" in rep.examples["s"].reason


def test_log_histogram_quantiles_are_close_and_bounded():
    rng = np.random.default_rng(1)
    x = np.abs(rng.lognormal(-10, 3, size=20000))
    h = LogHistogram()
    for part in np.array_split(x, 7):
        h.add(part)
    h.add(np.zeros(5))
    h.add(np.array([math.inf]))
    for q in (0.1, 0.5, 0.9, 0.99):
        want = np.quantile(np.concatenate([np.zeros(5), x, [math.inf]]), q, method="nearest")
        assert want <= h.quantile(q) <= want * 10 ** (1 / 64) * 1.0001
    assert h.quantile(1.0) == math.inf and h.total == 20006


def test_memory_does_not_grow_with_batches():
    import tracemalloc

    acc = Comparator(Tolerance(1e-5, 1e-5))
    rng = np.random.default_rng(2)
    a = rng.normal(size=(256, 10))
    b = a + 1e-3

    def run(n, start):
        for i in range(n):
            acc.add({"y": a}, {"y": b}, _batch(start + 256 * i, 256))

    run(2, 0)  # first batch arrays kept for plots; histograms allocated
    tracemalloc.start()
    run(1, 10_000)
    one = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    run(40, 20_000)
    many = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert many < 2 * one


def test_shards_merge_into_the_figures_of_one_stream():
    rng = np.random.default_rng(4)
    a_list = [rng.normal(size=(8, 3)) for _ in range(6)]
    b_list = [a + rng.normal(scale=1e-3, size=a.shape) for a in a_list]
    b_list[4][2, 1] = np.inf
    whole = _stream(a_list, b_list, worst=4)
    shards = []
    for part in ((0, 1, 2), (3, 4, 5)):
        acc = Comparator(Tolerance(1e-5, 1e-5), worst=4)
        for i in part:
            acc.add({"y": a_list[i]}, {"y": b_list[i]}, _batch(8 * i, 8))
        shards.append(acc)
    merged = shards[0].merge(shards[1]).report()
    assert merged.to_json() == whole.to_json()


def test_log_histograms_merge_exactly():
    rng = np.random.default_rng(5)
    x = np.abs(rng.lognormal(-5, 4, size=5000))
    one, left, right = LogHistogram(), LogHistogram(), LogHistogram()
    one.add(x)
    left.add(x[:1000])
    right.add(np.concatenate([x[1000:], [0.0, math.inf]]))
    one.add(np.array([0.0, math.inf]))
    left.merge(right)
    assert left.total == one.total and left.coarse() == one.coarse()
    assert [left.quantile(q) for q in (0.1, 0.5, 0.99)] == [
        one.quantile(q) for q in (0.1, 0.5, 0.99)
    ]
