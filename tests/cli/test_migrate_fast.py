"""``migrate`` without duplicated work (issue 26): the import worker starts before this process
imports TensorFlow (their imports overlap), the latency step times parity's own v1 session, and
the worker is gone when the command is."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_migrate_overlaps_the_worker_and_opens_one_v1_session(mlp_paths, tmp_path):
    argv = ["--verbose", "migrate", str(mlp_paths["saved_model"]), str(tmp_path / "out"), "--json"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "explorer", *argv], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    debug = [ln for ln in proc.stderr.splitlines() if ln.startswith("tf1-explorer: debug: ")]
    started = re.search(r"isolation worker (\d+) started \(TensorFlow (.+?) in", "\n".join(debug))
    assert started and started[2] == "not yet imported", debug
    assert any("isolation worker ready after" in ln for ln in debug), debug
    opened = [ln for ln in debug if "v1 session opened on" in ln]
    assert len(opened) == 1, debug  # parity's session, timed again by the latency step
    out = json.loads(proc.stdout)
    assert out["passed"] is True and out["output_dir"]
    cells = out["steps"]["latency"]["artifacts"]
    assert set(cells) == {"v1 session", "TF2 SavedModel"}
    assert all(c["1"]["ms"] > 0 and c["32"]["ms"] > 0 for c in cells.values())
    try:  # the worker was stopped at exit, not left to find its stdin closed
        os.kill(int(started[1]), 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive
