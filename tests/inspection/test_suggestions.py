"""suggest: ranked inputs/outputs with reasons; IOChoice.validate."""

from __future__ import annotations

import pytest

import explorer
from explorer.errors import TensorNotFoundError
from explorer.inspection.suggestions import Candidate, IOChoice
from tests.conftest import shared_model
from tests.shared_models import params


def _names(cands: list[Candidate]) -> list[str]:
    return [c.name for c in cands]


@pytest.fixture(scope="module")
def frozen_choice(mlp_paths) -> IOChoice:
    return explorer.suggest(explorer.load(mlp_paths["frozen_pb"]))


def test_frozen_graph_inputs_outputs_and_switch(frozen_choice):
    ins, outs = frozen_choice.inputs, frozen_choice.outputs
    assert _names(ins) == ["x:0", "keep_prob:0"]
    assert ins[0].kind == "placeholder" and ins[0].shape == (None, 4) and ins[0].dtype == "float32"
    assert "must be fed" in ins[0].reason and "feeds probs:0" in ins[0].reason
    switch = ins[1]
    assert switch.kind == "switch" and switch.default == "1.0"
    assert "PlaceholderWithDefault" in switch.reason and "default 1.0" in switch.reason
    assert _names(outs)[:2] == ["probs:0", "logits/BiasAdd:0"]
    assert outs[0].score > outs[1].score
    assert "nothing in the inference graph reads it" in outs[0].reason
    assert "scope logits" in outs[1].reason
    assert frozen_choice.to_json()["outputs"][0] == {
        "name": "probs:0",
        "dtype": "float32",
        "shape": None,
        "score": outs[0].score,
        "reason": outs[0].reason,
    }


@pytest.mark.parametrize("fmt", ["checkpoint_v1", "checkpoint_v2"])
def test_checkpoint_leaves_out_saver_and_init(mlp_paths, fmt):
    choice = explorer.suggest(explorer.load(mlp_paths[fmt]))
    assert _names(choice.inputs)[:2] == ["x:0", "keep_prob:0"]
    assert choice.outputs[0].name == "probs:0" and choice.outputs[0].shape == (None, 3)
    for c in choice.inputs + choice.outputs:
        assert not c.name.startswith(("save/", "init")), c


def test_saved_model_signature_tensors_first(mlp_paths):
    choice = explorer.suggest(explorer.load(mlp_paths["saved_model"]))
    assert choice.inputs[0].name == "x:0" and choice.inputs[0].kind == "signature"
    assert "signature input 'x' of serving_default" in choice.inputs[0].reason
    assert {c.name for c in choice.outputs[:2]} == {"probs:0", "logits/BiasAdd:0"}
    assert all(c.kind == "signature" for c in choice.outputs[:2])
    assert len(set(_names(choice.outputs))) == len(choice.outputs)  # no duplicates
    assert choice.inputs[1].name == "keep_prob:0"  # the switch after the signature


def test_suggest_accepts_a_catalog_and_limit(mlp_paths):
    catalog = explorer.Catalog.from_model(explorer.load(mlp_paths["frozen_pb"]))
    choice = explorer.suggest(catalog, limit=1)
    assert _names(choice.inputs) == ["x:0"] and _names(choice.outputs) == ["probs:0"]


def test_validate(frozen_choice):
    ok = frozen_choice.validate(["x:0"], ["probs:0"])
    assert ok and ok.defaults == ("keep_prob",) and "defaults used for keep_prob" in ok.message
    bad = frozen_choice.validate([], ["probs"])
    assert not bad and bad.missing == ("x",)
    assert bad.message.startswith("probs needs placeholder x, not fed")
    cut = frozen_choice.validate(["MatMul:0"], ["probs:0"])  # feeding mid-graph cuts x off
    assert cut.ok and cut.missing == ()
    extra = frozen_choice.validate(["x", "keep_prob", "dense/kernel"], ["probs:0"])
    assert extra.ok and extra.unused == () and extra.defaults == ()
    unused = frozen_choice.validate(["x:0", "keep_prob:0"], ["MatMul:0"])
    assert unused.unused == ("keep_prob:0",) and "unused input: keep_prob:0" in unused.message
    with pytest.raises(TensorNotFoundError, match="input 'nope' is not a tensor"):
        frozen_choice.validate(["nope"], ["probs:0"])
    with pytest.raises(TensorNotFoundError, match="'gone:0' is not an op"):
        frozen_choice.validate(["x"], ["gone:0"])


@pytest.mark.slow
@pytest.mark.parametrize("shared", params(lambda m: m.ranks_first))
def test_top_suggestions_on_real_models(shared):
    model = explorer.load(shared.path)
    choice = explorer.suggest(model)
    want_in, want_out = shared.ranks_first
    assert {c.name for c in choice.inputs[: len(want_in)]} == set(want_in), choice.inputs[:6]
    assert {c.name for c in choice.outputs[: len(want_out)]} == set(want_out), choice.outputs[:4]
    if model.signatures:
        sig_names = {
            spec.name
            for sig in model.signatures.values()
            for spec in list(sig.inputs.values()) + list(sig.outputs.values())
            if spec.name
        }
        n_sig = len([c for c in choice.outputs if c.kind == "signature"])
        assert n_sig and all(c.name in sig_names for c in choice.outputs[:n_sig])
        default = model.signatures.get("serving_default")
        if default is not None:
            assert choice.outputs[0].name in {s.name for s in default.outputs.values()}


@pytest.mark.slow
def test_training_ops_are_not_outputs_and_labels_rank_low():
    choice = explorer.suggest(explorer.load(shared_model("tf2onnx_regression_checkpoint")))
    bad = ("gradients", "GradientDescent", "save/", "init")
    assert not [c for c in choice.outputs if c.name.startswith(bad)]
    loss = next(c for c in choice.outputs if c.name == "truediv:0")
    assert loss.score < choice.outputs[0].score and "needs Y beyond pred" in loss.reason
    label = next(c for c in choice.inputs if c.name == "Y:0")
    assert "feeds no suggested output" in label.reason
    assert choice.validate(["X:0"], ["pred:0"]).ok
    assert choice.validate(["X:0"], ["truediv:0"]).missing == ("Y",)


def test_labels_unused_placeholders_and_vector_defaults(tmp_path):
    from explorer._tf import tf

    tf = tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        images = v1.placeholder(tf.float32, [None, 2], name="images")
        labels = v1.placeholder(tf.float32, [None, 2], name="labels")
        v1.placeholder(tf.float32, [], name="unused")
        scale = v1.placeholder_with_default([1.0, 1.0], [2], name="scale")
        offset = v1.placeholder_with_default(tf.zeros([2]) + 1.0, [2], name="offset")
        logits = tf.add(images * scale, offset, name="logits")
        tf.nn.softmax(logits, name="probs")
        tf.reduce_mean(tf.square(logits - labels), name="loss")
    path = tmp_path / "g.pb"
    path.write_bytes(g.as_graph_def().SerializeToString())
    choice = explorer.suggest(explorer.load(path))
    by_name = {c.name: c for c in choice.inputs}
    assert choice.inputs[0].name == "images:0"
    assert "named like a label" in by_name["labels:0"].reason
    assert "nothing reads it" in by_name["unused:0"].reason
    assert by_name["scale:0"].default == "float32[2]" and by_name["scale:0"].kind == "switch"
    assert by_name["offset:0"].default == "from add"
    assert by_name["labels:0"].score < by_name["images:0"].score
    assert choice.outputs[0].name == "probs:0"
    loss = next(c for c in choice.outputs if c.name == "loss:0")
    assert "training loss" in loss.reason and loss.score < 0


def test_signature_tensor_missing_from_graph_is_skipped(mlp_paths):
    from explorer.graph.specs import Signature, TensorSpec

    model = explorer.load(mlp_paths["saved_model"])
    ghost = TensorSpec("ghost:0", "float32", None)
    model.signatures["extra"] = Signature("extra", "predict", {"g": ghost}, {"g": ghost})
    choice = explorer.suggest(model)
    assert "ghost:0" not in _names(choice.inputs) + _names(choice.outputs)
