"""``convert/migrate --to onnx`` and the latency table of ``migrate``: real processes with stderr
read (a missing ``[onnx]`` extra, a success), and ``--to onnx`` on every shared model: proven, or
refused in one stderr line naming the reason."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from explorer import _tf
from tests.helpers import assert_refused, run_migrate
from tests.shared_models import Proves, Refused, params

ROOT = Path(__file__).resolve().parents[2]
QUIET = (_tf.LEVEL_ENV, _tf.VERBOSE_ENV)  # conftest's level: explorer quiets TF itself

# What ``migrate --to onnx --batches 1`` does with each shared model (tf2onnx 1.17, opset 17).
ONNX: dict[str, Proves | Refused | str] = {
    "serving_half_plus_two": Refused("does not convert ParseExample"),  # of tf.Examples
    "serving_counter": Refused("'incr_counter' updates variables (AssignAddVariableOp)"),
    "serving_half_plus_two_gpu": Refused("does not convert ParseExample"),
    "serving_no_signatures_checkpoint": Proves({"serving_default": ("Add:0",)}),
    "tf2onnx_regression_frozen": Proves({"serving_default": ("pred:0",)}),
    "tf2onnx_regression_checkpoint": Proves({"serving_default": ("pred:0",)}),
    "tf2onnx_regression_saved_model": Proves(),
    "tf2onnx_fc_layers_frozen": Proves({"serving_default": ("output:0",)}),
    "tfx_chicago_taxi_serving": Refused("does not convert ParseExampleV2"),
    "tfx_chicago_taxi_eval": Refused("'eval' updates variables (AssignAddVariableOp)"),
    "agent007_speech_frozen": Refused("does not convert AudioSpectrogram, DecodeWav, Mfcc"),
    # float32 drift of onnxruntime's kernels: max abs 1.8e-5 on tanh outputs (1e-5 fails)
    "chadpro_mnist_gan_ckpt": Proves({"serving_default": ("Tanh:0",)}),
    "fije_neural_ibm1_ckpt": Proves(),
    "haidi_deepmd_cu_frozen": Refused("does not register: DescrptSeA"),
    "leanderlxz_seq2seq_ckpt": Proves(),  # v1 while loops and TensorArrays: a Loop in ONNX
    "blaueck_mtcnn_pipeline_frozen": Refused("does not convert TensorArrayConcatV3"),
    # proves (parity and latency) in about 6 min on two busy cores: too slow for the suite
    "minakhan01_ssd_frozen": "proved 2026-12-05; minutes of tf2onnx and batch-32 latency",
}
FLAGS = {"chadpro_mnist_gan_ckpt": ("--atol", "1e-4")}


def _cli(*args: object, code: str | None = None):
    """``python -m explorer ARGS`` (or ``python -c CODE ARGS``) in a fresh process, stderr a
    pipe."""
    return subprocess.run(
        [sys.executable, *(["-c", code] if code else ["-m", "explorer"]), *map(str, args)],
        capture_output=True,
        text=True,
        env={**{k: v for k, v in os.environ.items() if k not in QUIET}, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.DEVNULL,
        timeout=600,
    )


def test_convert_to_onnx_writes_a_model_onnxruntime_runs(mlp_paths, tmp_path):
    out = tmp_path / "onnx"
    proc = _cli("convert", mlp_paths["saved_model"], out, "--to", "onnx")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert f"{out}  (ONNX opset 17): serving_default.onnx" in proc.stdout
    meta = json.loads((out / "tf1_explorer_onnx.json").read_text())
    assert meta["opset"] == 17 and "serving_default" in meta["signatures"]
    assert (out / "serving_default.onnx").stat().st_size > 100


def test_missing_extra_is_one_line_before_any_work(mlp_paths, tmp_path):
    """Without tf2onnx importable, ``migrate --to onnx`` stops at once, saying the extra."""
    run = "from explorer.cli import main; sys.exit(main(sys.argv[1:]))"
    code = f"import sys; sys.modules['tf2onnx'] = None; {run}"
    out = tmp_path / "out"
    proc = _cli("migrate", mlp_paths["frozen_pb"], out, "--to", "onnx", code=code)
    lines = proc.stderr.splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert lines[0].startswith("tf1-explorer migrate: ONNX export needs the optional extra onnx")
    assert lines[0].endswith("pip install tf1-explorer[onnx]") and not out.exists()
    assert "[1/7]" not in proc.stdout


@pytest.mark.parametrize("to", ["saved_model", "onnx"])
def test_migrate_json_holds_the_latency_of_each_proven_artifact(mlp_paths, tmp_path, to):
    status, report, err = run_migrate(mlp_paths["frozen_pb"], tmp_path / to, "--to", to)
    assert status == 0 and err == [], err
    table = report["steps"]["latency"]
    artifact = "ONNX Runtime" if to == "onnx" else "TF2 SavedModel"
    assert set(table["artifacts"]) == {"v1 session", artifact}
    for cells in table["artifacts"].values():
        for batch in ("1", "32"):
            assert cells[batch]["ms"] > 0 and cells[batch]["examples_per_second"] > 0, cells
    assert table["serve"] in table["artifacts"] and set(table["fastest"]) == {"1", "32"}


@pytest.mark.slow
@pytest.mark.parametrize("shared", params())
def test_migrate_to_onnx_on_every_shared_model(shared, tmp_path):
    """Each shared model: ``--to onnx`` proves what the table says (the ONNX folder written, the
    latency table there) or refuses in one stderr line naming the reason, writing nothing."""
    expected, out = ONNX[shared.name], tmp_path / "out"
    if isinstance(expected, str):
        pytest.skip(expected)
    flags = ("--to", "onnx", "--batches", "1", *FLAGS.get(shared.name, ()))
    if isinstance(expected, Refused):
        assert_refused(shared.path, out, expected.words, *flags)
        return
    status, report, err = run_migrate(shared.path, out, *flags)
    assert status == 0 and err == [], (status, err, report and report.get("signatures"))
    assert report["passed"] and (out / "tf1_explorer_onnx.json").is_file()
    if expected.outputs:
        assert {k: tuple(v["outputs"]) for k, v in report["proved"].items()} == expected.outputs
    timed = report["steps"]["latency"]["artifacts"]
    assert set(timed) == {"v1 session", "ONNX Runtime"}
