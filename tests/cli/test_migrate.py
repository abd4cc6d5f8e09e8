"""``tf1-explorer migrate``: one report with the output folder and steps, on every shared model."""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.cli import main
from tests.helpers import (
    assert_migrate_outcome,
    assert_migrates,
    check_parity_json,
    cli_json,
    two_heads,
)
from tests.shared_models import Proves, Unproved, params


def test_migrate_json_has_output_dir_and_steps(mlp_paths, tmp_path, capsys):
    out_dir = tmp_path / "migrated"
    report = tmp_path / "migrate.html"
    argv = [str(mlp_paths["frozen_pb"]), str(out_dir), "--batches", "1", "--report", str(report)]
    assert main(["migrate", *argv, "--json"]) == 0
    out = cli_json(capsys)
    check_parity_json(out)
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
@pytest.mark.parametrize("model", params(lambda m: m.migrate))
def test_migrate_every_shared_model(model, tmp_path):
    """Each shared model with no I/O flags: proves the table's outputs, or says which outputs it
    cannot prove and why (both write the report), or one line refuses it."""
    report = tmp_path / "report.html"
    assert_migrate_outcome(model, tmp_path / "out", "--batches", "1", "--report", str(report))
    assert report.is_file() == isinstance(model.migrate, (Proves, Unproved))


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


@pytest.mark.parametrize(
    ("name", "proved_out", "proved_in"),
    [
        ("gan", ["generator/Tanh:0"], ["noise:0"]),
        ("tfdata", ["probabilities:0"], ["IteratorGetNext:0", "IteratorGetNext:2"]),
        ("queue", ["probabilities:0"], ["shuffle_batch:0", "shuffle_batch:1"]),
    ],
)
def test_migrate_training_checkpoints_proves_the_inference_head(
    training_graphs, tmp_path, capsys, name, proved_out, proved_in
):
    """No flags, no signatures, no export: the confident top suggestion is converted and proved;
    pipeline outputs are fed (the readers never run) and keyed by their feature names."""
    out_dir = tmp_path / "out"
    assert main(["migrate", str(training_graphs[name]), str(out_dir), "--batches", "1"]) == 0
    text = capsys.readouterr().out.strip().splitlines()
    assert text[-1].startswith(f"proved {proved_out[0]} <- ") and text[-1].endswith(": passed")
    proved = {"serving_default": tuple(proved_out)}
    out = assert_migrates(training_graphs[name], out_dir, proved, "--overwrite")
    assert next(iter(out)) == "proved"  # the report names the proved tensors first
    assert sorted(out["proved"]["serving_default"]["inputs"]) == proved_in
    assert out["steps"]["choice"]["by"] == "confident suggestion"
    if name != "gan":
        _check_example_signature(out_dir)


def _check_example_signature(out_dir):
    """The SavedModel takes the features by name, and serialized tf.Example protos."""
    import numpy as np

    from explorer._tf import tf

    tf = tf()
    sigs = tf.saved_model.load(str(out_dir)).signatures
    assert set(sigs["serving_default"].structured_input_signature[1]) == {"pixels", "age"}
    rng = np.random.default_rng(1)
    examples = [
        tf.train.Example(
            features=tf.train.Features(
                feature={
                    "pixels": tf.train.Feature(
                        float_list=tf.train.FloatList(value=rng.normal(size=8))
                    ),
                    "age": tf.train.Feature(float_list=tf.train.FloatList(value=[41.0])),
                }
            )
        ).SerializeToString()
        for _ in range(4)
    ]
    spec = {
        "pixels": tf.io.FixedLenFeature([8], tf.float32),
        "age": tf.io.FixedLenFeature([1], tf.float32),
    }
    by_features = sigs["serving_default"](**tf.io.parse_example(tf.constant(examples), spec))
    by_examples = sigs["examples"](examples=tf.constant(examples))
    np.testing.assert_array_equal(by_examples["probabilities"], by_features["probabilities"])


def test_migrate_proves_both_heads_and_takes_outputs_alone(tmp_path, capsys):
    """Two ends of the graph are two heads: both proved with no flags; ``--outputs`` alone feeds
    the placeholders that output needs."""
    (tmp_path / "model").mkdir()
    path = two_heads(tmp_path / "model")
    out = assert_migrates(
        path,
        tmp_path / "out",
        {"serving_default": ("left_head:0", "right_head:0")},
        "--batches",
        "1",
    )
    assert out["steps"]["choice"]["left_out"] == []
    argv = ["migrate", str(path), str(tmp_path / "out2"), "--outputs", "left_head:0"]
    assert main([*argv, "--batches", "1"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == ("proved left_head:0 <- x:0: passed")
