"""V1Model.variables_dict and map_weights: TF1 checkpoints onto equivalent Keras 3 models.

The MLP and the CNN (with batch norm) are built with the REAL ``tf.compat.v1.layers`` (``dense``,
``conv2d``, ``max_pooling2d``, ``batch_normalization``, ``flatten``) with reference variables and
v1 control flow, trained a few Adam steps and saved as .meta + checkpoint by
``tests/conversion/v1_layers_models.py`` in one subprocess with ``TF_USE_LEGACY_KERAS=1``
(on TF 2.21 those
layers exist only through tf_keras; this process keeps Keras 3). The subprocess also saves the v1
session's outputs for fixed inputs, which the mapped Keras models must reproduce within 1e-5.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import explorer
from explorer.conversion.weight_mapping import map_weights

BUILDER = Path(__file__).with_name("v1_layers_models.py")


@pytest.fixture(scope="module")
def v1_layers_dir(tmp_path_factory) -> Path:
    """Folder with ``mlp/`` and ``cnn/`` (model.meta + checkpoint + expected.npz), built once."""
    if importlib.util.find_spec("tf_keras") is None:
        pytest.skip("tf_keras is not installed (pip install -e '.[dev]'): no tf.compat.v1.layers")
    out = tmp_path_factory.mktemp("v1_layers")
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(
        [sys.executable, str(BUILDER), str(out)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return out


def _expected(model) -> tuple[np.ndarray, np.ndarray]:
    """(fixed input x, the v1 session's output y for it) saved beside the model's .meta."""
    saved = np.load(Path(model.path).parent / "expected.npz")
    return saved["x"], saved["y"]


@pytest.fixture(scope="module")
def mlp_ckpt(v1_layers_dir):
    """tf.compat.v1.layers.dense x3 (dense, dense_1, dense_2: 4 -> 8 -> 8 -> 3), Adam slots."""
    return explorer.load(v1_layers_dir / "mlp" / "model.meta")


@pytest.fixture(scope="module")
def cnn_ckpt(v1_layers_dir):
    """conv2d -> max_pooling2d -> conv2d_1 -> batch_normalization -> flatten -> dense (5)."""
    return explorer.load(v1_layers_dir / "cnn" / "model.meta")


def _keras_mlp(names=None):
    import keras

    names = names or [None, None, None]
    return keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation="relu", name=names[0]),
            keras.layers.Dense(8, activation="relu", name=names[1]),
            keras.layers.Dense(3, name=names[2]),
        ]
    )


def _keras_cnn():
    import keras

    return keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
            keras.layers.BatchNormalization(epsilon=1e-3),
            keras.layers.Flatten(),
            keras.layers.Dense(5),
        ]
    )


def test_real_v1_layers_graphs_load_and_run_as_saved(mlp_ckpt, cnn_ckpt):
    # Reference variables as TF1 wrote them, the fused batch norm behind a training switch, and
    # explorer's own v1 session reproduces the builder's outputs (the reference for the mapping).
    for model in (mlp_ckpt, cnn_ckpt):
        ops = {n.op for n in model.graph_def.node}
        assert "VariableV2" in ops and "VarHandleOp" not in ops
        x, y = _expected(model)
        with explorer.ModelSession(model) as s:
            np.testing.assert_array_equal(s.run("y:0", {"x:0": x}), y)
    assert {"FusedBatchNormV3", "Switch", "Merge"} <= {n.op for n in cnn_ckpt.graph_def.node}
    moving = cnn_ckpt.variables_dict()["batch_normalization/moving_variance"]
    assert not np.allclose(moving, 1.0)  # trained: the moving statistics carry real values


# -- reading ---------------------------------------------------------------------------------------


def test_variables_dict_includes_optimizer_state_from_the_checkpoint(mlp_ckpt):
    got = mlp_ckpt.variables_dict()
    assert {"dense/kernel", "dense_2/bias", "global_step", "dense/kernel/Adam_1"} <= set(got)
    assert got["global_step"] == 5  # the builder's Adam steps
    assert got["dense_1/kernel"].shape == (8, 8)


# -- mapping ---------------------------------------------------------------------------------------


def test_mlp_checkpoint_maps_onto_keras_and_outputs_agree(mlp_ckpt):
    keras_model = _keras_mlp()
    mapping = map_weights(mlp_ckpt, keras_model)
    assert mapping.complete, mapping.problem_summary()
    assert len(mapping.matches) == 6
    assert {m.how for m in mapping.matches} <= {"name", "order"}
    assert "global_step" in mapping.skipped and "dense/kernel/Adam" in mapping.skipped
    assert {"beta1_power", "beta2_power", "dense_2/bias/Adam_1"} <= set(mapping.skipped)
    assert mapping.assign() == 6
    x, y = _expected(mlp_ckpt)
    np.testing.assert_allclose(keras_model.predict(x, verbose=0), y, atol=1e-5)


def test_cnn_with_batch_norm_maps_onto_keras_and_outputs_agree(cnn_ckpt):
    keras_model = _keras_cnn()
    mapping = map_weights(cnn_ckpt, keras_model)
    assert mapping.complete, mapping.problem_summary()
    by_v1 = {m.v1_name: m.keras_path for m in mapping.matches}
    assert by_v1["batch_normalization/moving_variance"].endswith("moving_variance")
    assert by_v1["conv2d_1/kernel"] == keras_model.layers[2].kernel.path
    assert not mapping.unmatched_v1 and not mapping.unmatched_keras and len(mapping.matches) == 10
    assert mapping.assign() == 10
    x, y = _expected(cnn_ckpt)
    np.testing.assert_allclose(keras_model.predict(x, verbose=0), y, atol=1e-5)
    assert mapping.to_json()["complete"] is True


def test_names_decide_when_order_differs(mlp_ckpt):
    import keras

    # Same layers, named like the TF1 scopes, but created in another order inside the model.
    d2 = keras.layers.Dense(3, name="dense_2")
    d0 = keras.layers.Dense(8, activation="relu", name="dense")
    d1 = keras.layers.Dense(8, activation="relu", name="dense_1")
    for layer, dim in ((d2, 8), (d0, 4), (d1, 8)):
        layer.build((None, dim))
    inp = keras.Input((4,))
    keras_model = keras.Model(inp, d2(d1(d0(inp))))
    mapping = map_weights(mlp_ckpt, keras_model)
    assert mapping.complete
    assert all(m.how == "name" for m in mapping.matches)
    assert {m.v1_name: m.keras_path for m in mapping.matches}["dense_1/kernel"] == d1.kernel.path
    mapping.assign()
    x, y = _expected(mlp_ckpt)
    np.testing.assert_allclose(keras_model.predict(x, verbose=0), y, atol=1e-5)


def test_unmatched_ambiguous_and_overrides(mlp_ckpt):
    import keras

    # Keras model with an extra 8x8 layer: the 8x8 kernels and [8] biases cannot be decided.
    extra = keras.Sequential(
        [keras.Input((4,))]
        + [keras.layers.Dense(8, name=f"h{i}") for i in range(3)]
        + [keras.layers.Dense(3, name="out")]
    )
    mapping = map_weights(mlp_ckpt, extra)
    assert not mapping
    assert set(mapping.ambiguous) == {"dense_1/kernel", "dense/bias", "dense_1/bias"}
    assert len(mapping.ambiguous["dense_1/kernel"]) == 2
    assert len(mapping.ambiguous["dense/bias"]) == 3
    with pytest.raises(explorer.errors.ConversionError, match="incomplete .*3 ambiguous"):
        mapping.assign()
    fixed = map_weights(
        mlp_ckpt,
        extra,
        overrides={
            "dense_1/kernel": extra.layers[1].kernel.path,
            "dense/bias": "h0/bias",
            "dense_1/bias": "h1/bias",
        },
    )
    assert not fixed.ambiguous
    assert [p.split("/", 1)[1] for p in fixed.unmatched_keras] == ["h2/kernel", "h2/bias"]
    assert fixed.assign(strict=False) == 6
    np.testing.assert_array_equal(
        extra.layers[1].kernel.numpy(), mlp_ckpt.variables_dict()["dense_1/kernel"]
    )
    # A Keras model missing a layer leaves v1 variables unmatched.
    small = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dense(3)])
    partial = map_weights(mlp_ckpt, small)
    assert partial.unmatched_v1 == ["dense_1/kernel"]  # no 8x8 kernel at all
    assert set(partial.ambiguous) == {"dense/bias", "dense_1/bias"}  # two [8] biases, one slot
    assert "dense_1/kernel -> ? (no Keras weight)" in str(partial)


def test_override_errors(mlp_ckpt):
    keras_model = _keras_mlp()
    with pytest.raises(explorer.errors.TensorNotFoundError, match="'nope'.*does not save"):
        map_weights(mlp_ckpt, keras_model, overrides={"nope": "x"})
    with pytest.raises(explorer.errors.TensorNotFoundError, match="'nope/kernel'.*lacks"):
        map_weights(mlp_ckpt, keras_model, overrides={"dense/kernel": "nope/kernel"})
    bias_path = keras_model.layers[0].bias.path
    with pytest.raises(explorer.errors.ConversionError, match="shapes differ"):
        map_weights(mlp_ckpt, keras_model, overrides={"dense/kernel": bias_path})
    import keras

    with pytest.raises(explorer.errors.ConversionError, match="no weights: build it first"):
        map_weights(mlp_ckpt, keras.Sequential([keras.layers.Dense(3)]))


def test_frozen_graph_has_nothing_to_map(mlp_paths):
    with pytest.raises(explorer.errors.ConversionError, match="frozen.pb has no variables to map"):
        map_weights(explorer.load(mlp_paths["frozen_pb"]), _keras_mlp())
