"""``explorer.reference``: the written script (run by this venv's TensorFlow 2.21 through
``tf.compat.v1``, in a real subprocess) records outputs that prove a conversion, in every format it
loads; a difference shows on the right side (the conversion's or TensorFlow's)."""

from __future__ import annotations

import ast
import hashlib
import json
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

import explorer
from explorer.errors import ParityError

FORMATS = ("saved_model", "frozen_pb", "checkpoint_v2")

# runs each written script as ``python reference.py`` would (``__main__``), in ONE subprocess (one
# TensorFlow import); a script that fails prints ``FAILED path: reason`` and the next one runs
RUNNER = """
import runpy, sys
for script in sys.argv[1:]:
    sys.argv = [script]
    try:
        runpy.run_path(script, run_name="__main__")
    except BaseException as e:
        print("FAILED", script + ":", type(e).__name__, (str(e).strip() or "-").splitlines()[0])
"""


def run_scripts(scripts: list[Path]) -> dict[Path, str]:
    """Run the ``reference.py`` scripts; script -> why it failed (only those that did)."""
    res = subprocess.run(
        [sys.executable, "-c", RUNNER, *map(str, scripts)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    failed = [
        line.split(" ", 2)[1:] for line in res.stdout.splitlines() if line.startswith("FAILED")
    ]
    return {Path(path.rstrip(":")): why for path, why in failed}


def tamper(npz: Path, name: str, change) -> None:
    """Rewrite entry ``name`` of ``npz`` as ``change(array)``, every other entry kept."""
    with np.load(npz) as z:
        arrays = {k: z[k] for k in z.files}
    arrays[name] = change(arrays[name])
    np.savez(npz, **arrays)


@pytest.fixture(scope="module")
def written(mlp_paths, tmp_path_factory) -> dict[str, Path]:
    """Format -> the folder of the MLP's reference, its script run (reference.npz written)."""
    base = tmp_path_factory.mktemp("reference")
    folders = {
        fmt: explorer.reference(mlp_paths[fmt], base / fmt, explorer.Sampled(batches=2))
        for fmt in FORMATS
    }
    assert run_scripts([f / "reference.py" for f in folders.values()]) == {}
    return folders


def test_the_script_parses_as_python_3_5_and_needs_only_tensorflow_and_numpy(written, mlp_paths):
    src = (written["checkpoint_v2"] / "reference.py").read_text()
    tree = ast.parse(src, feature_version=(3, 5))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert imported == {"argparse", "hashlib", "json", "os", "platform", "numpy", "tensorflow"} | {
        "google"  # protobuf's text_format, for a .pbtxt
    }
    assert "f'" not in src and 'f"' not in src  # no f-string (ast on 3.11 would accept one)
    config = next(n for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "CONFIG")
    config = ast.literal_eval(config.value)
    assert config["model"] == str(Path(mlp_paths["checkpoint_v2"]).resolve())
    assert config["format"] == "checkpoint" and config["prefix"]
    assert [t["name"] for t in config["targets"]] == ["serving_default"]
    assert config["targets"][0]["batches"] == 2
    # feeds.npz holds no pickle: plain arrays only
    with np.load(written["checkpoint_v2"] / "feeds.npz", allow_pickle=False) as z:
        assert sorted(z.files) == ["t0.b0.i0", "t0.b1.i0"]
        assert z["t0.b0.i0"].shape == (2, 4)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_reference_proves_the_conversion_of_each_format(written, mlp_paths, fmt):
    folder = written[fmt]
    summary = explorer.parity(
        mlp_paths[fmt], explorer.convert(mlp_paths[fmt]), reference=folder / "reference.npz"
    )
    assert summary.passed, summary.to_json()
    ref = summary.reports["serving_default"].reference
    assert ref["tf_version"] == tf.__version__
    assert ref["python"] == platform.python_version()
    assert ref["cpu"].strip()
    assert ref["feeds_sha256"] == hashlib.sha256((folder / "feeds.npz").read_bytes()).hexdigest()
    assert ref["drift"] and all(d["max_abs"] == 0.0 for d in ref["drift"].values())
    assert summary.reports["serving_default"].batches == 2
    assert summary.to_json()["signatures"]["serving_default"]["reference"] == ref


def test_the_script_runs_alone_on_a_model_path_it_is_given(written, mlp_paths, tmp_path):
    """``python reference.py MODEL --out OUT`` with TF 2.21: the outputs of the fixture's run."""
    model = tmp_path / "moved.pb"
    shutil.copy(mlp_paths["frozen_pb"], model)
    out = tmp_path / "again.npz"
    script = written["frozen_pb"] / "reference.py"
    res = subprocess.run(
        [sys.executable, str(script), str(model), "--out", str(out)], capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert f"wrote {out} (TensorFlow {tf.__version__})" in res.stdout
    with np.load(out) as a, np.load(written["frozen_pb"] / "reference.npz") as b:
        assert json.loads(str(a["meta"]))["model"] == str(model)
        assert sorted(a.files) == sorted(b.files)
        for k in a.files:
            if k != "meta":
                np.testing.assert_array_equal(a[k], b[k])


def test_a_deliberate_difference_shows_as_tensorflows_drift(written, mlp_paths, tmp_path):
    """The reference's ``probs`` moved: parity fails against it, and the drift section shows TF
    2.21's own v1 runtime differing from it while v1 and v2 agree with each other."""
    folder = tmp_path / "edited"
    shutil.copytree(written["saved_model"], folder)
    with np.load(folder / "reference.npz") as z:
        outputs = json.loads(str(z["meta"]))["config"]["targets"][0]["outputs"]
    k = [key for key, _ in outputs].index("probs")
    tamper(folder / "reference.npz", f"t0.b1.o{k}", lambda a: a + np.float32(0.25))
    model, v2 = mlp_paths["saved_model"], explorer.convert(mlp_paths["saved_model"])
    summary = explorer.parity(model, v2, reference=folder / "reference.npz")
    report = summary.reports["serving_default"]
    assert not summary.passed
    assert report.outputs["probs"].status == "failed"
    assert report.outputs["logits"].status == "passed"
    drift = report.reference["drift"]
    assert drift["probs"]["status"] == "failed" and drift["probs"]["max_abs"] == pytest.approx(0.25)
    assert drift["logits"] == {"max_abs": 0.0, "status": "passed", "reason": ""}
    assert any("probs: this TensorFlow's v1 runtime differs from" in n for n in report.notes)
    assert any("the difference is TensorFlow's, not the conversion's" in n for n in report.notes)
    # v1 and v2 agree with each other on the same feeds: the conversion is not to blame
    with np.load(folder / "feeds.npz") as z:
        feeds = [{"x": z[f"t0.b{b}.i0"]} for b in range(2)]
    assert explorer.parity(model, v2, source=feeds).passed


def test_a_reference_refuses_what_does_not_belong_to_it(written, mlp_paths, tmp_path):
    model, v2 = mlp_paths["saved_model"], explorer.convert(mlp_paths["saved_model"])
    with pytest.raises(ParityError, match=r"does not exist: give the reference.npz"):
        explorer.parity(model, v2, reference=tmp_path / "none.npz")
    folder = tmp_path / "other_feeds"
    shutil.copytree(written["saved_model"], folder)
    tamper(folder / "feeds.npz", "t0.b0.i0", lambda a: a + 1)
    with pytest.raises(ParityError, match=r"feeds.npz is not the feeds reference.npz was recorded"):
        explorer.parity(model, v2, reference=folder / "reference.npz")
    (folder / "feeds.npz").unlink()
    with pytest.raises(ParityError, match=r"feeds.npz is missing: keep the feeds.npz"):
        explorer.parity(model, v2, reference=folder / "reference.npz")
    # the frozen graph's reference names tensors (x:0 -> probs:0), the SavedModel's signature keys
    with pytest.raises(ParityError, match=r"recorded for another model or target"):
        explorer.parity(model, v2, reference=written["frozen_pb"] / "reference.npz")
    with pytest.raises(ParityError, match="not both"):
        explorer.parity(model, v2, source=[{}], reference=written["saved_model"] / "reference.npz")
