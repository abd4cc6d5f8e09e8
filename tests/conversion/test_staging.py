"""All-or-nothing outputs: staged beside the destination, published by rename; the staging
folders of killed runs are removed by the next run into the same parent."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import explorer
from explorer.conversion.staging import publish, remove_stale, stage


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stage_and_publish(tmp_path):
    out = tmp_path / "out"
    tmp = stage(out)
    assert tmp.parent == tmp_path and tmp.name.startswith(f".out.tmp-{os.getpid()}-")
    (tmp / "f").write_text("1")
    assert publish(tmp, out, overwrite=False) == out and (out / "f").read_text() == "1"
    tmp2 = stage(out)
    (tmp2 / "f").write_text("2")
    with pytest.raises(explorer.errors.OutputExistsError, match="--overwrite"):
        publish(tmp2, out, overwrite=False)
    publish(tmp2, out, overwrite=True)
    assert (out / "f").read_text() == "2" and sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_stale_folders_of_dead_runs_are_removed_live_ones_kept(tmp_path):
    dead = tmp_path / f".out.tmp-{_dead_pid()}-abc"
    old = tmp_path / f".out.old-{_dead_pid()}-0"
    live = tmp_path / f".out.tmp-{os.getpid()}-xyz"
    other = tmp_path / f".other.tmp-{_dead_pid()}-q"
    for p in (dead, old, live, other):
        p.mkdir()
    assert sorted(remove_stale(tmp_path, "out")) == sorted([dead, old])
    assert live.is_dir() and other.is_dir()


def test_convert_into_a_parent_with_a_killed_run_cleans_it(mlp_paths, tmp_path):
    killed = tmp_path / f".converted.tmp-{_dead_pid()}-k1"
    (killed / "variables").mkdir(parents=True)
    explorer.convert(mlp_paths["saved_model"]).save(tmp_path / "converted")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["converted"]
