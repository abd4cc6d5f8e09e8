"""``explorer.compare`` and ``ParityReport``: statistics, statuses, errors, JSON round trip."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from explorer import compare
from explorer.comparing.records import ParityReport, Tolerance
from explorer.errors import ParityError
from tests.helpers import pair


def test_identical_outputs_pass_and_are_equal():
    a, b = pair()
    report = compare({"y": a}, {"y": b})
    rec = report.outputs["y"]
    assert report and report.passed and report.status == "passed"
    assert rec and rec.equal and rec.max_abs == 0.0 and rec.max_rel == 0.0
    assert rec.mismatch_fraction == 0.0 and rec.count == 12 and rec.batches == 1
    assert rec.hist_zeros == 12 and rec.hist_counts == []
    assert (rec.dtype_a, rec.shape_a) == ("float32", [4, 3])


def test_error_beyond_tolerance_fails_with_statistics():
    a, b = pair()
    b[1, 2] += 0.5
    report = compare({"y": a}, {"y": b}, atol=1e-3, rtol=0)
    rec = report.outputs["y"]
    assert not report and report.failed and report.status == "failed"
    assert rec.mismatches == 1 and rec.mismatch_fraction == pytest.approx(1 / 12)
    assert rec.max_abs == pytest.approx(0.5, rel=1e-6)
    assert rec.max_rel == pytest.approx(0.5 / abs(float(a[1, 2])), rel=1e-5)
    assert rec.median_abs == 0.0 and rec.mean_abs == pytest.approx(0.5 / 12, rel=1e-5)
    assert "1 of 12 elements" in rec.reason
    assert sum(rec.hist_counts) == 1 and rec.hist_zeros == 11
    assert rec.hist_edges[0] <= 0.5 <= rec.hist_edges[-1]


def test_small_error_within_tolerance_passes_but_is_not_equal():
    a, b = pair()
    b += 1e-7
    report = compare({"y": a}, {"y": b}, atol=1e-5, rtol=1e-5)
    assert report.passed and not report.outputs["y"].equal
    assert 0 < report.outputs["y"].max_abs < 1e-5
    assert report.outputs["y"].p99_abs <= report.outputs["y"].max_abs


def test_rtol_scales_with_reference_magnitude():
    a = np.array([1000.0, 1.0], np.float32)
    b = np.array([1000.5, 1.0], np.float32)
    assert not compare({"y": a}, {"y": b}, atol=0, rtol=1e-4)
    assert compare({"y": a}, {"y": b}, atol=0, rtol=1e-3)


def test_per_output_tolerances_override_defaults():
    a, b = pair()
    b += 1e-3
    outs_a, outs_b = {"loose": a, "tight": a}, {"loose": b, "tight": b}
    report = compare(outs_a, outs_b, atol=1e-6, rtol=0, per_output={"loose": (1e-2, 0)})
    assert report.outputs["loose"].passed and not report.outputs["tight"].passed
    report = compare(outs_a, outs_b, atol=1e-6, rtol=0, per_output={"tight": {"atol": 1e-2}})
    assert report.outputs["tight"].passed and report.outputs["tight"].atol == 1e-2


def test_dtype_and_shape_mismatches_fail_with_reason():
    a, _ = pair()
    report = compare({"y": a}, {"y": a.astype(np.float64)})
    rec = report.outputs["y"]
    assert not rec and rec.reason == "dtype float32 vs float64" and rec.mismatch_fraction == 1.0
    report = compare([{"y": a}, {"y": a}], [{"y": a}, {"y": a[:2]}])
    rec = report.outputs["y"]
    assert not rec and rec.reason == "batch 1: shape [4, 3] vs [2, 3]"


def test_nan_and_inf_are_counted_and_must_agree():
    a = np.array([1.0, np.nan, np.inf, -np.inf, 2.0], np.float32)
    accept = Tolerance(nonfinite="accept-matching")
    report = compare({"y": a}, {"y": a.copy()}, accept)
    rec = report.outputs["y"]
    assert rec.passed and rec.equal and (rec.nan_a, rec.nan_b, rec.inf_a, rec.inf_b) == (1, 1, 2, 2)
    assert rec.max_abs == 0.0  # statistics over the finite positions only
    assert report.verdict == "passed; NaN/Inf accepted in y (v1/v2: NaN 1/1, Inf 2/2)"
    refused = compare({"y": a}, {"y": a.copy()}).outputs["y"]  # by default never a pass
    assert not refused.passed and refused.equal and refused.mismatches == 3
    assert refused.reason.startswith("3 elements NaN/Inf on both sides: pass --accept-nonfinite")
    b = a.copy()
    b[0] = np.nan
    b[2] = -np.inf
    rec = compare({"y": a}, {"y": b}, accept).outputs["y"]
    assert not rec.passed and rec.mismatches == 2 and (rec.nan_b, rec.inf_b) == (2, 2)


def test_relative_error_against_zero_is_infinite_and_survives_json():
    report = compare({"y": np.array([0.0, 1.0])}, {"y": np.array([1e-3, 1.0])}, atol=1e-2)
    rec = report.outputs["y"]
    assert rec.passed and math.isinf(rec.max_rel) and math.isinf(rec.mean_rel)
    text = report.dumps()
    assert '"max_rel": "inf"' in text and "Infinity" not in text
    back = ParityReport.from_json(text)
    assert math.isinf(back.outputs["y"].max_rel)


def test_strings_and_bools_compare_exactly():
    s = np.array([b"cat", b"dog"], dtype=object)
    flags = np.array([True, False])
    report = compare({"s": s, "f": flags}, {"s": s.copy(), "f": flags.copy()})
    assert report.passed and report.outputs["s"].dtype_a == "string"
    assert report.outputs["s"].max_abs is None and report.outputs["f"].equal
    report = compare({"s": s}, {"s": np.array([b"cat", b"cow"], dtype=object)})
    assert not report and report.outputs["s"].mismatches == 1


def test_several_batches_are_pooled():
    a0, _ = pair(0)
    a1, _ = pair(1)
    b1 = a1.copy()
    b1[0, 0] += 1.0
    report = compare([{"y": a0}, {"y": a1}], [{"y": a0}, {"y": b1}])
    rec = report.outputs["y"]
    assert report.batches == 2 and rec.count == 24 and rec.mismatches == 1
    assert report.arrays["y"][0] is not None and report.arrays["y"][0].shape == (4, 3)


def test_sparse_outputs_compare_by_component():
    tf = pytest.importorskip("tensorflow")
    sp = tf.compat.v1.SparseTensorValue(
        np.array([[0, 1]], np.int64), np.array([2.5], np.float32), np.array([2, 3], np.int64)
    )
    report = compare({"s": sp}, {"s": sp})
    assert set(report.outputs) == {"s_indices", "s_values", "s_dense_shape"} and report


@pytest.mark.parametrize(
    ("a", "b", "match"),
    [
        ([], [], "no batches"),
        ({}, {}, "outputs are empty"),
        ({"y": np.zeros(2)}, {"z": np.zeros(2)}, r"only in a: \['y'\]"),
        ([{"y": np.zeros(2)}], [{"y": np.zeros(2)}] * 2, "1 batches and side b 2"),
        ([np.zeros(2)], [np.zeros(2)], "not a dict of arrays"),
    ],
)
def test_nothing_or_mismatched_to_compare_is_an_error(a, b, match):
    with pytest.raises(ParityError, match=match):
        compare(a, b)


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(
        np.float32,
        hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
        elements=st.floats(width=32, allow_nan=True, allow_infinity=True),
    )
)
def test_any_array_equals_itself(x):
    report = compare({"y": x}, {"y": x.copy()}, Tolerance(0, 0, nonfinite="accept-matching"))
    assert report.passed and report.outputs["y"].equal
    assert ParityReport.from_json(report.dumps()).to_json() == report.to_json()


# -- parity and first_divergence on real TF1 graphs ----------------------------------------------
