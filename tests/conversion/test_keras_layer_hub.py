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
    for training, tags in ((False, ""), (True, "train")):  # each mode runs its own graph
        with explorer.V1Runner(explorer.load(hub_modules["image_feature_vector"], tags=tags)) as r:
            want = r.infer({"images": IMAGES})["default"]
        got = layer(IMAGES, training=training)["default"].numpy()
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    for x in layer.weights:  # the training call updated the moving averages
        assert np.array_equal(x.numpy(), w[x.name]) == x.trainable, x.name
    w = {x.name: np.array(x.numpy()) for x in layer.weights}
    model(IMAGES, training=True)
    with explorer.ModelSession(explorer.load(hub_modules["image_feature_vector"])) as s:
        l2 = float(s.run("l2:0"))
    assert [float(v) for v in model.losses] == pytest.approx([l2], rel=1e-5)
    mse = float(np.mean((model.predict(IMAGES, verbose=0) - TARGETS) ** 2))
    loss = model.evaluate(IMAGES, TARGETS, batch_size=16, verbose=0)
    assert loss == pytest.approx(mse + l2, rel=1e-4)  # the l2 loss is part of the objective
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


def test_old_exports_without_trainable_flags(hub_modules, tmp_path):
    """TF1-era VariableDefs lack ``trainable``: the module's trainable_variables decide."""
    import shutil

    from tensorflow.core.framework import variable_pb2
    from tensorflow.core.protobuf import saved_model_pb2

    old = tmp_path / "old"
    shutil.copytree(hub_modules["image_feature_vector"], old)
    sm = saved_model_pb2.SavedModel()
    sm.ParseFromString((old / "saved_model.pb").read_bytes())
    for mg in sm.meta_graphs:
        for key in ("variables", "trainable_variables"):
            values = mg.collection_def[key].bytes_list.value
            for i, raw in enumerate(values):
                vd = variable_pb2.VariableDef()
                vd.ParseFromString(raw)
                vd.ClearField("trainable")
                values[i] = vd.SerializeToString()
    (old / "saved_model.pb").write_bytes(sm.SerializeToString())
    v2 = explorer.convert(explorer.load(old))  # and so does the converted SavedModel
    assert [v.name for v in v2.variables if v.trainable] == [
        "conv/kernel:0",
        "bn/gamma:0",
        "bn/beta:0",
    ]
    layer = keras_layer(old, trainable=True)
    assert [w.name for w in layer.trainable_weights] == ["conv_kernel", "bn_gamma", "bn_beta"]


def test_train_tags_pair_with_the_inference_graph(hub_modules):
    train = explorer.load(hub_modules["image_feature_vector"], tags="train")
    layer = keras_layer(train, trainable=True)
    assert layer.train_signature == "default__train"  # inference still runs set()'s graph
    mean = next(x for x in layer.weights if x.name == "bn_moving_mean")
    before = mean.numpy().copy()
    layer(IMAGES, training=False)
    np.testing.assert_array_equal(mean.numpy(), before)


def test_several_inputs_in_a_functional_model(hub_modules):
    layer = keras_layer(hub_modules["multi_signature"], "pair")
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    out = layer({"a": a, "b": b})
    model = keras.Model({"a": a, "b": b}, [out["sum"], out["dot"]])
    xa, xb = np.ones((2, 3), np.float32), np.full((2, 3), 2.0, np.float32)
    total, dot = model.predict({"a": xa, "b": xb}, verbose=0)
    np.testing.assert_array_equal(total, xa + xb)
    np.testing.assert_allclose(dot, [6.0, 6.0])


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


def test_records_and_signatures_checked(hub_modules, tmp_path):
    from explorer.conversion.keras_layer import hub_meta
    from explorer.errors import SignatureNotFoundError

    (tmp_path / "assets.extra").mkdir()
    (tmp_path / "assets.extra" / "tf1_explorer.json").write_text("{not json")
    assert hub_meta(tmp_path) is None  # a damaged record: a plain SavedModel then
    folder = explorer.convert(explorer.load(hub_modules["multi_signature"])).save(tmp_path / "c")
    assert hub_meta(folder)["train_signatures"] == {}
    with pytest.raises(SignatureNotFoundError, match="training signature 'nope' is not in"):
        HubModuleLayer(str(folder), "default", train_signature="nope")
