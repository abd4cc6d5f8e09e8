"""The rewrite report's ``feeds``: each feed's source and its batch (``feeding.rows_of``)."""

from __future__ import annotations

import numpy as np

import explorer
from tests.conftest import shared_model


def test_report_names_each_feed_source_and_batch():
    model = shared_model("tf2onnx_regression_checkpoint")
    given = [{"X:0": np.zeros(5, np.float32)}]
    rw = explorer.to_keras(model, ["X:0"], ["pred:0"], check=False, feeds=given, batches=(1, 4))
    assert rw.parity["feeds"] == [
        {"source": "generated", "batch": 1},
        {"source": "generated", "batch": 4},
        {"source": "given", "batch": 5},
    ]
