"""``tf1-explorer parity`` and ``migrate``: exit statuses, JSON shape, HTML report."""

from __future__ import annotations

import pytest

from explorer.cli import main
from tests.conftest import ROOT
from tests.helpers import check_parity_json, cli_json
from tests.shared_models import BY_NAME

SAMPLE_REPORT = ROOT / "build" / "reports" / "sample_parity.html"


def test_parity_json_passes_and_writes_the_sample_report(mlp_paths, capsys):
    """CI keeps build/reports/sample_parity.html as the sample HTML report."""
    SAMPLE_REPORT.unlink(missing_ok=True)
    argv = ["parity", str(mlp_paths["saved_model"]), "--batches", "2", "--batch-size", "4"]
    assert main([*argv, "--json", "--report", str(SAMPLE_REPORT)]) == 0
    out = cli_json(capsys)
    check_parity_json(out)
    assert out["passed"] is True and set(out["signatures"]) == {"serving_default"}
    probs = out["signatures"]["serving_default"]["outputs"]["probs"]
    assert probs["equal"] is True and probs["max_abs"] == 0.0
    assert "tensorflow" in out["environment"]
    html = SAMPLE_REPORT.read_text()
    assert "data:image/png;base64," in html and 'id="parity-json"' in html


def test_parity_text_against_a_converted_folder(mlp_paths, tmp_path, capsys):
    from explorer import convert

    saved = convert(mlp_paths["checkpoint_v2"]).save(tmp_path / "v2")
    assert main(["parity", str(mlp_paths["checkpoint_v2"]), "--converted", str(saved)]) == 0
    text = capsys.readouterr().out
    assert ": passed" in text and "bitwise equal" in text


def test_parity_mismatch_exits_1(mlp_paths, tmp_path, capsys):
    """A conversion of another model (other weights) is a mismatch, not an error."""
    from explorer import convert
    from explorer.examples.models import build_mlp

    other = build_mlp(tmp_path / "other", "saved_model", seed=1)
    saved = convert(other).save(tmp_path / "v2")
    argv = ["parity", str(mlp_paths["saved_model"]), "--converted", str(saved), "--json"]
    assert main(argv) == 1
    out = cli_json(capsys)
    assert out["passed"] is False and out["status"] == "failed"
    assert out["signatures"]["serving_default"]["outputs"]["probs"]["mismatch_fraction"] > 0


def test_parity_errors_exit_2(mlp_paths, tmp_path, capsys):
    assert main(["parity", str(mlp_paths["saved_model"]), "--converted", str(tmp_path)]) == 2
    assert "is not a TF2 SavedModel folder" in capsys.readouterr().err
    assert main(["parity", str(mlp_paths["saved_model"]), "--signature", "nope"]) == 2
    assert "signature 'nope'" in capsys.readouterr().err


@pytest.mark.slow
def test_parity_speech_and_seq2seq_with_no_flags(capsys):
    """The two unseen-model cases of MANIFEST.md pass parity with their curated I/O, no flags."""
    assert main(["parity", str(BY_NAME["agent007_speech_frozen"].path), "--batches", "1"]) == 0
    seq2seq = BY_NAME["leanderlxz_seq2seq_ckpt"]
    args = ["parity", str(seq2seq.path), "--batches", "1"]
    assert main([*args, "--inputs", *seq2seq.inputs, "--outputs", *seq2seq.outputs]) == 0
    assert "passed" in capsys.readouterr().out
