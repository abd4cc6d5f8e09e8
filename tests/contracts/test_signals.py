"""SIGINT and SIGTERM at each step of publishing, in real ``python -m explorer`` processes: before
the swap the old output stays whole, during the swap (signals held) the new one is published; the
run ends in one line (exit 130 or 143, no traceback), leaves no staging folder, lock or temp
folder, and its child processes (the rewrite check) are gone with it. ``TF1X_TEST_PAUSE=STEP``
makes the run wait 3 s at STEP after saying so on stderr."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from explorer import _tf
from explorer.output_policy import is_output, staged_folder
from tests.helpers import snapshot

ROOT = Path(__file__).resolve().parents[2]
CODES = {"SIGINT": 130, "SIGTERM": 143}


@pytest.fixture
def site(tmp_path, mlp_paths) -> dict[str, Path]:
    """The MLP SavedModel in ``sm/``, an earlier output ``out/`` (with ``old.txt``), ``tmp/``."""
    shutil.copytree(mlp_paths["saved_model"], tmp_path / "sm")
    (tmp_path / "tmp").mkdir()
    return {
        "root": tmp_path,
        "sm": tmp_path / "sm",
        "out": tmp_path / "out",
        "tmp": tmp_path / "tmp",
    }


def _start(site: dict[str, Path], argv: list[str], pause: str = "") -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in (_tf.LEVEL_ENV, _tf.VERBOSE_ENV)}
    env.update(PYTHONPATH=str(ROOT), TMPDIR=str(site["tmp"]), TF1X_TEST_PAUSE=pause)
    return subprocess.Popen(
        [sys.executable, "-m", "explorer", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _earlier_output(site: dict[str, Path]) -> dict[str, str]:
    """An earlier output of explorer's (marked) under ``out/``, holding ``old.txt``."""
    with staged_folder(site["out"], kind="earlier") as staging:
        (staging.path / "old.txt").write_text("the earlier output")
        staging.publish()
    return snapshot(site["out"])


def _finish(proc: subprocess.Popen, sig: str, verb: str) -> None:
    """The run ended by ``sig`` in one line."""
    out, err = proc.communicate(timeout=300)
    lines = [ln for ln in err.splitlines() if not ln.startswith("paused at ")]
    assert proc.returncode == CODES[sig], err
    assert lines == [f"tf1-explorer {verb}: interrupted by {sig}; nothing half-written was left"]


VERBS = {"convert": ["convert"], "rewrite": ["rewrite", "--no-check"]}


@pytest.mark.parametrize(
    ("verb", "sig", "step"),
    [
        (v, s, p)
        for v in VERBS
        for s in CODES
        for p in ("publish", "exchange")
        if v == "convert" or s == "SIGTERM"
    ],
)
def test_a_signal_at_each_publishing_step_leaves_the_old_or_the_new_output(site, verb, sig, step):
    old = _earlier_output(site)
    proc = _start(site, [*VERBS[verb], str(site["sm"]), str(site["out"]), "--overwrite"], step)
    assert proc.stderr.readline().strip() == f"paused at {step}"
    proc.send_signal(getattr(signal, sig))
    _finish(proc, sig, verb)
    if step == "publish":  # not yet swapped: the old output, whole
        assert snapshot(site["out"]) == old
    else:  # signals are held while swapping: the new output, whole
        assert is_output(site["out"]) and not (site["out"] / "old.txt").exists()
    assert sorted(os.listdir(site["root"])) == ["out", "sm", "tmp"]  # no staging, no lock
    assert os.listdir(site["tmp"]) == []


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@pytest.mark.parametrize("sig", CODES)
def test_a_signal_during_the_rewrite_check_kills_its_child_and_leaves_nothing(site, sig):
    argv = ["rewrite", str(site["sm"]), str(site["out"]), "--backends", "tensorflow"]
    proc = _start(site, argv)
    deadline = time.monotonic() + 300
    checker = None
    while checker is None and time.monotonic() < deadline and proc.poll() is None:
        checker = next((c for c in _children(proc.pid) if b"rewritten_" in _cmdline(c)), None)
        time.sleep(0.05)
    assert checker is not None, proc.communicate()[1]
    children = _children(proc.pid)  # the check and the import-isolation worker
    proc.send_signal(getattr(signal, sig))
    _finish(proc, sig, "rewrite")
    time.sleep(0.5)
    assert [c for c in children if Path(f"/proc/{c}").exists()] == []  # stopped and reaped
    assert sorted(os.listdir(site["root"])) == ["sm", "tmp"]  # no output, no staging
    assert os.listdir(site["tmp"]) == []  # tf1x-check-*, tf1x-rewrite-*: removed


@pytest.mark.slow
def test_no_temp_folder_survives_a_successful_parity_migrate_or_rewrite(site):
    for argv in (
        ["parity", str(site["sm"]), "--batches", "1"],
        ["migrate", str(site["sm"]), str(site["root"] / "v2"), "--batches", "1"],
        ["rewrite", str(site["sm"]), str(site["root"] / "keras"), "--backends", "jax"],
    ):
        proc = _start(site, argv)
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0 and err == "", err
        assert os.listdir(site["tmp"]) == [], argv
