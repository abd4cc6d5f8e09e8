"""``explorer.parity`` on custom inputs/outputs (tensor names) instead of signatures."""

from __future__ import annotations

import json

import numpy as np
import pytest

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
    summary = parity(model, v2, inputs=INS, outputs=OUTS, feeds=[feeds, feeds])
    report = summary["serving_default"]
    assert summary and list(summary.reports) == ["serving_default"]
    assert list(report.outputs) == OUTS and report.batches == 2
    assert all(o.equal and o.count == 2 * 2 * n for o, n in zip(report.outputs.values(), (8, 3)))


def test_custom_tensors_against_a_saved_conversion(mlp, tmp_path):
    from explorer import parity

    model, v2 = mlp
    saved = v2.save(tmp_path / "custom_tf2")
    summary = parity(model, saved, inputs=["x"], outputs=OUTS, batches=1, batch_size=3)
    assert summary and summary["serving_default"].outputs["dense/Relu:0"].count == 3 * 8


def test_custom_tensors_match_a_signature_conversion_by_tensor(mlp):
    from explorer import convert, parity

    model, _ = mlp
    full = convert(model)  # serving_default: x -> probs, logits (keys, not tensor names)
    summary = parity(model, full, inputs=INS, outputs=["logits/BiasAdd:0"], batches=1)
    assert summary and list(summary["serving_default"].outputs) == ["logits/BiasAdd:0"]
    with pytest.raises(ParityError, match=r"v1 outputs \['dense/Relu:0'\] have no counterpart"):
        parity(model, full, inputs=INS, outputs=OUTS, batches=1)


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
        parity(model, v2, batches=1, **kwargs)


def test_custom_tensors_with_random_ops_are_remedied_in_a_fresh_custom_conversion(dropout_pb):
    from explorer import convert, parity

    ins, outs = ["x:0"], ["hidden:0", "out:0"]
    v2 = convert(dropout_pb, inputs=ins, outputs=outs)
    plain = parity(dropout_pb, v2, inputs=ins, outputs=outs, batches=1)["serving_default"]
    assert plain.outputs["hidden:0"].passed
    assert plain.outputs["out:0"].status == "nondeterministic"
    fixed = parity(dropout_pb, v2, inputs=ins, outputs=outs, batches=1, remedy=True)
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
