"""``tf1-explorer scan`` (with suggest on bad and real models): JSON shape, text, exit 2."""

from __future__ import annotations

import json

import pytest

from explorer.cli import main
from tests.conftest import shared_model
from tests.helpers import build_risky_graph


def test_scan_json_and_text(tmp_path, capsys):
    path = build_risky_graph(tmp_path)
    assert main(["scan", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["findings"]
    rules = [f["rule"] for f in out["findings"]]
    assert rules[:2] == ["py-func", "unregistered-op"]  # errors first
    assert all({"rule", "severity", "nodes", "message"} <= set(f) for f in out["findings"])
    assert main(["scan", str(path)]) == 0
    text = capsys.readouterr().out
    assert "2 errors" in text and "file-system" in text and "MySquare" in text


def test_scan_text_mlp_dropout_and_clean_graph(mlp_paths, tmp_path, capsys):
    assert main(["scan", str(mlp_paths["frozen_pb"])]) == 0
    out = capsys.readouterr().out
    assert "0 errors, 1 warning, 0 info" in out and "stateful-random" in out  # the dropout

    from explorer._tf import tf

    g = tf().Graph()
    with g.as_default():
        x = tf().compat.v1.placeholder(tf().float32, [None, 2], name="x")
        tf().nn.softmax(x, name="probs")
    clean = tmp_path / "clean.pb"
    clean.write_bytes(g.as_graph_def().SerializeToString())
    assert main(["scan", str(clean)]) == 0
    assert "nothing found" in capsys.readouterr().out


@pytest.mark.parametrize("verb", ["suggest", "scan"])
def test_bad_model_exits_2_with_one_line(verb, tmp_path, capsys):
    assert main([verb, str(tmp_path / "missing.pb")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert (
        len(err) == 1 and err[0].startswith(f"tf1-explorer {verb}:") and "does not exist" in err[0]
    )


@pytest.mark.slow
def test_real_model_suggest_and_scan(capsys):
    path = str(shared_model("tf2onnx_regression_checkpoint"))
    assert main(["suggest", path, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["inputs"][0]["name"] == "X:0" and out["outputs"][0]["name"] == "pred:0"
    assert main(["scan", str(shared_model("serving_half_plus_two_gpu")), "--json"]) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert any(f["rule"] == "device-pin" and "GPU" in f["message"] for f in findings)
