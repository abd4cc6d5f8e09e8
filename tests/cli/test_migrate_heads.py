"""``migrate`` proves every head, never a batch slice, and ``--outputs`` alone works (issue 24)."""

from __future__ import annotations

import pytest

import explorer
from explorer.cli import main
from tests.helpers import assert_migrates, cli_json
from tests.shared_models import shared_model

DETECTIONS = ("detection_boxes:0", "detection_scores:0", "detection_classes:0", "num_detections:0")


def test_migrate_proves_the_four_detection_heads(heads, tmp_path):
    out = assert_migrates(heads["detector"], tmp_path / "out", {"serving_default": DETECTIONS})
    assert out["proved"]["serving_default"]["inputs"] == ["image_tensor:0"]
    assert any(w.startswith("Sigmoid") for w in out["steps"]["choice"]["left_out"])


def test_migrate_proves_the_batch_not_its_first_row(heads, tmp_path, capsys):
    proved = {"serving_default": ("dense_1/Sigmoid:0",)}
    out = assert_migrates(heads["row0"], tmp_path / "json", proved, "--batches", "1")
    assert "output_0:0 (keeps row 0 of dense_1/Sigmoid:0" in out["steps"]["choice"]["left_out"][0]
    assert main(["migrate", str(heads["row0"]), str(tmp_path / "text"), "--batches", "1"]) == 0
    text = capsys.readouterr().out
    assert "left out: output_0:0 (keeps row 0" in text
    assert text.strip().splitlines()[-1] == "proved dense_1/Sigmoid:0 <- input_1:0: passed"


def test_migrate_proves_the_ctc_decoder_output(heads, tmp_path):
    out = assert_migrates(heads["ctc"], tmp_path / "out", {"serving_default": ("dense_decoded:0",)})
    assert out["proved"]["serving_default"]["inputs"] == ["inputs:0", "seq_len:0"]


def test_a_keep_prob_left_out_of_the_inputs_is_fed_its_neutral_value(heads, tmp_path, capsys):
    flags = ("--inputs", "x:0", "--outputs", "probs:0", "--batches", "1")
    proved = {"serving_default": ("probs:0",)}
    out = assert_migrates(heads["lstm"], tmp_path / "out", proved, *flags)
    assert out["proved"]["serving_default"]["inputs"] == ["x:0", "keep_prob:0"]
    assert main(["run", str(heads["lstm"]), *flags[:4]]) == 0
    assert "keep_prob:0: fed 1.0, the neutral keep probability" in capsys.readouterr().out


def test_outputs_alone_feed_what_they_need_everywhere(heads, tmp_path, capsys):
    """CLI migrate/run/parity/convert and the API: the placeholders probs:0 needs (keep_prob at
    its neutral value); the is_training switch keeps its default."""
    path = heads["switches"]
    proved = {"serving_default": ("probs:0",)}
    flags = ("--outputs", "probs:0", "--batches", "1")
    out = assert_migrates(path, tmp_path / "m", proved, *flags)
    assert out["proved"]["serving_default"]["inputs"] == ["x:0", "keep_prob:0"]
    assert main(["parity", str(path), *flags, "--json"]) == 0
    assert cli_json(capsys)["passed"] is True
    assert main(["run", str(path), "--outputs", "probs:0", "--json"]) == 0
    assert set(cli_json(capsys)["outputs"]) == {"probs:0"}
    assert main(["convert", str(path), str(tmp_path / "c"), "--outputs", "probs:0"]) == 0
    capsys.readouterr()
    v2 = explorer.convert(explorer.load(path), outputs=["probs:0"])
    assert set(v2.signatures["serving_default"].source_inputs) == {"x:0", "keep_prob:0"}


@pytest.mark.slow
def test_migrate_proves_the_three_mtcnn_heads_with_feeds_given(tmp_path):
    """The MTCNN pipeline's heads: prob, box and landmarks (its scalar feeds given by hand)."""
    flags = ["--batches", "1", "--shape", "input:0=120,160,3", "--shape", "thresholds:0=3"]
    for name, low, high in (("min_size", 40, 41), ("factor", 0.7, 0.71), ("thresholds", 0.6, 0.7)):
        flags += ["--range", f"{name}:0={low},{high}"]
    flags += ["--shape", "min_size:0=", "--shape", "factor:0=", "--range", "input:0=0,255"]
    model = shared_model("blaueck_mtcnn_pipeline_frozen")
    proved = {"serving_default": ("prob:0", "landmarks:0", "box:0")}  # in graph order
    assert_migrates(model, tmp_path / "out", proved, *flags)
