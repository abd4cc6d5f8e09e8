"""ParityView verdicts with reasons (issue 25): a cause line per output not passed, "pin
randomness" where it helps, first divergence that agrees with parity, results and messages that
clear when what they came from changes (by a click or from code), load-back never silent."""

from __future__ import annotations

import pytest

import explorer
from explorer.widgets import Converter, ParityView
from tests.model_builders.verdicts import build_verdicts

RANDOM_OP = "dropout/random_uniform/RandomUniform"


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """name -> (V1Model, its V2Model)."""
    out = {}
    for name, path in build_verdicts(tmp_path_factory.mktemp("verdicts")).items():
        model = explorer.load(path)
        out[name] = (model, explorer.convert(model))
    return out


def test_nondeterminism_names_the_random_ops_and_pinning_passes(models):
    model, v2 = models["dropout_ckpt"]
    view = ParityView(model, v2)
    s = view.state
    assert view.pin_button.layout.display == "none" and not s.pinnable()
    view.run_button.click()
    assert view.status.text == "parity: nondeterministic" and view.status.kind == "ok"
    cause = f"probs:0: random ops {RANDOM_OP} make v1 differ from itself on the same feeds"
    assert f'title="{cause}"' in view.verdict.value and "#9a6700" in view.verdict.value
    assert s.pinnable() and view.pin_button.layout.display == ""
    view.divergence_button.click()  # the same verdict as parity: not judged, never agreement
    said = "no divergence among the compared tensors; not judged: 1 output (see below)"
    assert view.status.text == said and s.divergence.outputs_skipped == ["probs:0"]
    assert s.divergence.status == "nondeterministic" and view.status.kind == "ok"
    assert "tensors not judged: " in view.drawing.value and RANDOM_OP in view.drawing.value
    assert "probs:0 (parity: v1" in view.drawing.value
    view.pin_button.click()
    assert s.remedy is True and view.status.text == "parity: passed"
    assert s.summary.passed and f"remedy: seeded {RANDOM_OP}" in view.verdict.value
    assert view.pin_button.layout.display == "none" and not s.pinnable()
    assert s.divergence is None and view.drawing.value == ""  # the old divergence went with it
    view.code.button.click()
    assert "remedy=True)" in view.code.pre.value


def test_a_failed_output_names_the_tensor_and_the_metric(models, tmp_path):
    model, _ = models["folded_bn"]
    gd = type(model.graph_def)()
    gd.CopyFrom(model.graph_def)
    for node in gd.node:
        if node.name == "block1/BatchNorm/FusedBatchNorm":  # the folded Add, under its old name
            node.op = "Sub"
    (tmp_path / "sub.pb").write_bytes(gd.SerializeToString())
    view = ParityView(model, explorer.convert(explorer.load(tmp_path / "sub.pb")))
    view.run_button.click()
    assert view.status.text == "parity: failed"
    rec = view.state.summary["serving_default"].outputs["logits:0"]
    line = f"logits:0: {rec.mismatches} of {rec.count} elements differ beyond tolerance"
    assert f"{line} (max abs {rec.max_abs:.3g})" in view.verdict.value
    assert view.pin_button.layout.display == "none"
    view.divergence_button.click()
    assert view.status.text == "first divergence at block1/BatchNorm/FusedBatchNorm"


def test_results_and_messages_clear_when_their_inputs_change(models):
    model, v2 = models["folded_bn"]
    view = ParityView(model, v2)
    s = view.state
    view.run_button.click()
    view.divergence_button.click()
    assert s.summary.passed and s.divergence is not None and view.status.text
    view.run_button.click()  # a new run: the old divergence is not about it
    assert s.divergence is None and view.drawing.value == "" and s.summary.passed
    for change in (
        lambda: setattr(s, "seed", 7),  # from code
        lambda: setattr(view.atol, "value", 1e-3),  # by a click
        lambda: setattr(view.accept_nonfinite, "value", True),
        lambda: setattr(s, "remedy", True),
        lambda: setattr(s, "data", None) or setattr(s, "limit", 5),
    ):
        view.run_button.click()
        view.divergence_button.click()
        assert s.summary is not None and s.divergence is not None and view.status.kind == "ok"
        change()
        assert s.summary is None and s.divergence is None
        assert view.status.text == "" and view.drawing.value == ""
        assert "not compared yet" in view.verdict.value and view.table.value == ""


def test_a_missing_feed_names_the_input_and_why(models):
    model, v2 = models["dropout_ckpt"]
    view = ParityView(model, v2, inputs=("features:0",), outputs=("probs:0",))
    view.run_button.click()
    assert view.status.kind == "error"
    assert "needs placeholder 'class_bias', which is not among the inputs" in view.status.text
    assert "\n" not in view.status.text


def test_load_back_names_the_cause_of_a_non_pass(models, tmp_path):
    model, _ = models["dropout_ckpt"]
    view = Converter(model)
    view.state.out_dir = str(tmp_path / "out")
    view.convert_button.click()
    view.check_button.click()
    assert view.status.kind == "error"
    assert view.status.text == (
        f"loaded back, but serving_default is nondeterministic: probs:0: random ops {RANDOM_OP} "
        "make v1 differ from itself on the same feeds"
    )
