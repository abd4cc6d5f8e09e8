"""V2Model.save: atomic writes, no overwrite by default, nothing left behind on failure."""

from __future__ import annotations

import json

import pytest

import explorer


def test_save_writes_atomically_and_never_overwrites_by_default(mlp_v2, mlp_paths, tmp_path):
    out = mlp_v2.save(tmp_path / "sm")
    assert (out / "saved_model.pb").is_file()
    meta = json.loads((out / "assets.extra" / "tf1_explorer.json").read_text())
    assert meta["variables"] == 4 and "serving_default" in meta["signatures"]
    marker = out / "keep.txt"
    marker.write_text("mine")
    with pytest.raises(explorer.errors.OutputExistsError, match="exists: pass overwrite=True"):
        mlp_v2.save(out)
    assert marker.read_text() == "mine"
    mlp_v2.save(out, overwrite=True)
    assert not marker.exists() and (out / "saved_model.pb").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["sm"]  # no temporary folders left
    with pytest.raises(explorer.errors.ConversionError, match="inside the source model"):
        mlp_v2.save(mlp_paths["saved_model"] / "v2")


def test_failed_save_leaves_nothing(mlp_v2, tmp_path, monkeypatch):
    from explorer._tf import tf

    def broken(obj, export_dir, signatures=None):
        (tmp_path / export_dir).joinpath("partial").write_text("x")
        raise OSError("disk full")

    monkeypatch.setattr(tf().saved_model, "save", broken)
    with pytest.raises(explorer.errors.ConversionError, match="failed: disk full"):
        mlp_v2.save(tmp_path / "out")
    assert list(tmp_path.iterdir()) == []
