"""``explorer.fleet`` against a Dask scheduler and worker started here as separate processes
(``--scheduler``): the same run as on the embedded cluster; OUT_DIR never someone else's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

import explorer
from explorer.cli import main
from explorer.errors import ExplorerError, OutputExistsError
from tests.shared_models import ROOT


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    """A folder holding one small frozen graph (y = 2x)."""
    from explorer._tf import tf

    root = tmp_path_factory.mktemp("zoo")
    g = tf().Graph()
    with g.as_default():
        x = tf().compat.v1.placeholder(tf().float32, [None, 3], name="x")
        tf().identity(x * 2.0, name="y")
    (root / "double.pb").write_bytes(g.as_graph_def().SerializeToString())
    return root


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """``tcp://...`` of a ``dask scheduler`` with one ``dask worker``, both ended after."""
    d = tmp_path_factory.mktemp("dask")
    file = d / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    dask = [sys.executable, "-m", "dask"]
    procs = [
        subprocess.Popen(
            [*dask, "scheduler", "--scheduler-file", str(file), "--no-dashboard", "--port", "0"],
            env=env,
            cwd=d,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        deadline = time.monotonic() + 120
        while not file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        worker = [*dask, "worker", "--scheduler-file", str(file), "--nthreads", "2"]
        procs.append(
            subprocess.Popen([*worker, "--no-dashboard"], env=env, cwd=d, stderr=subprocess.DEVNULL)
        )
        yield json.loads(file.read_text())["address"]
    finally:
        for p in reversed(procs):
            p.terminate()
            p.wait(timeout=60)


def test_a_fleet_on_a_separately_started_scheduler(zoo, scheduler):
    seen = []
    out = zoo / "out"  # under ROOT: what the fleet wrote there is no model of it
    rep = explorer.fleet(zoo, out, scheduler=scheduler, progress=lambda *a: seen.append(a[1:]))
    assert rep.scheduler == scheduler and rep.workers == 1 and seen == [(1, 1)]
    (res,) = rep.results
    assert (res.name, res.status, res.exit_code, res.skipped) == ("double.pb", "migrated", 0, False)
    assert [io["outputs"] for io in res.proved.values()] == [["y:0"]]
    assert (out / "double.pb" / "saved_model" / "saved_model.pb").is_file()
    (again,) = explorer.fleet(zoo, out).results  # resumed on the embedded cluster: nothing to run
    assert again.skipped and again.to_json() == {**res.to_json(), "skipped": True}


def test_out_dir_must_be_a_fleets_own_and_root_must_hold_models(zoo, tmp_path, capsys):
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match="no fleet's output folder"):
        explorer.fleet(zoo, theirs)
    assert main(["fleet", str(zoo), str(theirs)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tf1-explorer fleet: ") and err.count("\n") == 1
    assert (theirs / "notes.txt").read_text() == "mine" and len(list(theirs.iterdir())) == 1
    with pytest.raises(ExplorerError, match="holds no TF1 model"):
        explorer.fleet(theirs, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert main(["fleet", str(zoo), str(tmp_path / "o2"), "--workers", "0"]) == 2
    assert "--workers must be at least 1" in capsys.readouterr().err
