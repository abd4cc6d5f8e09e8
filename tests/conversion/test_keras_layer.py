"""keras_layer: a TF2 SavedModel signature as a Keras 3 layer, dict in and dict out."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import explorer
from explorer.examples.models import mlp_reference

RNG = np.random.default_rng(4)
A = RNG.normal(size=(32, 3)).astype(np.float32)
B = RNG.normal(size=(32, 2)).astype(np.float32)
TARGET = (A[:, :1] - B[:, 1:]).astype(np.float32)
W1 = RNG.normal(size=(3, 4)).astype(np.float32)
W2 = RNG.normal(size=(2, 4)).astype(np.float32)


def _body(a, b):
    return np.maximum(a @ W1 + b @ W2, 0)


@pytest.fixture(scope="module")
def two_input_dir(tmp_path_factory):
    """A TF2 SavedModel whose serving_default takes a [None,3] and b [None,2] (not via Keras)."""
    import tensorflow as tf

    class Body(tf.Module):
        def __init__(self):
            self.w1 = tf.Variable(W1, name="body/w1")
            self.w2 = tf.Variable(W2, name="body/w2")

        @tf.function(
            input_signature=[
                tf.TensorSpec([None, 3], tf.float32, name="a"),
                tf.TensorSpec([None, 2], tf.float32, name="b"),
            ]
        )
        def serve(self, a, b):
            h = tf.nn.relu(a @ self.w1 + b @ self.w2)
            return {"features": h, "score": tf.reduce_sum(h, axis=1)}

    body = Body()
    out = tmp_path_factory.mktemp("body") / "saved"
    tf.saved_model.save(body, str(out), signatures={"serving_default": body.serve})
    return out


def _head_model(layer):
    import keras

    a = keras.Input((3,), name="a")
    b = keras.Input((2,), name="b")
    out = layer({"a": a, "b": b})
    pred = keras.layers.Dense(1, name="head")(out["features"])
    return keras.Model({"a": a, "b": b}, {"pred": pred, "score": out["score"]})


def test_dict_in_dict_out(two_input_dir):
    layer = explorer.keras_layer(two_input_dir)
    assert set(layer.input_specs) == {"a", "b"}
    assert layer.output_specs["features"] == {"shape": [None, 4], "dtype": "float32"}
    got = layer({"a": A, "b": B})
    # float32 sums in another order: near-zero entries need an absolute tolerance too
    np.testing.assert_allclose(got["features"].numpy(), _body(A, B), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got["score"].numpy(), _body(A, B).sum(1), rtol=1e-5)
    with pytest.raises(explorer.errors.FeedError, match="missing: b, unknown: c"):
        layer({"a": A, "c": B})
    with pytest.raises(explorer.errors.FeedError, match="takes a dict with keys a, b"):
        layer(A)


def test_frozen_body_trains_a_head_and_saves_self_contained(two_input_dir, tmp_path):
    import keras

    sm = tmp_path / "body_copy"
    shutil.copytree(two_input_dir, sm)
    layer = explorer.keras_layer(sm)
    assert layer.trainable_weights == [] and len(layer.weights) == 2
    model = _head_model(layer)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss={"pred": "mse"})
    feeds = {"a": A, "b": B}
    before = model.evaluate(feeds, {"pred": TARGET}, verbose=0, return_dict=True)["loss"]
    model.fit(feeds, {"pred": TARGET}, epochs=15, batch_size=32, verbose=0)
    after = model.evaluate(feeds, {"pred": TARGET}, verbose=0, return_dict=True)["loss"]
    assert after < before * 0.9
    np.testing.assert_array_equal(layer.weights[0].numpy(), W1)  # the body stayed frozen
    expected = model.predict(feeds, verbose=0)

    path = tmp_path / "model.keras"
    model.save(path)
    shutil.rmtree(sm)  # the SavedModel travels inside the .keras file
    with pytest.raises(ValueError, match="safe mode refuses"):
        keras.models.load_model(path)
    reloaded = keras.models.load_model(path, safe_mode=False)
    got = reloaded.predict(feeds, verbose=0)
    for k in ("pred", "score"):
        np.testing.assert_array_equal(got[k], expected[k])


@pytest.mark.filterwarnings("error::UserWarning")  # e.g. optimizer state not restored
def test_trainable_body_shares_state_with_the_signature(two_input_dir, tmp_path):
    import keras

    layer = explorer.keras_layer(two_input_dir, trainable=True, name="body")
    assert [w.path for w in layer.trainable_weights] == ["body/body_w1", "body/body_w2"]
    model = _head_model(layer)
    # Adam over the SavedModel's variables: names carry neither '/' nor ':0'.
    model.compile(optimizer="adam", loss={"pred": "mse"})
    model.fit({"a": A, "b": B}, {"pred": TARGET}, epochs=2, verbose=0)
    trained = layer.weights[0].numpy()
    assert not np.array_equal(trained, W1)
    # The signature reads the trained variable (no copy): its output follows the new weights.
    np.testing.assert_allclose(
        layer({"a": A, "b": B})["features"].numpy(),
        np.maximum(A @ trained + B @ layer.weights[1].numpy(), 0),
        rtol=1e-5,
        atol=1e-6,
    )
    expected = model.predict({"a": A, "b": B}, verbose=0)["pred"]
    path = tmp_path / "trained.keras"
    model.save(path)
    reloaded = keras.models.load_model(path, safe_mode=False)
    np.testing.assert_array_equal(reloaded.get_layer("body").weights[0].numpy(), trained)
    np.testing.assert_array_equal(reloaded.predict({"a": A, "b": B}, verbose=0)["pred"], expected)


def test_converted_example_model(mlp_paths):
    import keras

    x = RNG.normal(size=(5, 4)).astype(np.float32)
    v2 = explorer.convert(explorer.load(mlp_paths["saved_model"]))
    layer = explorer.keras_layer(v2)
    assert set(layer.input_specs) == {"x"} and set(layer.output_specs) == {"probs", "logits"}
    inp = keras.Input((4,), name="x")
    out = layer({"x": inp})
    model = keras.Model(inp, keras.layers.Dense(2)(out["logits"]))
    np.testing.assert_allclose(layer(x)["probs"].numpy(), mlp_reference(x), rtol=1e-5)
    assert model.predict(x, verbose=0).shape == (5, 2)


@pytest.mark.slow
def test_tf1_saved_model_with_ref_variables_asks_for_conversion():
    from tests.conftest import shared_model

    with pytest.raises(explorer.errors.ConversionError, match="float_ref.*explorer.convert"):
        explorer.keras_layer(shared_model("serving_counter"))


def test_errors(two_input_dir, tmp_path):
    with pytest.raises(
        explorer.errors.SignatureNotFoundError, match="'predict' is not in .*serving"
    ):
        explorer.keras_layer(two_input_dir, signature="predict")
    with pytest.raises(explorer.errors.ModelNotFoundError, match="holds no SavedModel"):
        explorer.keras_layer(tmp_path)
