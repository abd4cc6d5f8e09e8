"""The Keras rewrite on the models the issue names and on every other shared model.

Priority models (``rewrite`` must give a model with NO fallback layer matching the v1 session
within 1e-5 on the TensorFlow and the JAX backend, each in a fresh process): the shared
``tf2onnx_fc_layers_frozen`` and ``tf2onnx_regression_checkpoint``, and real ``tf.compat.v1``
fixtures built in one subprocess by ``keras_fixtures.py``: a ``tf.compat.v1.layers`` MLP, a CNN
with fused and unfused batch norm behind a ``training`` switch and dropout, and text models
whose LSTM / BasicLSTM / GRU / BasicRNN cells run in ``dynamic_rnn`` v1 while loops. All of them
are checked by ONE process per backend (``check_rewrites``): the imports are the slow part.

Every other shared model gives a working model (checked here on TensorFlow) or a one-line reason.
"""

from __future__ import annotations

import numpy as np
import pytest

import explorer
from explorer.output_policy import MARKER
from explorer.rewriting.api import check_rewrites
from tests.conftest import shared_model
from tests.model_builders.zoo import build_zoo
from tests.rewriting.conftest import FIXTURES
from tests.shared_models import BY_NAME, Proves, Refused, params

# fixture or shared model -> the Keras layer kinds its rewrite must contain
KINDS = {
    "mlp": {"Dense"},
    "cnn_bn_dropout": {"Conv2D", "BatchNormalization", "MaxPooling2D", "Dropout", "Flatten"},
    "lstm": {"Embedding", "LSTM", "Dense"},
    "basic_lstm": {"LSTM"},
    "gru": {"GRU"},
    "rnn": {"SimpleRNN"},
    "lstm_lengths": {"LSTM", "Concatenate"},
    "tf2onnx_fc_layers_frozen": {"Dense"},
    "tf2onnx_regression_checkpoint": {"WithConstant"},
}


@pytest.mark.slow
def test_priority_models_are_native_and_match_v1_on_tensorflow_and_jax(keras_fixtures):
    cases = {name: (keras_fixtures / name / "model.meta", ["x:0"], ["y:0"]) for name in FIXTURES}
    cases["lstm_lengths"] = (
        keras_fixtures / "lstm_lengths" / "model.meta",
        ["x:0", "lengths:0"],
        ["y:0"],
    )
    for name in ("tf2onnx_fc_layers_frozen", "tf2onnx_regression_checkpoint"):
        shared = BY_NAME[name]
        cases[name] = (shared.path, [*shared.inputs], [*shared.outputs])
    rewrites = {
        name: explorer.to_keras(path, inputs=ins, outputs=outs, check=False)
        for name, (path, ins, outs) in cases.items()
    }
    # the fixtures' own saved feed too (the sampler's feeds are the generated ones)
    for name in FIXTURES:
        saved = np.load(keras_fixtures / name / "expected.npz")
        rw = rewrites[name]
        rw._feeds.append({k: saved[k] for k in rw.inputs})
        rw._expected.append({"y": saved["y"]})
    check_rewrites(list(rewrites.values()), backends=("tensorflow", "jax"))
    for name, rw in rewrites.items():
        assert rw.fallbacks == [], (name, rw.fallbacks)
        assert KINDS[name] <= {r["kind"] for r in rw.layers}, (name, rw.layers)
        for backend in ("tensorflow", "jax"):
            res = rw.parity["backends"][backend]
            assert res["passed"], (name, backend, res)
        assert rw.parity["passed"] and all(
            all(v.values()) for v in rw.parity["per_output"].values()
        )


@pytest.mark.slow
@pytest.mark.parametrize("shared", params(lambda m: isinstance(m.to_keras, Proves)))
def test_other_shared_models_give_a_working_model(shared):
    rw = explorer.to_keras(shared.path, check=False, **shared.keras_args)
    keras_model = rw.build()
    for feeds, want in zip(rw._feeds, rw._expected):
        got = keras_model(feeds, training=False)
        for key, value in want.items():
            np.testing.assert_allclose(np.asarray(got[key]), value, atol=1e-5, rtol=1e-5)
    assert rw.parity["fallbacks"] == [r for r in rw.parity["fallbacks"] if r["layer"]]


@pytest.mark.slow
@pytest.mark.parametrize("shared", params(lambda m: isinstance(m.to_keras, Refused)))
def test_other_shared_models_give_a_one_line_reason(shared):
    with pytest.raises(explorer.ExplorerError) as err:
        explorer.to_keras(shared.path, check=False, **shared.keras_args)
    message = str(err.value)
    assert shared.to_keras.words in message and "\n" not in message


def test_save_is_atomic_and_refuses_an_existing_folder(tmp_path):
    rw = explorer.to_keras(
        shared_model("tf2onnx_regression_frozen"), inputs=["X:0"], outputs=["pred:0"], check=False
    )
    out = rw.save(tmp_path / "out")
    assert sorted(p.name for p in out.iterdir() if p.name != MARKER) == [
        "model.py",
        "model.weights.h5",
        "parity.json",
    ]
    with pytest.raises(explorer.errors.OutputExistsError, match="exists: pass overwrite=True"):
        rw.save(out)
    rw.save(out, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary folder left


@pytest.mark.slow
def test_zoo_models_frozen_cnn_and_bidirectional_rnn_work_string_tables_give_a_reason(tmp_path):
    """The zoo's frozen tf.compat.v1.layers CNN (batch norm behind is_training, dropout behind
    keep_prob, all constants) rewrites natively; the mixed-dtypes model's vocabulary table is a
    one-line reason (its string input is fed to the constant folding without a TF error)."""
    paths = build_zoo(tmp_path, ["cnn_bn_frozen", "mixed_dtypes", "rnn_lstm"])
    rw = explorer.to_keras(paths["cnn_bn_frozen"], check=False)
    assert rw.fallbacks == [] and {"Conv2D", "BatchNormalization", "Dropout"} <= {
        r["kind"] for r in rw.layers
    }
    # bidirectional_dynamic_rnn with sequence_length: LSTM forward, GRU backward over the
    # ReverseSequence'd input (two marked keras.ops fallbacks), a dense head
    birnn = explorer.to_keras(paths["rnn_lstm"], check=False)
    assert {"LSTM", "GRU", "Dense"} <= {r["kind"] for r in birnn.layers}
    assert [f["replaces"] for f in birnn.fallbacks] == [
        ["bidirectional_rnn/bw/ReverseSequence"],
        ["ReverseSequence"],
    ]
    for case in (rw, birnn):
        keras_model = case.build()
        for feeds, want in zip(case._feeds, case._expected):
            for key, value in want.items():
                got = np.asarray(keras_model(feeds, training=False)[key])
                np.testing.assert_allclose(got, value, atol=1e-5, rtol=1e-5)
    with pytest.raises(
        explorer.errors.ConversionError, match=r"\(LookupTableFindV2\) has no Keras"
    ):
        explorer.to_keras(paths["mixed_dtypes"], check=False)
