"""inspect's "problems": what will fail, said before anything runs (and without TensorFlow)."""

from __future__ import annotations

import shutil

import explorer
from explorer.cli import main
from explorer.inspection.gate import problems
from tests.conftest import shared_model


def _kinds(model):
    return [(p.kind, p.severity) for p in problems(model)]


def _frozen_copy(mlp_paths, tmp_path, name, change):
    from tensorflow.core.framework import graph_pb2

    gd = graph_pb2.GraphDef()
    gd.ParseFromString(mlp_paths["frozen_pb"].read_bytes())
    change(gd)
    p = tmp_path / name
    p.write_bytes(gd.SerializeToString())
    return explorer.load(p)


def test_a_sound_model_has_none(mlp_paths):
    for fmt in ("saved_model", "frozen_pb", "checkpoint_v2"):
        assert problems(explorer.load(mlp_paths[fmt])) == []


def test_a_saved_model_without_its_variables_folder(mlp_paths, tmp_path, capsys):
    dst = tmp_path / "novars"
    shutil.copytree(mlp_paths["saved_model"], dst)
    shutil.rmtree(dst / "variables")
    model = explorer.load(dst)
    (found,) = problems(model)
    assert (found.kind, found.severity) == ("missing-variables", "error")
    assert "novars has 4 variables but no checkpoint" in found.message
    assert "dense/kernel" in found.names
    assert main(["inspect", str(dst)]) == 0
    out = capsys.readouterr().out
    assert "problems    1 errors, 0 warnings" in out and "missing-variables" in out


def test_unregistered_ops_and_absent_devices(mlp_paths, tmp_path):
    def custom_and_pinned(gd):
        for n in gd.node:
            if n.name == "probs":
                n.op = "MyCustomSoftmax"
            n.device = "/device:TPU:0"

    model = _frozen_copy(mlp_paths, tmp_path, "odd.pb", custom_and_pinned)
    found = {p.kind: p for p in problems(model)}
    assert _kinds(model) == [("unregistered-op", "error"), ("absent-device", "warning")]
    assert "op type MyCustomSoftmax is not registered" in found["unregistered-op"].message
    assert "pinned to /device:TPU:0, a TPU this machine lacks" in found["absent-device"].message
    replaced = explorer.load(model.path, replacements={"MyCustomSoftmax": lambda i, a: i[0]})
    assert _kinds(replaced) == [("absent-device", "warning")]


def test_a_missing_asset_file(tmp_path):
    dst = tmp_path / "half_plus_two"
    shutil.copytree(shared_model("serving_half_plus_two"), dst)
    for f in (dst / "assets").iterdir():
        f.unlink()
    (found,) = problems(explorer.load(dst))
    assert found.kind == "missing-asset" and "foo.txt" in found.message
