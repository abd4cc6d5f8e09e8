"""WizardState: the five steps share one model and one choice of tensors."""

from __future__ import annotations

from explorer.widgets import MigrationWizard, WizardState

INS = ("x:0",)


OUTS = ("dense/Relu:0",)  # the hidden layer, not a signature output


def test_wizard_compare_step_follows_a_custom_pick(mlp, tmp_path):
    view = MigrationWizard(WizardState(mlp, out_dir=str(tmp_path / "custom_tf2")))
    s = view.state
    assert s.picker.signature == "serving_default"
    view.browser.search.value = "Relu"
    view.browser.table.click("dense/Relu")
    view.as_output.click()  # the preset's tensors plus dense/Relu:0: a custom choice
    assert s.picker.signature is None and s.parity.signature is None
    assert s.parity.outputs == s.picker.outputs and s.parity.outputs[-1] == "dense/Relu:0"
    assert s.parity.inputs == ("x:0",)
    view.converter.convert_button.click()
    assert list(s.converter.v2.signatures) == ["serving_default"]
    assert s.converter.saved is not None and s.parity.v2 is s.converter.v2  # in memory
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
