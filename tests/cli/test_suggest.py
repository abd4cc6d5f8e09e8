"""``tf1-explorer suggest``: JSON shape, text, limits, and what it says when nothing is found."""

from __future__ import annotations

import json

from explorer.cli import main
from tests.helpers import CANDIDATE_KEYS


def test_suggest_json(mlp_paths, capsys):
    assert main(["suggest", str(mlp_paths["frozen_pb"]), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["inputs", "outputs"]
    for side in out.values():
        assert side and all(set(c) == CANDIDATE_KEYS for c in side)
        scores = [c["score"] for c in side]
        assert scores == sorted(scores, reverse=True)  # best first
    assert out["inputs"][0]["name"] == "x:0" and out["inputs"][0]["shape"] == [None, 4]
    assert out["outputs"][0]["name"] == "probs:0"


def test_suggest_text_and_limit(mlp_paths, capsys):
    assert main(["suggest", str(mlp_paths["saved_model"]), "--limit", "1"]) == 0
    out = capsys.readouterr().out
    assert "inputs (best first)" in out and "1. x:0  float32[?, 4]" in out
    assert "signature input 'x' of serving_default" in out and " 2. " not in out


def test_suggest_text_when_nothing_is_found(tmp_path, capsys):
    from tensorflow.core.framework import graph_pb2

    gd = graph_pb2.GraphDef()
    gd.node.add(name="only", op="NoOp")
    path = tmp_path / "noop.pb"
    path.write_bytes(gd.SerializeToString())
    assert main(["suggest", str(path)]) == 0
    assert capsys.readouterr().out.count("none found") == 2


def test_suggest_shows_the_feed_shape_the_graph_decides(tmp_path, capsys):
    from tests.feeding import shape_models

    path, _, _ = shape_models.reshaped(tmp_path)
    assert main(["suggest", str(path), "--json"]) == 0
    x = json.loads(capsys.readouterr().out)["inputs"][0]
    assert x["name"] == "x:0" and x["shape"] is None
    assert x["inferred"]["shape"] == [None, 784]
    assert main(["suggest", str(path)]) == 0
    assert "feed shape [?, 784]: dim 1 = 784: Reshape 'model/Reshape'" in capsys.readouterr().out
