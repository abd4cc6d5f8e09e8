"""``tf1-explorer inspect``: JSON shape, readable summary, one-line errors with exit 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from explorer.cli import main
from tests.shared_models import params

KEYS = {
    "format",
    "path",
    "tags",
    "tf_version",
    "node_count",
    "op_types",
    "signatures",
    "variables",
    "problems",
}


def test_inspect_json(mlp_paths, capsys):
    assert main(["inspect", str(mlp_paths["saved_model"]), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == KEYS
    assert out["signatures"]["serving_default"]["inputs"]["x"] == {
        "name": "x:0",
        "dtype": "float32",
        "shape": [None, 4],
    }
    assert {"name": "dense/kernel", "dtype": "float32", "shape": [4, 8], "kind": "ref"} in out[
        "variables"
    ]


def test_inspect_text(mlp_paths, capsys):
    assert main(["inspect", str(mlp_paths["checkpoint_v1"])]) == 0
    out = capsys.readouterr().out
    assert "format      checkpoint" in out and "dense/kernel" in out


def test_inspect_bad_path_exits_2_with_one_line(tmp_path):
    bad = tmp_path / "model.pb"
    bad.write_bytes(b"\x00\xff garbage \x13\x37" * 10)
    proc = subprocess.run(
        [sys.executable, "-m", "explorer", "inspect", str(bad)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith("tf1-explorer inspect:") and str(bad) in lines[-1]
    assert "Traceback" not in proc.stderr


def test_inspect_tags_flag(mlp_paths, capsys):
    assert main(["inspect", str(mlp_paths["two_tags"])]) == 2
    assert "--tags" in capsys.readouterr().err
    assert main(["inspect", str(mlp_paths["two_tags"]), "--tags", "train", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["tags"] == [["serve"], ["train"]]


@pytest.mark.slow
@pytest.mark.parametrize("shared", params())
def test_inspect_json_on_shared_models(shared, capsys):
    assert main(["inspect", str(shared.path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == KEYS and out["node_count"] > 0
