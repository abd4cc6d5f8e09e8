"""No temp folder survives a run that ends in an error (issue 23): ``inspect``, ``suggest`` and
``migrate`` in real processes, stopped at load (a truncated ``saved_model.pb``), at the graph
size bound, and (``migrate``) after its output was staged and parity began; each ends in one
line (exit 2) and leaves nothing in TMPDIR, beside the output or in the model's folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from explorer import _tf
from tests.helpers import snapshot

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def site(tmp_path, mlp_paths) -> Path:
    """``sm/`` (the MLP SavedModel), ``bad/`` (its ``saved_model.pb`` cut in half), ``tmp/``."""
    shutil.copytree(mlp_paths["saved_model"], tmp_path / "sm")
    shutil.copytree(mlp_paths["saved_model"], tmp_path / "bad")
    pb = tmp_path / "bad" / "saved_model.pb"
    pb.write_bytes(pb.read_bytes()[: pb.stat().st_size // 2])
    (tmp_path / "tmp").mkdir()
    return tmp_path


CASES = {  # id -> (argv after the verb, with {site}; extra environment; words of the one line)
    "inspect-truncated": (["inspect", "{site}/bad"], {}, "is not a valid binary SavedModel"),
    "suggest-truncated": (["suggest", "{site}/bad"], {}, "is not a valid binary SavedModel"),
    "inspect-too-big": (["inspect", "{site}/sm"], {"TF1_EXPLORER_MAX_NODES": "3"}, "over the"),
    "suggest-too-big": (["suggest", "{site}/sm"], {"TF1_EXPLORER_MAX_NODES": "3"}, "over the"),
    "migrate-truncated": (["migrate", "{site}/bad", "{site}/out"], {}, "not a valid binary"),
    "migrate-after-staging": (
        ["migrate", "{site}/sm", "{site}/out", "--batches", "1", "--shape", "nope:0=1"],
        {},
        "shapes names 'nope:0', which is not an input",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_an_error_leaves_no_temp_folder(site, case):
    args, extra, words = CASES[case]
    before = snapshot(site / "sm")
    env = {k: v for k, v in os.environ.items() if k not in (_tf.LEVEL_ENV, _tf.VERBOSE_ENV)}
    env.update(PYTHONPATH=str(ROOT), TMPDIR=str(site / "tmp"), **extra)
    argv = [sys.executable, "-m", "explorer", *(a.format(site=site) for a in args)]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600)
    lines = done.stderr.splitlines()
    assert done.returncode == 2 and len(lines) == 1 and words in lines[0], done.stderr
    assert os.listdir(site / "tmp") == []  # tf1-parity-*, tf1-explorer-ops-*, ...
    assert sorted(os.listdir(site)) == ["bad", "sm", "tmp"]  # no output, no staging folder
    assert snapshot(site / "sm") == before
