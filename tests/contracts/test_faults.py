"""Faults end in one line: no crash reaches the user's process, no run hangs past its limit,
and a failing migrate or convert leaves no output; a valid deep v1 graph still runs."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

import explorer
from explorer.cli import main
from explorer.comparing.parity_check import Sampled
from tests.contracts import hostile_models as H
from tests.helpers import assert_refused

X = np.ones(2, np.float32)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return H.Site(tmp_path_factory.mktemp("faults"))


def test_self_recursive_function_is_refused_even_when_allowed(site):
    """TF dies of a segmentation fault running it: the scan refuses it before anything runs."""
    model = explorer.load(H.self_recursive(site))
    (f,) = explorer.scan(model).by_rule("function-recursion")
    assert f.severity == "error" and "calls itself" in f.message
    for allow in (False, True):
        with pytest.raises(explorer.errors.UnsafeModelError, match="recurse without end"):
            explorer.ModelSession(model, allow_unsafe=allow)
        with pytest.raises(explorer.ExplorerError, match="calls itself"):
            explorer.V1Runner(model, allow_unsafe=allow).start()  # its specs import the graph


def test_endless_while_loop_ends_in_one_line(site, tmp_path):
    path = H.endless_loop(site)
    with explorer.V1Runner(explorer.load(path), timeout=1.0) as r:
        t0 = time.monotonic()
        with pytest.raises(
            explorer.errors.SessionError, match=r"did not finish within \d+(\.\d+)? s"
        ):
            r.infer({"x:0": X})
        assert time.monotonic() - t0 < 30
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "explorer", "run", str(path), "--timeout", "2"],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
    )
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("tf1-explorer")]
    assert proc.returncode == 2 and len(lines) == 1 and "did not finish within" in lines[0]
    assert "Traceback" not in proc.stderr


def test_nested_v1_cond_50_deep_runs_converts_and_passes_parity(site):
    model = explorer.load(H.nested_cond(site, 50))
    with explorer.V1Runner(model) as r:
        np.testing.assert_allclose(r.infer({"x": X})["y"], X + 1)
    v2 = explorer.convert(model)
    assert explorer.parity(model, v2, source=Sampled(1)).passed


@pytest.mark.parametrize(
    "name, message",
    [
        ("mismatched_checkpoint", "is of another graph"),
        ("huge_fill", "allocate 4.0 TiB"),
        ("huge_placeholder", "over the limit of"),
    ],
)
def test_failing_migrate_leaves_no_output(site, name, message, tmp_path):
    assert_refused(getattr(H, name)(site), tmp_path / "out", message)
    assert list(tmp_path.iterdir()) == []  # no OUT_DIR, no hidden staging folder


def test_checkpoint_not_matching_the_graph_fails_convert(site, tmp_path, capsys):
    path = (
        H.mismatched_checkpoint(site)
        if not (site.root / "mismatched_ckpt").exists()
        else (site.root / "mismatched_ckpt")
    )
    with pytest.raises(explorer.errors.MissingVariablesError, match=r"v is \[3\] there but \[\]"):
        explorer.convert(path)
    assert main(["convert", str(path), str(tmp_path / "out")]) == 2
    assert "is of another graph" in capsys.readouterr().err and not list(tmp_path.iterdir())
