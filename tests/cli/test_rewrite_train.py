"""``tf1-explorer rewrite --train-check``: TF1 training steps and the same Keras steps with the
optimizer carried over, on a shared training checkpoint; a graph with no optimizer exits 2."""

from __future__ import annotations

import json

import numpy as np
import pytest

from explorer.cli import main
from explorer.rewriting.api import exec_source
from tests.conftest import shared_model


def test_train_check_proves_five_steps_of_the_shared_regression_checkpoint(tmp_path, capsys):
    model = shared_model("tf2onnx_regression_checkpoint")
    argv = ["rewrite", str(model), str(tmp_path / "k"), "--inputs", "X:0", "--outputs", "pred:0"]
    assert main([*argv, "--backends", "tensorflow", "--no-check", "--train-check"]) == 0
    out = capsys.readouterr().out
    assert "train check: passed, 5 steps of ApplyGradientDescent -> keras SGD" in out
    assert "from iteration 0, loss truediv:0" in out
    for step in range(1, 6):
        assert f"tensorflow step {step}: ok, max abs loss " in out
    assert "gradients" in out and "weights" in out and "first difference" not in out
    assert "proved: loss truediv:0; gradient, value and slots of W; gradient, value and" in out
    assert (tmp_path / "k" / "model.py").is_file()
    train = tmp_path / "k" / "training"  # the loss rewrite and the TF1 optimizer state
    assert f"resume: import model; m = model.training_model(restore=True)  (in {train})" in out
    summary = json.loads((train / "train_check.json").read_text())
    assert summary["passed"] and len(summary["tf1_losses"]) == 5
    state = np.load(train / "optimizer.npz")
    assert int(state["iterations"]) == summary["iterations"] == 0
    ns = exec_source((train / "model.py").read_text(), str(train / "model.py"))
    resumed = ns["training_model"](restore=True)  # loads model.weights.h5 and optimizer.npz
    assert type(resumed.optimizer).__name__ == "SGD" and int(resumed.optimizer.iterations) == 0
    lr = summary["optimizer"]["learning_rate"]
    assert float(resumed.optimizer.learning_rate) == pytest.approx(lr)


def test_train_check_on_a_graph_without_optimizer_exits_2(tmp_path, capsys):
    model = shared_model("serving_no_signatures_checkpoint")
    out = tmp_path / "k"
    assert main(["rewrite", str(model), str(out), "--no-check", "--train-check"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no optimizer updates a variable: not a training graph" in err[0]
    assert not out.exists()
