"""A signal at start-up (issue 23): SIGINT or SIGTERM sent while ``python -m explorer`` still
imports its verbs ends in the one line and exit 130/143, never a traceback. The flake this
replaces: the signal landed before the CLI's handlers existed (imports, parsing: seconds on a
busy machine). ``explorer/__main__.py`` now blocks both signals from its first line until
``main()`` handles them, so the test sends as soon as the block shows in ``/proc``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _blocked(pid: int, sig: int) -> bool:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return False
    mask = next(int(ln.split()[1], 16) for ln in lines if ln.startswith("SigBlk:"))
    return bool(mask >> (sig - 1) & 1)


@pytest.mark.parametrize(("sig", "code"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_signal_during_start_up_ends_in_one_line(tmp_path, mlp_paths, sig, code):
    env = dict(os.environ, PYTHONPATH=str(ROOT), TMPDIR=str(tmp_path))
    argv = [sys.executable, "-m", "explorer", "parity", str(mlp_paths["saved_model"])]
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    number = getattr(signal, sig)
    deadline = time.monotonic() + 60
    while not _blocked(proc.pid, number) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    proc.send_signal(number)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert err.splitlines() == [
        f"tf1-explorer parity: interrupted by {sig}; nothing half-written was left"
    ]
    assert out == "" and os.listdir(tmp_path) == []
