"""``tf1-explorer migrate``: one report with the output folder and steps, on every shared model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from explorer.cli import main
from tests.cli.test_parity import _check_shape, _json
from tests.conftest import SHARED_NAMES, shared_model


def test_migrate_json_has_output_dir_and_steps(mlp_paths, tmp_path, capsys):
    out_dir = tmp_path / "migrated"
    report = tmp_path / "migrate.html"
    argv = [str(mlp_paths["frozen_pb"]), str(out_dir), "--batches", "1", "--report", str(report)]
    assert main(["migrate", *argv, "--json"]) == 0
    out = _json(capsys)
    _check_shape(out)
    assert out["passed"] is True and Path(out["output_dir"]) == out_dir.resolve()
    assert (out_dir / "saved_model.pb").is_file()
    assert {"inspect", "suggest", "scan", "convert"} <= set(out["steps"])
    assert out["steps"]["inspect"]["format"] == "frozen_graph"
    assert out["steps"]["suggest"]["inputs"][0]["name"] == "x:0"
    assert out["steps"]["suggest"]["outputs"][0]["name"] in ("probs:0", "logits/BiasAdd:0")
    assert isinstance(out["steps"]["scan"]["findings"], list)
    assert "Migration of" in report.read_text()
    # the folder exists now: migrating again needs --overwrite
    assert main(["migrate", *argv]) == 2
    assert "--overwrite" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("name", SHARED_NAMES)
def test_migrate_every_shared_model(name, tmp_path, capsys):
    report = tmp_path / "report.html"
    argv = ["migrate", str(shared_model(name)), str(tmp_path / "out"), "--batches", "1"]
    status = main([*argv, "--report", str(report), "--json"])
    out = _json(capsys)
    assert status == 0, json.dumps(out["signatures"])[:2000]
    assert out["passed"] is True and report.is_file()


def test_migrate_writes_nothing_when_parity_does_not_pass(mlp_paths, tmp_path, capsys, monkeypatch):
    """All or nothing: the converted folder was saved and compared, but parity failed (forced
    here), so OUT_DIR never appears and no hidden staging folder is left beside it."""
    import explorer.comparing.parity_check as parity_check

    real = parity_check.parity

    def failing(*args, **kwargs):
        summary = real(*args, **kwargs)
        monkeypatch.setattr(type(summary), "passed", property(lambda self: False))
        return summary

    monkeypatch.setattr(parity_check, "parity", failing)
    out_dir = tmp_path / "migrated"
    assert main(["migrate", str(mlp_paths["frozen_pb"]), str(out_dir), "--batches", "1"]) == 1
    assert "not written: parity did not pass" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []
