"""Outputs go beside the model, never into it: a SavedModel folder, the model's own files, or the
checkpoint's files."""

from __future__ import annotations

import pytest

import explorer
from explorer.loading.output_paths import (
    check_output,
    default_output_dir,
    model_files,
    output_problem,
)


def test_beside_a_frozen_graph_or_meta_file_in_its_folder_is_fine(mlp_paths):
    frozen = explorer.load(mlp_paths["frozen_pb"])
    folder = mlp_paths["frozen_pb"].parent
    assert output_problem(frozen, folder / "v2") is None
    assert output_problem(frozen, folder / "sub" / "v2") is None
    assert default_output_dir(frozen) == folder / "frozen_tf2"
    ckpt = explorer.load(mlp_paths["checkpoint_v2"])
    assert output_problem(ckpt, mlp_paths["checkpoint_v2"].parent / "v2") is None
    assert output_problem(ckpt, default_output_dir(ckpt)) is None


def test_the_models_files_and_folders_holding_them_are_refused(mlp_paths):
    frozen = explorer.load(mlp_paths["frozen_pb"])
    assert "is a file of the model" in output_problem(frozen, mlp_paths["frozen_pb"])
    assert "holds the model's file frozen.pb" in output_problem(
        frozen, mlp_paths["frozen_pb"].parent
    )
    ckpt = explorer.load(mlp_paths["checkpoint_v2"])
    names = {p.name for p in model_files(ckpt)}
    assert {"model.meta", "model.index", "checkpoint"} <= names
    assert any(n.startswith("model.data-") for n in names)
    for f in model_files(ckpt):
        with pytest.raises(explorer.errors.ConversionError, match="is a file of the model"):
            check_output(ckpt, f)
    v1 = explorer.load(mlp_paths["checkpoint_v1"])
    assert v1.checkpoint_prefix and output_problem(v1, v1.checkpoint_prefix)


def test_nothing_goes_into_a_saved_model_folder(mlp_paths):
    sm = explorer.load(mlp_paths["saved_model"])
    for out in (mlp_paths["saved_model"], mlp_paths["saved_model"] / "v2"):
        assert "inside the source model" in output_problem(sm, out)
    assert output_problem(sm, mlp_paths["saved_model"].parent / "v2") is None
    assert default_output_dir(sm) == mlp_paths["saved_model"].parent / "saved_model_tf2"
    assert "holds the model's file" in output_problem(sm, mlp_paths["saved_model"].parent)
