"""MigrationWizard: one shared state across the five tabs."""

from __future__ import annotations

import html

import ipywidgets as W

from explorer.widgets import (
    MigrationWizard,
    WizardState,
)


def test_wizard_shares_one_state_across_tabs(mlp, tmp_path):
    view = MigrationWizard(WizardState(mlp, out_dir=str(tmp_path / "wiz")))
    s = view.state
    assert view.tabs.titles == ("1. browse", "2. pick ✔", "3. run", "4. convert", "5. compare")
    view.tabs.selected_index = 2
    assert s.step == 2
    s.step = 4
    assert view.tabs.selected_index == 4
    view.as_output.click()  # nothing selected in the browser
    assert "no op selected" in view.status.text
    view.browser.search.value = "Relu"
    view.browser.table.click("dense/Relu")
    view.as_output.click()
    assert s.picker.outputs[-1] == "dense/Relu:0"
    assert view.status.kind == "ok" and view.status.text == (
        "added dense/Relu:0 to the outputs (see 2. pick)"
    )
    assert view.as_output.layout.width == "auto"  # its label is never cut off
    assert s.runner.selection == s.picker.value == s.converter.selection
    assert s.runner.selection.outputs[-1] == "dense/Relu:0"
    view.picker.preset.value = "serving_default"
    assert s.runner.selection.signature == "serving_default" == s.parity.signature
    view.runner.run_button.click()
    view.converter.convert_button.click()
    assert s.converter.saved is not None
    assert s.parity.v2 is s.converter.v2  # the in-memory conversion, not the folder
    view.parity.batches.value = 1
    view.parity.run_button.click()
    assert s.parity.summary.passed
    # one "show code" button for the whole wizard, none inside the tabs
    buttons = [w for w in _walk(view) if isinstance(w, W.Button) and "code" in w.description]
    assert buttons == [view.code.button]
    view.code.button.click()
    code = html.unescape(view.code.pre.value)
    assert code.count("model = explorer.load(") == 1 and "explorer.parity(model, v2" in code
    assert "runner.infer(feeds)" in code and "v2 = explorer.convert(model" in code
    assert code.count("runner = explorer.V1Runner(") == 1
    s.runner.close()


def test_wizard_first_divergence_and_stale_check_after_preset_change(mlp, tmp_path):
    view = MigrationWizard(mlp, out_dir=str(tmp_path / "w2"))
    s = view.state
    view.converter.convert_button.click()
    view.converter.check_button.click()
    assert "agree" in view.converter.status.text
    view.parity.divergence_button.click()
    assert view.parity.status.text == "no divergence found"
    view.picker.preset.value = ""  # custom: the convert tab's "loaded back" line is stale
    view.picker.preset.value = "serving_default"
    assert view.converter.status.text == "" and "not converted yet" in view.converter.summary.value
    s.runner.close()


def test_wizard_on_a_bad_path_is_one_line_and_can_try_again(mlp_paths, tmp_path):
    missing = tmp_path / "nowhere"
    view = MigrationWizard(str(missing))
    assert view.state is None and view.status.kind == "error"
    assert str(missing) in view.status.text and "\n" not in view.status.text
    assert "could not open" in repr(view)
    junk = tmp_path / "junk.pb"
    junk.write_bytes(bytes(range(256)) * 4)
    view.path.value = str(junk)
    view.open_button.click()
    assert view.state is None and "junk.pb is not a valid binary GraphDef" in view.status.text
    view.path.value = str(mlp_paths["saved_model"])
    view.open_button.click()
    assert isinstance(view.state, WizardState) and view.tabs in view.children


def test_wizard_default_output_folder_is_never_inside_the_model_nor_read_only(
    mlp, tmp_path, monkeypatch
):
    import shutil
    from pathlib import Path

    import explorer

    out = Path(WizardState(mlp).converter.out_dir)
    model_dir = Path(mlp.path).resolve()
    assert not out.is_relative_to(model_dir) and out.name == f"{model_dir.name}_tf2"
    # a model in a read-only collection (like ../shared/models): the working folder instead
    shelf = tmp_path / "shelf"
    shutil.copytree(model_dir, shelf / "m")
    shelf.chmod(0o555)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    try:
        out = Path(WizardState(explorer.load(shelf / "m")).converter.out_dir)
    finally:
        shelf.chmod(0o755)
    assert out == work.resolve() / "m_tf2"


def _walk(w):
    yield w
    for c in getattr(w, "children", ()):
        yield from _walk(c)
