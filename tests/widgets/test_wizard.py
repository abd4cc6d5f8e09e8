"""MigrationWizard: one shared state across the five tabs."""

from __future__ import annotations

from explorer.widgets import (
    MigrationWizard,
    WizardState,
)


def test_wizard_shares_one_state_across_tabs(mlp, tmp_path):
    view = MigrationWizard(WizardState(mlp, out_dir=str(tmp_path / "wiz")))
    s = view.state
    assert view.tabs.titles == ("1. browse", "2. pick", "3. run", "4. convert", "5. compare")
    view.tabs.selected_index = 2
    assert s.step == 2
    s.step = 4
    assert view.tabs.selected_index == 4
    view.as_output.click()  # nothing selected in the browser
    assert "no op selected" in view.status.text
    view.browser.search.value = "Relu"
    view.browser.rows.value = "dense/Relu"
    view.as_output.click()
    assert s.picker.outputs[-1] == "dense/Relu:0"
    assert s.runner.selection == s.picker.value == s.converter.selection
    assert s.runner.selection.outputs[-1] == "dense/Relu:0"
    view.picker.preset.value = "serving_default"
    assert s.runner.selection.signature == "serving_default" == s.parity.signature
    view.runner.run_button.click()
    view.converter.convert_button.click()
    assert s.parity.v2 == s.converter.saved is not None
    view.parity.batches.value = 1
    view.parity.run_button.click()
    assert s.parity.summary.passed
    view.code.button.click()
    code = view.code.pre.value
    assert code.count("model = explorer.load(") == 1 and "explorer.parity(model, v2" in code
    assert "runner.infer(feeds)" in code and "v2 = explorer.convert(model" in code
    s.runner.close()
