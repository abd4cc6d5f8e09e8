"""``tf1-explorer rewrite``: model.py + model.weights.h5 + parity.json, proven in fresh TF and
JAX processes; refusals are one line with exit status 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from explorer.cli import main
from tests.conftest import shared_model


def test_rewrite_writes_the_files_and_proves_both_backends(tmp_path, capsys):
    out = tmp_path / "keras"
    model = shared_model("tf2onnx_regression_checkpoint")
    argv = ["rewrite", str(model), str(out), "--inputs", "X:0", "--outputs", "pred:0", "--json"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] and report["fallbacks"] == [] and report["native_layers"] == 2
    assert set(report["backends"]) == {"tensorflow", "jax"}
    assert report["per_output"] == {"pred": {"tensorflow": True, "jax": True}}
    assert json.loads((out / "parity.json").read_text())["passed"] is True
    # the folder is self-contained: plain keras in a fresh process, no explorer on the path
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import model, numpy as np; "
        "m = model.build_model(); print(float(m({'X': np.ones((2,), 'float32')})['pred'][0]))"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["KERAS_BACKEND"] = "jax"
    done = subprocess.run(
        [sys.executable, "-c", code, str(out)], capture_output=True, text=True, env=env, cwd="/"
    )
    assert done.returncode == 0, done.stderr[-500:]
    assert "W = WithConstant(" in (out / "model.py").read_text()


def test_rewrite_refusals_are_one_line(tmp_path, capsys):
    model = shared_model("serving_counter")
    assert main(["rewrite", str(model), str(tmp_path / "o"), "--signature", "incr_counter"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("tf1-explorer rewrite: op incr_counter_op/AssignAdd (AssignAdd)")
    assert "\n" not in err and not (tmp_path / "o").exists()
    (tmp_path / "exists").mkdir()
    argv = ["rewrite", str(shared_model("tf2onnx_regression_frozen")), str(tmp_path / "exists")]
    assert main([*argv, "--inputs", "X:0", "--outputs", "pred:0", "--no-check"]) == 2
    assert "exists: pass overwrite=True (CLI: --overwrite)" in capsys.readouterr().err
    out = tmp_path / "nope"  # an unknown backend is refused before anything is written
    assert main(
        [*argv[:2], str(out), "--inputs", "X:0", "--outputs", "pred:0", "--backends", "nope"]
    )
    err = capsys.readouterr().err.strip()
    assert err == (
        "tf1-explorer rewrite: 'nope' is no Keras backend: choose from tensorflow, jax, torch, "
        "numpy, openvino"
    )
    assert not out.exists()
