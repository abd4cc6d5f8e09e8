"""Fine-tuning a TF1 Hub module under Keras 3: hub.KerasLayer fails on the same module; ours
trains the module's variables, runs the train graph's update ops in training only, adds the
regularization losses, and saves/reloads as .keras."""

from __future__ import annotations

import numpy as np
import pytest

import explorer
from explorer.conversion.keras_layer import HubModuleLayer, keras_layer

keras = pytest.importorskip("keras")
RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(0, 1, (16, 8, 8, 3)).astype(np.float32)
TARGETS = RNG.normal(size=(16, 1)).astype(np.float32)


def _head(layer):
    inp = keras.Input((8, 8, 3), name="images")
    model = keras.Model(inp, keras.layers.Dense(1, name="head")(layer(inp)["default"]))
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    return model


def test_hub_keras_layer_fails_on_the_same_module(hub_modules):
    from explorer.examples.hub_modules import import_hub

    hub = import_hub()
    for trainable in (True, False):
        layer = hub.KerasLayer(str(hub_modules["image_feature_vector"]), trainable=trainable)
        with pytest.raises(Exception):  # noqa: B017 - NotImplementedError from Keras 3's call
            _head(layer)


@pytest.mark.slow
def test_fine_tune_image_module(hub_modules, tmp_path):
    layer = keras_layer(explorer.load(hub_modules["image_feature_vector"]), trainable=True)
    assert isinstance(layer, HubModuleLayer) and layer.train_signature == "default__train"
    trainable = {w.name: w.trainable for w in layer.weights}
    assert trainable == {
        "conv_kernel": True,
        "bn_gamma": True,
        "bn_beta": True,
        "bn_moving_mean": False,
        "bn_moving_variance": False,
    }
    model = _head(layer)
    w = {x.name: np.array(x.numpy()) for x in layer.weights}
    model.predict(IMAGES, verbose=0)  # inference: the moving averages stay
    assert all(np.array_equal(x.numpy(), w[x.name]) for x in layer.weights)
    model(IMAGES, training=True)
    with explorer.load(hub_modules["image_feature_vector"]).session() as s:
        l2 = float(s.run("l2:0"))
    assert [float(v) for v in model.losses] == pytest.approx([l2], rel=1e-5)
    model.fit(IMAGES, TARGETS, epochs=2, batch_size=8, verbose=0)
    for name in ("conv_kernel", "bn_gamma", "bn_beta", "bn_moving_mean", "bn_moving_variance"):
        new = next(x for x in layer.weights if x.name == name).numpy()
        assert not np.allclose(new, w[name]), name  # trained, or updated by the train graph
    before = model.predict(IMAGES, verbose=0)
    path = tmp_path / "fine_tuned.keras"
    model.save(path)
    again = keras.models.load_model(path, safe_mode=False)
    np.testing.assert_array_equal(again.predict(IMAGES, verbose=0), before)
    reloaded = next(x for x in again.layers if isinstance(x, HubModuleLayer))
    assert reloaded.train_signature == "default__train" and reloaded.trainable


def test_frozen_layer_trains_only_the_head(hub_modules):
    layer = keras_layer(hub_modules["image_feature_vector"])  # a path; trainable=False
    model = _head(layer)
    w = {x.name: np.array(x.numpy()) for x in layer.weights}
    model.fit(IMAGES, TARGETS, epochs=1, batch_size=8, verbose=0)
    assert all(np.array_equal(x.numpy(), w[x.name]) for x in layer.weights)
    assert model.losses == []


def test_fine_tune_text_module_through_its_vocabulary(hub_modules, tmp_path):
    tf = pytest.importorskip("tensorflow")
    converted = tmp_path / "text"
    explorer.convert(explorer.load(hub_modules["text_embedding"])).save(converted)
    layer = keras_layer(converted, trainable=True)  # a converted module keeps its conventions
    assert isinstance(layer, HubModuleLayer) and layer.signature == "default"
    inp = keras.Input((), dtype="string", name="sentences")
    model = keras.Model(inp, keras.layers.Dense(1)(layer(inp)["default"]))
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    before = [np.array(x.numpy()) for x in layer.weights]
    sentences = tf.constant(["the cat sat", "a dog", "fish swam on the mat", "zebra"])
    model.fit(sentences, np.ones((4, 1), np.float32), epochs=2, verbose=0)
    after = [np.array(x.numpy()) for x in layer.weights]
    changed = [not np.allclose(a, b) for a, b in zip(after, before)]
    assert changed == [True, True]  # both partitions of the embedding table
    model(sentences, training=True)
    assert len(model.losses) == 1  # the module's l2 regulariser
