"""The CLI on TF1 Hub modules: inspect shows the tag sets, run takes `default`, --tags "" and
--tags train, and migrate passes for every fixture module and tag set."""

from __future__ import annotations

import json

import pytest

from explorer.cli import main
from tests.helpers import assert_migrates


def test_inspect_shows_tag_sets(hub_modules, capsys):
    assert main(["inspect", str(hub_modules["image_feature_vector"])]) == 0
    out = capsys.readouterr().out
    assert "format      tf1_hub_module" in out
    assert "tag sets    set(); train" in out
    assert "TF1 Hub     tag set set() loaded (--tags to change)" in out
    assert (
        main(["inspect", str(hub_modules["image_feature_vector"]), "--tags", "train", "--json"])
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["hub_module"]["tags"] == ["train"]
    assert out["hub_module"]["collections"] == {"update_ops": 2, "regularization_losses": 1}


@pytest.mark.parametrize("tags", [[], ["--tags", ""], ["--tags", "train"]])
def test_run_default_signature(hub_modules, capsys, tags):
    assert main(["run", str(hub_modules["image_feature_vector"]), *tags, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["signature"] == "default"
    assert out["outputs"]["default"]["shape"] == [1, 6]


def test_unknown_tags_one_line(hub_modules, capsys):
    assert main(["run", str(hub_modules["image_feature_vector"]), "--tags", "gpu"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "choose one of set(); train" in err[0]


@pytest.mark.slow
@pytest.mark.parametrize(
    "name,tags",
    [
        ("text_embedding", []),
        ("image_feature_vector", []),
        ("image_feature_vector", ["--tags", "train"]),
        ("multi_signature", []),
    ],
)
def test_migrate_every_module(hub_modules, tmp_path, name, tags):
    report = assert_migrates(hub_modules[name], tmp_path / "out", None, *tags)
    expected = {
        "text_embedding": {"default", "tokens"},
        "image_feature_vector": {"default", "image_feature_vector"},
        "multi_signature": {"default", "pair", "scaled", "lookup", "tokenization_info"},
    }[name]
    assert set(report["signatures"]) == expected
    assert all(s["passed"] for s in report["signatures"].values())


def test_convert_train_tags_reports_update_ops(hub_modules, tmp_path, capsys):
    module = str(hub_modules["image_feature_vector"])
    assert main(["convert", module, str(tmp_path / "t"), "--tags", "train"]) == 0
    out = capsys.readouterr().out
    assert "update ops (tag set train) run on each call of: default (2)" in out
    assert "regularization losses: 1, as regularization_losses()" in out
    assert main(["convert", module, str(tmp_path / "i"), "--json"]) == 0
    hub = json.loads(capsys.readouterr().out)["hub_module"]
    assert hub["tags"] == [] and hub["update_ops"] == {} and hub["regularization_losses"] == 1
