"""``migrate`` with no flags proves a model's accuracy counts beside its prediction (issue 24):
integer counts over the fed labels are heads; losses and the float accuracy stay left out."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import tensorflow as tf

from tests.helpers import snapshot


def test_migrate_proves_the_accuracy_counts_in_a_subprocess(heads, tmp_path):
    path, out = heads["metrics"], tmp_path / "out"
    before = snapshot(path)
    done = subprocess.run(
        [sys.executable, "-m", "explorer", "migrate", str(path), str(out), "--json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr + done.stdout[-2000:]
    report = json.loads(done.stdout)
    assert report["passed"] is True and snapshot(path) == before
    proved = report["proved"]["serving_default"]
    assert proved["outputs"] == ["probs:0", "correct:0", "labelled:0"]
    assert proved["inputs"] == ["x:0", "gold:0"]
    left = {w.partition(" ")[0]: w for w in report["steps"]["choice"]["left_out"]}
    assert "reads as labels" in left["truediv:0"]  # the float accuracy keeps its reason
    assert "the loss an optimizer minimizes" in left["loss:0"]
    sig = tf.saved_model.load(str(out)).signatures["serving_default"]
    assert sorted(sig.structured_outputs) == ["correct", "labelled", "probs"]
    got = sig(x=tf.ones([3, 4]), gold=tf.constant([0, 2, 4], tf.int64))
    assert got["labelled"].numpy() == 2 and 0 <= got["correct"].numpy() <= 2
    assert np.allclose(got["probs"].numpy().sum(axis=1), 1.0)
