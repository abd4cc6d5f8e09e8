"""``tf1-explorer reference MODEL OUT_DIR`` and ``parity``/``migrate --reference REF.npz``: the
script it writes runs (TF 2.21 in v1 mode, a real subprocess), migrate proves against what it
recorded, and bad references end in one line, exit 2 (read from the subprocess's stderr)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tensorflow as tf

from explorer.cli import main
from tests.comparing.test_reference import tamper
from tests.helpers import cli_json


@pytest.fixture(scope="module")
def recorded(mlp_paths, tmp_path_factory) -> Path:
    """The MLP SavedModel's reference.npz: written by the CLI, recorded by its script."""
    out = tmp_path_factory.mktemp("cli_ref") / "ref"
    argv = ["reference", str(mlp_paths["saved_model"]), str(out), "--batches", "2"]
    assert main(argv) == 0
    script = out / "reference.py"
    res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    return out / "reference.npz"


def _fails_in_one_line(*argv: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}  # the CLI's quiet
    cmd = [sys.executable, "-m", "explorer", *argv]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    return lines[0]


def test_reference_json_names_the_script_and_refuses_a_folder_it_did_not_write(
    mlp_paths, tmp_path, capsys
):
    out = tmp_path / "ref"
    assert main(["reference", str(mlp_paths["frozen_pb"]), str(out), "--json"]) == 0
    got = cli_json(capsys)
    assert got == {
        "output_dir": str(out),
        "script": str(out / "reference.py"),
        "reference": str(out / "reference.npz"),
    }
    assert sorted(p.name for p in out.iterdir()) == [
        ".tf1-explorer-output",
        "feeds.npz",
        "reference.py",
    ]
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("mine")
    assert main(["reference", str(mlp_paths["frozen_pb"]), str(theirs), "--overwrite"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not written by tf1-explorer" in err[0]
    assert sorted(p.name for p in theirs.iterdir()) == ["notes.txt"]


def test_migrate_proves_against_the_reference_and_reports_the_drift(
    recorded, mlp_paths, tmp_path, capsys
):
    out = tmp_path / "v2"
    argv = ["migrate", str(mlp_paths["saved_model"]), str(out), "--reference", str(recorded)]
    assert main([*argv, "--json"]) == 0
    got = cli_json(capsys)
    assert got["passed"] is True and got["output_dir"] == str(out)
    assert set(got["steps"]["latency"]["artifacts"]) == {"v1 session", "TF2 SavedModel"}
    sig = got["signatures"]["serving_default"]
    assert sig["batches"] == 2
    ref = sig["reference"]
    assert ref["path"] == str(recorded) and ref["tf_version"] == tf.__version__
    assert ref["drift"]["probs"] == {"max_abs": 0.0, "status": "passed", "reason": ""}
    assert main(["parity", str(mlp_paths["saved_model"]), "--reference", str(recorded)]) == 0
    text = capsys.readouterr().out
    assert (
        f"proved probs, logits against the reference of TensorFlow {tf.__version__}, Python "
        in text
    ) or f"proved logits, probs against the reference of TensorFlow {tf.__version__}" in text
    assert f": {recorded}\n" in text
    assert "this TensorFlow's v1 runtime against the reference: " in text
    assert "probs passed max abs 0.0" in text
    feed = ["--feed", str(tmp_path / "x.npz")]
    assert main(["parity", str(mlp_paths["saved_model"]), "--reference", str(recorded), *feed]) == 2
    assert "--reference replays the feeds it was recorded with" in capsys.readouterr().err


def test_a_bad_reference_is_one_line_exit_2(recorded, mlp_paths, tmp_path):
    model = str(mlp_paths["saved_model"])
    line = _fails_in_one_line("parity", model, "--reference", str(tmp_path / "none.npz"))
    assert "none.npz does not exist: give the reference.npz reference.py wrote" in line
    moved = tmp_path / "moved"
    shutil.copytree(recorded.parent, moved)
    tamper(moved / "feeds.npz", "t0.b1.i0", lambda a: a * 2)
    out = tmp_path / "v2"
    line = _fails_in_one_line(
        "migrate", model, str(out), "--reference", str(moved / "reference.npz")
    )
    assert "feeds.npz is not the feeds reference.npz was recorded from" in line
    assert not out.exists()
    # another model: its input x:0 -> y:0, not the MLP's signature
    other = tmp_path / "other.pb"
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
        tf.identity(x * 3.0, name="y")
    other.write_bytes(g.as_graph_def().SerializeToString())
    line = _fails_in_one_line("parity", str(other), "--reference", str(recorded))
    assert "was recorded for another model or target" in line
    assert "tf1-explorer reference MODEL DIR" in line
