"""``latency_table``: every runner timed on the same feeds, interleaved; the fastest named."""

from __future__ import annotations

import time

import numpy as np
import pytest

import explorer
from explorer.comparing.latency import latency_table
from explorer.conversion.onnx import OnnxRunner
from explorer.conversion.v2_model import V2Runner
from explorer.running.base import FnRunner
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


def _sleeper(stalls: dict[int, float]) -> FnRunner:
    """A runner whose call ``n`` (from 0) sleeps ``stalls[n]`` seconds, every other call none."""
    calls = iter(range(1000))

    def fn(_feeds: dict) -> dict:
        time.sleep(stalls.get(next(calls), 0.0))
        return {}

    return FnRunner(fn)


def test_one_stalled_call_does_not_end_the_timing_a_slow_model_still_does():
    stalled = _sleeper({2: 0.6})  # two warmup calls, then the first round stalls 12x the budget
    cells = latency_table({"a": stalled}, {1: {}}, rounds=(3, 10), seconds=0.05)["artifacts"]["a"]
    assert cells["1"]["rounds"] >= 3 and cells["1"]["ms"] < 600, cells  # the stall's median lost
    slow = _sleeper(dict.fromkeys(range(1000), 0.06))  # every call past 10x the budget
    cells = latency_table({"a": slow}, {1: {}}, rounds=(3, 10), seconds=0.005)["artifacts"]["a"]
    assert cells["1"]["rounds"] == 1, cells
