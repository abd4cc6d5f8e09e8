"""``latency_table``: every runner timed on the same feeds, interleaved; the fastest named."""

from __future__ import annotations

import numpy as np
import pytest

import explorer
from explorer.comparing.latency import latency_table
from explorer.conversion.onnx import OnnxRunner
from explorer.conversion.v2_model import V2Runner
from explorer.running.v1_runner import V1Runner


def test_latency_table_times_every_runner_and_names_the_one_to_serve(mlp_paths):
    model = explorer.load(mlp_paths["frozen_pb"])
    v2 = explorer.convert(model)
    onnx = explorer.convert(model, to="onnx")
    r1 = V1Runner(model)
    feeds = {1: r1.sample(1), 16: r1.sample(16), 2: {"x:0": np.zeros((2, 99), np.float32)}}
    runners = {"v1": r1, "tf2": V2Runner(v2), "onnx": OnnxRunner(onnx)}
    table = latency_table(runners, feeds, rounds=(3, 10), seconds=0.05)
    assert set(table["artifacts"]) == {"v1", "tf2", "onnx"}
    for name, cells in table["artifacts"].items():
        for batch in ("1", "16"):
            assert cells[batch]["ms"] > 0 and cells[batch]["rounds"] >= 3, (name, cells)
            per_ms = cells[batch]["examples_per_second"] / 1000
            assert per_ms == pytest.approx(int(batch) / cells[batch]["ms"], rel=1e-2)
        assert "x:0" in cells["2"]["error"]  # a feed of the wrong shape: one line, not timed
    fastest = {b: min(runners, key=lambda n: table["artifacts"][n][b]["ms"]) for b in ("1", "16")}
    assert table["fastest"] == {**fastest, "2": None} and table["serve"] == fastest["1"]
    assert not r1.is_active  # started and stopped by latency_table
