"""``tf1-explorer fleet`` in a real subprocess, once over a mixed fleet on two local workers:
two shared models (one migrates, one is refused for its custom ops) and three made here (one
crashes its migrate process, one hangs past its timeout, one is refused as unsafe); then the
same command again, which skips every unchanged model."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time

import pytest

from tests.contracts import hostile_models as H
from tests.shared_models import ROOT, SHARED_MODELS

SHARED = ("tf2onnx_regression_frozen", "haidi_deepmd_cu_frozen")
HOOK = (  # the migrate process of a model named "crasher" dies as a TensorFlow CHECK would
    "import os, sys\n"
    "if 'migrate' in sys.argv and any('crasher' in a for a in sys.argv):\n"
    "    os.abort()\n"
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    if not SHARED_MODELS.is_dir():
        pytest.skip(f"real TF1 models not found at {SHARED_MODELS}")
    from explorer._tf import tf

    base = tmp_path_factory.mktemp("fleet")
    root = base / "zoo"
    (root / "shared").mkdir(parents=True)
    for name in SHARED:
        os.symlink(SHARED_MODELS / name, root / "shared" / name)
    site = H.Site(root / "made")
    H.endless_loop(site)
    v1 = tf().compat.v1
    g = tf().Graph()
    with g.as_default():
        x = v1.placeholder(tf().float32, [None, 4], name="x")
        write = tf().io.write_file(str(base / "leak.txt"), "ran", name="leak/WriteFile")
        with tf().control_dependencies([write]):
            tf().identity(x * 2.0, name="y")
    for name in ("writer", "crasher"):
        (root / "made" / name).mkdir()
        (root / "made" / name / "model.pb").write_bytes(g.as_graph_def().SerializeToString())
    (base / "hooks").mkdir()
    (base / "hooks" / "sitecustomize.py").write_text(HOOK)
    config = base / "fleet.toml"
    config.write_text(f'[models."{root}/made/endless_loop/model.pb"]\ntimeout = 4\n')
    out = base / "out"
    argv = [sys.executable, "-m", "explorer", "fleet", str(root), str(out), "--workers", "2"]
    argv += ["--config", str(config), "--model-timeout", "300", "--migrate", "--batches", "2"]
    env = {**os.environ, "PYTHONPATH": f"{base / 'hooks'}{os.pathsep}{ROOT}"}
    done = []
    for _ in range(2):
        t0 = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=base, timeout=900)
        done.append((proc, time.perf_counter() - t0, json.loads((out / "fleet.json").read_text())))
    return base, out, done


def test_fleet_migrates_the_good_and_reports_each_other_with_its_cause(runs):
    base, out, [(proc, _, data), _] = runs
    assert proc.returncode == 1, proc.stderr  # some models not migrated, each with its cause
    assert "Traceback" not in proc.stderr and proc.stdout.splitlines()[-1].startswith(
        "fleet: 5 models: 1 migrated, 2 refused, 1 timed out, 1 crashed in "
    )
    by = {m["name"]: m for m in data["models"]}
    assert sorted(by) == [
        "made__crasher__model.pb",
        "made__endless_loop__model.pb",
        "made__writer__model.pb",
        "shared__haidi_deepmd_cu_frozen__frozen_model.pb",
        "shared__tf2onnx_regression_frozen__frozen.pb",
    ]
    good = by["shared__tf2onnx_regression_frozen__frozen.pb"]
    assert good["status"] == "migrated" and good["exit_code"] == 0 and good["cause"] == ""
    assert [io["outputs"] for io in good["proved"].values()] == [["pred:0"]]
    folder = out / good["name"]
    assert (folder / "saved_model" / "saved_model.pb").is_file() and (
        folder / "report.html"
    ).is_file()
    custom = by["shared__haidi_deepmd_cu_frozen__frozen_model.pb"]
    assert custom["status"] == "refused" and custom["exit_code"] == 2
    assert "DescrptSeA" in custom["cause"] and "--op-library" in custom["cause"]
    unsafe = by["made__writer__model.pb"]
    assert unsafe["status"] == "refused" and "leak/WriteFile" in unsafe["cause"]
    assert not (base / "leak.txt").exists()  # the unsafe op never ran
    hang = by["made__endless_loop__model.pb"]
    assert hang["status"] == "timed out" and hang["cause"] == "did not finish within 4 s"
    assert 3.5 < hang["seconds"] < 60
    crash = by["made__crasher__model.pb"]
    assert crash["status"] == "crashed" and crash["cause"].startswith("migrate killed by SIGABRT")
    assert data["classes"]["timed out"] == 1 and sum(data["classes"].values()) == 4
    for m in by.values():
        assert json.loads((out / m["name"] / "result.json").read_text())["status"] == m["status"]
        assert not (out / m["name"] / "saved_model").exists() or m["status"] == "migrated"
    rows = list(csv.DictReader((out / "fleet.csv").open()))  # the second run's: skipped
    assert [r["status"] for r in rows] == [
        f"{by[r['name']]['status']}, skipped (unchanged)" for r in rows
    ]
    html = (out / "fleet.html").read_text()
    assert html.count("<tr class=") == 5 and "Failure classes" in html and "DescrptSeA" in html


def test_a_second_run_skips_every_unchanged_model(runs):
    _, _, [(_, took, first), (again, took_again, data)] = runs
    assert again.returncode == 1 and again.stderr == ""
    assert again.stdout.count("skipped (unchanged)") == 5
    assert "(5 skipped: unchanged)" in again.stdout.splitlines()[-1]
    assert took_again < took / 2
    assert all(m["skipped"] for m in data["models"])
    assert [m["status"] for m in data["models"]] == [m["status"] for m in first["models"]]
