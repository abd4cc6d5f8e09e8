"""explorer.load and V1Model.session on every TF1 format, built here and real."""

from __future__ import annotations

import numpy as np
import pytest

import explorer
from explorer.examples.models import mlp_reference
from tests.conftest import shared_model
from tests.model_builders.mlp_formats import MLP_FORMATS
from tests.shared_models import params

X = np.random.default_rng(1).normal(size=(5, 4)).astype(np.float32)

EXPECTED_FORMAT = {
    "saved_model": "saved_model",
    "two_tags": "saved_model",
    "simple_save": "saved_model",
    "frozen_pb": "frozen_graph",
    "frozen_pbtxt": "frozen_graph",
    "checkpoint_v2": "checkpoint",
    "checkpoint_v1": "checkpoint",
}


@pytest.mark.parametrize("fmt", MLP_FORMATS)
def test_every_format_loads_and_computes(mlp_paths, fmt):
    tags = ["serve"] if fmt == "two_tags" else None
    model = explorer.load(mlp_paths[fmt], tags=tags)
    assert model.format == EXPECTED_FORMAT[fmt]
    if model.format != "frozen_graph":
        assert {v.name for v in model.variables} == {
            "dense/kernel",
            "dense/bias",
            "logits/kernel",
            "logits/bias",
        }
        assert all(v.kind == "ref" for v in model.variables)
        assert model.restore_op
    with explorer.ModelSession(model) as s:
        y = s.run("probs:0", {"x:0": X})
    np.testing.assert_allclose(y, mlp_reference(X), rtol=1e-5, atol=1e-6)


def test_saved_model_facts(mlp_paths):
    model = explorer.load(mlp_paths["saved_model"])
    assert model.tag_sets == [["serve"]]
    assert model.tf_version.startswith("2.")
    sig = model.signature()
    assert sig.name == "serving_default"
    assert sig.inputs["x"].name == "x:0" and sig.inputs["x"].dtype == "float32"
    assert sig.inputs["x"].shape == (None, 4)
    assert set(sig.outputs) == {"probs", "logits"}
    summary = model.summary()
    assert summary["node_count"] == model.node_count > 10
    assert summary["op_types"]["VariableV2"] == 4


def test_two_tag_sets_need_a_choice(mlp_paths):
    with pytest.raises(
        explorer.errors.AmbiguousModelError, match=r"2 tag sets .*serve.*train.*--tags"
    ):
        explorer.load(mlp_paths["two_tags"])
    assert explorer.load(mlp_paths["two_tags"], tags="train").tags == ["train"]
    with pytest.raises(
        explorer.errors.TagsError, match="no MetaGraph with tags gpu: choose one of serve"
    ):
        explorer.load(mlp_paths["two_tags"], tags=["gpu"])


def test_checkpoint_prefix_folder_and_meta_agree(mlp_paths):
    meta = mlp_paths["checkpoint_v2"]
    by_meta = explorer.load(meta)
    by_prefix = explorer.load(meta.with_suffix(""))
    by_folder = explorer.load(meta.parent)
    assert by_meta.checkpoint_prefix == by_prefix.checkpoint_prefix == by_folder.checkpoint_prefix


def test_state_file_with_foreign_absolute_path(mlp_paths, tmp_path):
    import shutil

    src = mlp_paths["checkpoint_v2"].parent
    dst = tmp_path / "moved"
    shutil.copytree(src, dst)
    (dst / "checkpoint").write_text(
        'model_checkpoint_path: "/nonexistent/machine/model"\n'
        'all_model_checkpoint_paths: "/nonexistent/machine/model"\n'
    )
    model = explorer.load(dst)
    assert model.checkpoint_prefix == str(dst / "model")
    with explorer.ModelSession(model) as s:
        np.testing.assert_allclose(s.run("probs:0", {"x:0": X}), mlp_reference(X), rtol=1e-5)


def test_missing_paths_and_empty_folders(tmp_path):
    with pytest.raises(explorer.errors.ModelNotFoundError, match="does not exist"):
        explorer.load(tmp_path / "nope")
    with pytest.raises(explorer.errors.ModelNotFoundError, match="holds no TF1 model"):
        explorer.load(tmp_path)


def test_truncated_saved_model(mlp_paths, tmp_path):
    import shutil

    dst = tmp_path / "sm"
    shutil.copytree(mlp_paths["saved_model"], dst)
    data = (dst / "saved_model.pb").read_bytes()
    (dst / "saved_model.pb").write_bytes(data[: len(data) // 3])
    with pytest.raises(explorer.errors.ModelFormatError, match=r"saved_model.pb is not a valid"):
        explorer.load(dst)


def test_saved_model_without_variables(mlp_paths, tmp_path):
    import shutil

    dst = tmp_path / "sm"
    shutil.copytree(mlp_paths["saved_model"], dst)
    shutil.rmtree(dst / "variables")
    model = explorer.load(dst)  # browsing still works
    assert len(model.variables) == 4
    with pytest.raises(
        explorer.errors.MissingVariablesError, match="4 variables but no checkpoint"
    ):
        explorer.ModelSession(model)


# -- the real TF1 models --------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("shared", params(lambda m: m.runs))
def test_shared_models_load_and_open_a_session(shared):
    model = explorer.load(shared.path)
    assert model.format == shared.format and sorted(model.signatures) == sorted(shared.signatures)
    assert model.node_count > 0
    with explorer.ModelSession(model) as s:
        for sig in model.signatures.values():
            for spec in list(sig.inputs.values()) + list(sig.outputs.values()):
                assert s.tensor(spec) is not None


@pytest.mark.slow
@pytest.mark.parametrize("name", ["serving_half_plus_two", "serving_half_plus_two_gpu"])
def test_half_plus_two_value(name):
    model = explorer.load(shared_model(name))
    sig = model.signature()
    x = np.array([[0.0], [1.0], [-3.0]], np.float32)
    with explorer.ModelSession(model) as s:
        y = s.run(sig.outputs["y"], {sig.inputs["x"]: x})
    np.testing.assert_allclose(y, 0.5 * x + 2)


@pytest.mark.slow
def test_no_signature_checkpoint_with_foreign_state_file():
    model = explorer.load(shared_model("serving_no_signatures_checkpoint"))
    assert model.format == "checkpoint" and model.signatures == {}
    assert model.checkpoint_prefix.endswith("serving_no_signatures_checkpoint/export")
    with explorer.ModelSession(model) as s:
        y = s.run("Add:0", {"Placeholder:0": np.array([1.0, 4.0], np.float32)})
    np.testing.assert_allclose(y, [2.5, 4.0])


@pytest.mark.slow
def test_tfma_sparse_signature_tensors_resolve():
    model = explorer.load(shared_model("tfx_chicago_taxi_eval"))
    sig = model.signature("eval")
    sparse = [s for s in sig.inputs.values() if s.kind == "sparse"]
    assert len(sparse) > 10
    import tensorflow as tf

    with explorer.ModelSession(model) as s:
        assert isinstance(s.tensor(sparse[0]), tf.compat.v1.SparseTensor)
