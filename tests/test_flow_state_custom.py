"""The Compare step on a custom choice of inputs/outputs of a model that has signatures: the
custom tensors are compared (and searched by first_divergence), not the model's signatures."""

from __future__ import annotations

import pytest

import explorer
from explorer.widgets import MigrationWizard, ParityState, WizardState

INS = ("x:0",)
OUTS = ("dense/Relu:0",)  # the hidden layer, not a signature output


@pytest.fixture(scope="module")
def mlp(mlp_paths):
    return explorer.load(mlp_paths["saved_model"])  # signature serving_default: x -> probs, logits


def test_parity_state_compares_a_custom_choice(mlp):
    v2 = explorer.convert(mlp, inputs=list(INS), outputs=list(OUTS))
    s = ParityState(mlp, v2, inputs=INS, outputs=OUTS)
    s.batches = 1
    summary = s.run()
    assert summary and list(summary.reports) == ["serving_default"] == [s.shown]
    assert [r["output"] for r in s.rows()] == list(OUTS)
    div = s.find_divergence()
    assert not div and div.steps[-1].tensor in OUTS
    assert "logits/BiasAdd:0" not in {st.tensor for st in div.steps}  # downstream of it
    code = s.code()
    assert "explorer.parity(model, v2, inputs=['x:0'], outputs=['dense/Relu:0']" in code
    assert "explorer.first_divergence(model, v2, feeds, inputs=['x:0']" in code
    s.signature = "serving_default"  # a signature wins over the tensors, as in Selection
    assert s.summary is None and s._custom() == {}


def test_wizard_compare_step_follows_a_custom_pick(mlp, tmp_path):
    view = MigrationWizard(WizardState(mlp, out_dir=str(tmp_path / "custom_tf2")))
    s = view.state
    assert s.picker.signature == "serving_default"
    view.browser.search.value = "Relu"
    view.browser.rows.value = "dense/Relu"
    view.as_output.click()  # the preset's tensors plus dense/Relu:0: a custom choice
    assert s.picker.signature is None and s.parity.signature is None
    assert s.parity.outputs == s.picker.outputs and s.parity.outputs[-1] == "dense/Relu:0"
    assert s.parity.inputs == ("x:0",)
    view.converter.convert_button.click()
    assert list(s.converter.v2.signatures) == ["serving_default"]
    assert s.parity.v2 == s.converter.saved is not None
    view.parity.batches.value = 1
    view.parity.run_button.click()
    assert view.parity.status.text == "parity: passed", view.parity.status.text
    assert view.parity.table.value.count("background:#dafbe1") == len(s.picker.outputs) == 3
    view.parity.divergence_button.click()  # a saved folder without tables: frozen and searched
    assert view.parity.status.text == "no divergence found"
    view.picker.preset.value = "serving_default"  # back to the signature: tensors cleared
    assert s.parity.signature == "serving_default" and s.parity.outputs == ()
    assert s.parity.v2 is None  # the custom conversion is stale
    s.runner.close()
