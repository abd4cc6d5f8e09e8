"""``explorer.compare`` and ``ParityReport``: statistics, statuses, errors, JSON round trip."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from explorer import ParityError, ParityReport, compare
from explorer.parity_records import OutputComparison, ParitySummary


def _pair(seed: int = 0, shape=(4, 3)):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=shape).astype(np.float32)
    return a, a.copy()


def test_identical_outputs_pass_and_are_equal():
    a, b = _pair()
    report = compare({"y": a}, {"y": b})
    rec = report.outputs["y"]
    assert report and report.passed and report.status == "passed"
    assert rec and rec.equal and rec.max_abs == 0.0 and rec.max_rel == 0.0
    assert rec.mismatch_fraction == 0.0 and rec.count == 12 and rec.batches == 1
    assert rec.hist_zeros == 12 and rec.hist_counts == []
    assert (rec.dtype_a, rec.shape_a) == ("float32", [4, 3])


def test_error_beyond_tolerance_fails_with_statistics():
    a, b = _pair()
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
    a, b = _pair()
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
    a, b = _pair()
    b += 1e-3
    outs_a, outs_b = {"loose": a, "tight": a}, {"loose": b, "tight": b}
    report = compare(outs_a, outs_b, atol=1e-6, rtol=0, per_output={"loose": (1e-2, 0)})
    assert report.outputs["loose"].passed and not report.outputs["tight"].passed
    report = compare(outs_a, outs_b, atol=1e-6, rtol=0, per_output={"tight": {"atol": 1e-2}})
    assert report.outputs["tight"].passed and report.outputs["tight"].atol == 1e-2


def test_dtype_and_shape_mismatches_fail_with_reason():
    a, _ = _pair()
    report = compare({"y": a}, {"y": a.astype(np.float64)})
    rec = report.outputs["y"]
    assert not rec and rec.reason == "dtype float32 vs float64" and rec.mismatch_fraction == 1.0
    report = compare([{"y": a}, {"y": a}], [{"y": a}, {"y": a[:2]}])
    rec = report.outputs["y"]
    assert not rec and rec.reason == "batch 1: shape [4, 3] vs [2, 3]"


def test_nan_and_inf_are_counted_and_must_agree():
    a = np.array([1.0, np.nan, np.inf, -np.inf, 2.0], np.float32)
    report = compare({"y": a}, {"y": a.copy()})
    rec = report.outputs["y"]
    assert rec.passed and rec.equal and (rec.nan_a, rec.nan_b, rec.inf_a, rec.inf_b) == (1, 1, 2, 2)
    assert rec.max_abs == 0.0  # statistics over the finite positions only
    b = a.copy()
    b[0] = np.nan
    b[2] = -np.inf
    rec = compare({"y": a}, {"y": b}).outputs["y"]
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
    a0, _ = _pair(0)
    a1, _ = _pair(1)
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


def test_report_json_round_trip_is_exact():
    a, b = _pair()
    b[0, 0] += 1
    report = compare({"y": a, "z": a}, {"y": b, "z": a}, name="serving_default")
    report.notes.append("a note")
    obj = json.loads(report.dumps())
    assert obj["outputs"]["y"]["passed"] is False and obj["outputs"]["z"]["equal"] is True
    back = ParityReport.from_json(obj)
    assert back.to_json() == report.to_json() and back.outputs == report.outputs
    rec = OutputComparison.from_json(report.outputs["y"].to_json())
    assert rec == report.outputs["y"]


def test_summary_json_has_the_cli_shape():
    a, _ = _pair()
    summary = ParitySummary({"sig": compare({"y": a}, {"y": a}, name="sig")}, {"tensorflow": "x"})
    obj = summary.to_json()
    assert obj["passed"] is True and obj["environment"] == {"tensorflow": "x"}
    out = obj["signatures"]["sig"]["outputs"]["y"]
    assert {"max_abs", "max_rel", "mismatch_fraction", "equal"} <= set(out)
    assert obj["signatures"]["sig"]["nondeterministic"] is False
    assert ParitySummary.from_json(json.dumps(obj)).to_json() == obj
    assert not ParitySummary({})  # no signatures compared is never a pass


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(
        np.float32,
        hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
        elements=st.floats(width=32, allow_nan=True, allow_infinity=True),
    )
)
def test_any_array_equals_itself(x):
    report = compare({"y": x}, {"y": x.copy()}, atol=0, rtol=0)
    assert report.passed and report.outputs["y"].equal
    assert ParityReport.from_json(report.dumps()).to_json() == report.to_json()


# -- parity and first_divergence on real TF1 graphs ----------------------------------------------


@pytest.fixture(scope="module")
def dropout_model(tmp_path_factory):
    """A SavedModel with dropout behind keep_prob (PlaceholderWithDefault 0.5).

    Signatures: ``with_input`` (keep_prob is an input), ``internal`` (keep_prob only inside the
    graph), ``noise`` (random noise without a switch).
    """
    import tensorflow as tf

    from explorer import load

    v1 = tf.compat.v1
    path = tmp_path_factory.mktemp("dropout") / "sm"
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 4], name="x")
        keep_prob = v1.placeholder_with_default(0.5, [], name="keep_prob")
        # 64 strictly positive hidden units: two dropout masks never agree by chance
        w0 = np.linspace(-1, 1, 4 * 64, dtype=np.float32).reshape(4, 64)
        w = v1.Variable(w0, name="w", use_resource=False)
        hidden = tf.add(tf.nn.relu(tf.matmul(x, w)), 1.0, name="hidden")
        out = tf.identity(v1.nn.dropout(hidden, rate=1.0 - keep_prob), name="out")
        noisy = tf.add(hidden, v1.random_normal(tf.shape(hidden)), name="noisy")
        info = v1.saved_model.utils.build_tensor_info
        sig = v1.saved_model.signature_def_utils.build_signature_def
        with v1.Session(graph=g) as s:
            s.run(v1.global_variables_initializer())
            b = v1.saved_model.Builder(str(path))
            b.add_meta_graph_and_variables(
                s,
                ["serve"],
                signature_def_map={
                    "with_input": sig(
                        {"x": info(x), "keep_prob": info(keep_prob)},
                        {"hidden": info(hidden), "out": info(out)},
                    ),
                    "internal": sig({"x": info(x)}, {"hidden": info(hidden), "out": info(out)}),
                    "noise": sig({"x": info(x)}, {"noisy": info(noisy)}),
                },
            )
            b.save()
    model = load(path)
    from explorer import convert

    return model, convert(model)


def test_parity_on_the_mlp_passes_bitwise(mlp_paths):
    from explorer import convert, load, parity

    model = load(mlp_paths["saved_model"])
    summary = parity(model, convert(model), batches=2, batch_size=3)
    report = summary["serving_default"]
    assert summary and report.batches == 2 and set(report.outputs) == {"logits", "probs"}
    assert all(o.equal and o.count == 2 * 3 * 3 for o in report.outputs.values())
    assert summary.environment["tensorflow"] and not report.nondeterministic


def test_dropout_is_nondeterministic_not_failed(dropout_model):
    from explorer import parity

    model, v2 = dropout_model
    summary = parity(model, v2, "with_input", batches=2)
    report = summary["with_input"]
    assert report.status == "nondeterministic" and not report.failed and not summary
    assert report.outputs["hidden"].passed
    out = report.outputs["out"]
    assert out.status == "nondeterministic" and out.random_ops == [
        "dropout/random_uniform/RandomUniform"
    ]
    assert "random ops: dropout/random_uniform/RandomUniform" in out.reason
    assert summary.to_json()["signatures"]["with_input"]["nondeterministic"] is True


def test_dropout_with_keep_prob_fed_one_passes(dropout_model):
    from explorer import parity

    model, v2 = dropout_model
    feeds = [{"keep_prob": np.float32(1.0)}, {"keep_prob": np.float32(1.0)}]
    summary = parity(model, v2, "with_input", feeds=feeds)
    assert summary and summary["with_input"].outputs["out"].equal


def test_remedy_feeds_the_switch_when_it_is_an_input(dropout_model):
    from explorer import parity

    model, v2 = dropout_model
    report = parity(model, v2, "with_input", batches=1, remedy=True)["with_input"]
    assert report.passed and report.remedy.startswith("fed keep_prob=1.0 (keep probability)")


@pytest.mark.parametrize(
    ("sig", "done"), [("internal", "set keep_prob=1.0"), ("noise", "seeded random_normal/")]
)
def test_remedy_pins_randomness_inside_the_graph(dropout_model, sig, done):
    from explorer import parity

    model, v2 = dropout_model
    summary = parity(model, v2, sig, batches=2, remedy=True)
    assert summary, summary[sig].to_json()
    assert done in summary[sig].remedy and "converted afresh" in summary[sig].remedy


def test_parity_with_zero_batches_is_an_error(mlp_paths):
    from explorer import parity

    with pytest.raises(ParityError, match="batches=0: nothing to compare"):
        parity(mlp_paths["saved_model"], None, batches=0)


def _perturb(gd, op: str) -> None:
    from tensorflow.python.framework import tensor_util

    node = next(n for n in gd.node if n.name == op)
    value = tensor_util.MakeNdarray(node.attr["value"].tensor).copy()
    value.reshape(-1)[0] += 0.5
    node.attr["value"].tensor.CopyFrom(tensor_util.make_tensor_proto(value))


@pytest.fixture(scope="module")
def frozen_mlp(mlp_paths):
    from explorer import convert, load

    model = load(mlp_paths["frozen_pb"])
    return model, convert(model)


def test_first_divergence_names_the_perturbed_weight(frozen_mlp):
    from explorer import first_divergence
    from explorer.divergence import v2_graph_def

    model, v2 = frozen_mlp
    feeds = {"x:0": np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)}
    clean = first_divergence(model, v2, feeds)
    assert not clean and clean.op is None and len(clean.steps) > 10
    assert clean.runs["v2"] == 1 and all(s.passed for s in clean.steps)
    gd = v2_graph_def(v2)
    _perturb(gd, "logits/kernel")
    div = first_divergence(model, gd, feeds)
    assert div and div.op == "logits/kernel" and div.step.op_type == "Const"
    names = [s.tensor for s in div.steps]
    # everything before it agrees; what it feeds diverges after it
    assert all(s.passed for s in div.steps[: div.index])
    assert not div.steps[names.index("logits/BiasAdd:0")].passed


def test_first_divergence_reports_the_inputs_of_a_perturbed_op(frozen_mlp):
    from explorer import first_divergence, plots
    from explorer.divergence import v2_graph_def

    model, v2 = frozen_mlp
    gd = v2_graph_def(v2)
    # double the bias add of the first layer: an op, not a weight, goes wrong
    node = next(n for n in gd.node if n.name == "add")
    node.op = "Sub"
    feeds = {"x:0": np.ones((1, 4), np.float32)}
    div = first_divergence(model, gd, feeds)
    assert div.op == "add"
    assert div.inputs == {"MatMul:0": 0.0, "dense/bias/read:0": 0.0}
    fig = plots.divergence_plot(div)
    assert fig.axes[0].texts[0].get_text() == "first: add:0 (AddV2)"
    assert json.loads(json.dumps(div.to_json()))["op"] == "add"


def test_first_divergence_on_variables_names_their_read(mlp_paths):
    from explorer import convert, first_divergence, load
    from explorer.divergence import v2_graph_def

    model = load(mlp_paths["saved_model"])
    v2 = convert(model)
    gd = v2_graph_def(v2)
    # the variable dense/kernel is a constant in the frozen v2 graph, read by dense/kernel/read
    read = next(n for n in gd.node if n.name == "dense/kernel/read")
    src = read.input[0].split(":")[0]
    while next(n for n in gd.node if n.name == src).op != "Const":
        src = next(n for n in gd.node if n.name == src).input[0].split(":")[0]
    _perturb(gd, src)
    div = first_divergence(model, gd, {"x": np.ones((1, 4), np.float32)})
    assert div.op == "dense/kernel/read"
