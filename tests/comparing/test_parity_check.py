"""``explorer.parity`` on custom inputs/outputs (tensor names) instead of signatures."""

from __future__ import annotations

import json

import numpy as np
import pytest

from explorer.comparing.parity_check import Sampled
from explorer.errors import ParityError, TensorNotFoundError

INS = ["x:0"]
OUTS = ["dense/Relu:0", "logits/BiasAdd:0"]  # an intermediate and the logits


@pytest.fixture(scope="module")
def mlp(mlp_paths):
    """The example MLP SavedModel (it has a serving_default signature) and its conversion over
    the custom tensors."""
    from explorer import convert, load

    model = load(mlp_paths["saved_model"])
    return model, convert(model, inputs=INS, outputs=OUTS)


@pytest.fixture(scope="module")
def dropout_pb(tmp_path_factory):
    """A frozen GraphDef: ``out = dropout(relu(x @ w) + 1, keep_prob)`` with keep_prob a
    PlaceholderWithDefault 0.5 inside the graph, and ``hidden`` before the dropout."""
    import tensorflow as tf

    from explorer import load

    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 4], name="x")
        keep_prob = v1.placeholder_with_default(0.5, [], name="keep_prob")
        w = tf.constant(np.linspace(-1, 1, 4 * 64, dtype=np.float32).reshape(4, 64))
        hidden = tf.add(tf.nn.relu(tf.matmul(x, w)), 1.0, name="hidden")
        tf.identity(v1.nn.dropout(hidden, rate=1.0 - keep_prob), name="out")
    folder = tmp_path_factory.mktemp("dropout_pb")
    tf.io.write_graph(g.as_graph_def(), str(folder), "frozen.pb", as_text=False)
    return load(folder / "frozen.pb")


def test_custom_tensors_are_compared_against_their_conversion(mlp):
    from explorer import parity

    model, v2 = mlp
    assert model.signatures  # the custom choice is not one of them
    feeds = {"x:0": np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)}
    summary = parity(model, v2, source=[feeds, feeds], inputs=INS, outputs=OUTS)
    report = summary["serving_default"]
    assert summary and list(summary.reports) == ["serving_default"]
    assert list(report.outputs) == OUTS and report.batches == 2
    assert all(o.equal and o.count == 2 * 2 * n for o, n in zip(report.outputs.values(), (8, 3)))


def test_custom_tensors_against_a_saved_conversion(mlp, tmp_path):
    from explorer import parity

    model, v2 = mlp
    saved = v2.save(tmp_path / "custom_tf2")
    summary = parity(model, saved, source=Sampled(1, batch_size=3), inputs=["x"], outputs=OUTS)
    assert summary and summary["serving_default"].outputs["dense/Relu:0"].count == 3 * 8


def test_custom_tensors_match_a_signature_conversion_by_tensor(mlp):
    from explorer import convert, parity

    model, _ = mlp
    full = convert(model)  # serving_default: x -> probs, logits (keys, not tensor names)
    summary = parity(model, full, source=Sampled(1), inputs=INS, outputs=["logits/BiasAdd:0"])
    assert summary and list(summary["serving_default"].outputs) == ["logits/BiasAdd:0"]
    with pytest.raises(ParityError, match=r"v1 outputs \['dense/Relu:0'\] have no counterpart"):
        parity(model, full, source=Sampled(1), inputs=INS, outputs=OUTS)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"signatures": "serving_default", "outputs": OUTS},
            ParityError,
            "either signatures or inputs/outputs",
        ),
        ({"inputs": INS, "outputs": []}, ParityError, "no outputs given"),
        ({"inputs": INS, "outputs": ["nope:0"]}, TensorNotFoundError, "nope"),
    ],
)
def test_custom_tensor_errors(mlp, kwargs, error, match):
    from explorer import parity

    model, v2 = mlp
    with pytest.raises(error, match=match):
        parity(model, v2, source=Sampled(1), **kwargs)


def test_custom_tensors_with_random_ops_are_remedied_in_a_fresh_custom_conversion(dropout_pb):
    from explorer import convert, parity

    ins, outs = ["x:0"], ["hidden:0", "out:0"]
    v2 = convert(dropout_pb, inputs=ins, outputs=outs)
    plain = parity(dropout_pb, v2, source=Sampled(1), inputs=ins, outputs=outs)["serving_default"]
    assert plain.outputs["hidden:0"].passed
    assert plain.outputs["out:0"].status == "nondeterministic"
    fixed = parity(dropout_pb, v2, source=Sampled(1), inputs=ins, outputs=outs, remedy=True)
    report = fixed["serving_default"]
    assert fixed and "set keep_prob=1.0" in report.remedy and "converted afresh" in report.remedy
    assert list(report.outputs) == outs


def test_cli_parity_on_custom_tensors(mlp_paths, capsys):
    from explorer.cli import main

    argv = ["parity", str(mlp_paths["saved_model"]), "--batches", "1", "--json"]
    assert main([*argv, "--inputs", "x:0", "--outputs", *OUTS]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["passed"] is True and set(out["signatures"]) == {"serving_default"}
    assert set(out["signatures"]["serving_default"]["outputs"]) == set(OUTS)
    assert main([*argv, "--signature", "serving_default", "--outputs", "probs:0"]) == 2
    assert "either signatures or inputs/outputs" in capsys.readouterr().err


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
    summary = parity(model, convert(model), source=Sampled(2, batch_size=3))
    report = summary["serving_default"]
    assert summary and report.batches == 2 and set(report.outputs) == {"logits", "probs"}
    assert all(o.equal and o.count == 2 * 3 * 3 for o in report.outputs.values())
    assert summary.environment["tensorflow"] and not report.nondeterministic


def test_dropout_is_nondeterministic_not_failed(dropout_model):
    from explorer import parity

    model, v2 = dropout_model
    summary = parity(model, v2, "with_input", Sampled(2))
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
    summary = parity(model, v2, "with_input", feeds)
    assert summary and summary["with_input"].outputs["out"].equal


def test_remedy_feeds_the_switch_when_it_is_an_input(dropout_model):
    from explorer import parity

    model, v2 = dropout_model
    report = parity(model, v2, "with_input", Sampled(1), remedy=True)["with_input"]
    assert report.passed and report.remedy.startswith("fed keep_prob=1.0 (keep probability)")


@pytest.mark.parametrize(
    ("sig", "done"), [("internal", "set keep_prob=1.0"), ("noise", "seeded random_normal/")]
)
def test_remedy_pins_randomness_inside_the_graph(dropout_model, sig, done):
    from explorer import parity

    model, v2 = dropout_model
    summary = parity(model, v2, sig, Sampled(2), remedy=True)
    assert summary, summary[sig].to_json()
    assert done in summary[sig].remedy and "converted afresh" in summary[sig].remedy


def test_parity_with_zero_batches_is_an_error(mlp_paths):
    from explorer import parity

    with pytest.raises(ParityError, match="batches=0: nothing to compare"):
        parity(mlp_paths["saved_model"], None, Sampled(0))


def test_first_divergence_never_claims_agreement_where_parity_is_nondeterministic(dropout_model):
    """The same run path as parity: an output v1 disagrees with itself on is skipped and named,
    never counted as agreeing."""
    from explorer import first_divergence, parity
    from explorer.running.v1_runner import V1Runner

    model, v2 = dropout_model
    assert parity(model, v2, "internal", Sampled(1))["internal"].status == "nondeterministic"
    feeds = V1Runner(model, signature="internal").sample(batch=2, seed=0)
    div = first_divergence(model, v2, feeds, signature="internal")
    assert not div and div.status == "nondeterministic" and div.outputs_skipped == ["out:0"]
    assert div.verdict.endswith("not judged: 1 output (see below)")
    assert "random ops" in div.skipped["out:0"]
    assert div.to_json()["status"] == "nondeterministic"
    from explorer.reporting.plots import divergence_plot

    assert "not judged: out:0" in divergence_plot(div).axes[0].get_title()
    assert {"hidden:0", "x:0"} & {s.tensor for s in div.steps} == {"hidden:0"}


@pytest.fixture(scope="module")
def stale_output_shapes(tmp_path_factory):
    """A frozen graph where a transform turned ``block/bn/FusedBatchNorm`` into an ``Add`` that
    kept the name and the fused op's ``_output_shapes`` (one output, six recorded shapes)."""
    import tensorflow as tf

    from explorer import load

    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 4, 4, 3], name="x")
        consts = [
            tf.constant(np.full(3, v, np.float32), name=n)
            for v, n in ((1.0, "scale"), (0.5, "offset"), (0.0, "mean"), (1.0, "var"))
        ]
        y, _, _ = v1.nn.fused_batch_norm(x, *consts, is_training=False, name="bn")
        tf.nn.relu(y, name="out")
    gd = g.as_graph_def(add_shapes=True)
    old, new = "bn", "block/bn/FusedBatchNorm"
    for node in gd.node:
        if node.name == old:
            shapes = v1.AttrValue()
            shapes.CopyFrom(node.attr["_output_shapes"])
            assert len(shapes.list.shape) > 1
            dtype = node.attr["T"].type
            node.name, node.op = new, "Add"
            del node.input[1:]
            node.input.append("offset")
            node.ClearField("attr")
            node.attr["T"].type = dtype
            node.attr["_output_shapes"].CopyFrom(shapes)
        node.input[:] = [new if i == old else i.replace(f"{old}:", f"{new}:") for i in node.input]
    folder = tmp_path_factory.mktemp("stale")
    tf.io.write_graph(gd, str(folder), "frozen.pb", as_text=False)
    return load(folder / "frozen.pb")


def test_first_divergence_counts_outputs_from_the_op_definition(stale_output_shapes):
    from explorer import convert, first_divergence, parity

    model, io = stale_output_shapes, {"inputs": ["x:0"], "outputs": ["out:0"]}
    v2 = convert(model, **io)
    assert parity(model, v2, source=Sampled(1), **io)
    feeds = {"x:0": np.linspace(-1, 1, 48, dtype=np.float32).reshape(1, 4, 4, 3)}
    div = first_divergence(model, v2, feeds, **io)
    names = [s.tensor for s in div.steps]
    assert not div and div.status == "passed" and div.verdict == "no divergence found"
    assert "block/bn/FusedBatchNorm:0" in names and "block/bn/FusedBatchNorm:1" not in names
