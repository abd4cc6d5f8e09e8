"""SessionRunner, Converter, ParityView and MigrationWizard: every button and binding, both ways."""

from __future__ import annotations

import datetime

import numpy as np
import pytest

import explorer
from explorer.examples import mlp_reference
from explorer.widgets import (
    Converter,
    MigrationWizard,
    ParityView,
    RunnerState,
    SessionRunner,
    WizardState,
)


@pytest.fixture(scope="module")
def mlp(mlp_paths):
    return explorer.load(mlp_paths["saved_model"])


@pytest.fixture(scope="module")
def saved(mlp, tmp_path_factory):
    return explorer.convert(mlp).save(tmp_path_factory.mktemp("v2") / "mlp_tf2")


# -- SessionRunner ------------------------------------------------------------------------


def test_runner_controls_bind_both_ways(mlp):
    view = SessionRunner(mlp)
    s = view.state
    for field, widget, value in (
        ("batch", view.batch, 3),
        ("seed", view.seed, 7),
        ("low", view.low, -2.0),
        ("high", view.high, 2.5),
    ):
        widget.value = value
        assert getattr(s, field) == value
    s.batch, s.seed, s.low, s.high = 2, 1, 0.0, 1.0
    assert (view.batch.value, view.seed.value, view.low.value, view.high.value) == (2, 1, 0.0, 1.0)
    s.close()


def test_runner_sample_run_and_inline_errors(mlp):
    view = SessionRunner(RunnerState(mlp))
    s = view.state
    assert "not run yet" in view.outputs_table.value
    view.batch.value = 3
    view.sample_button.click()
    assert s.feeds["x"].shape == (3, 4) and "source: sampled" in view.feeds_table.value
    view.run_button.click()
    assert view.status.kind == "ok" and "ran 2 output(s)" in view.status.text
    np.testing.assert_allclose(s.outputs["probs"], mlp_reference(s.feeds["x"]), rtol=1e-5)
    assert "probs" in view.outputs_table.value and "ms" in view.timing.value
    view.low.value = 5.0  # empty range: the error shows in the status line, no traceback
    view.sample_button.click()
    assert view.status.kind == "error" and "range [5.0, 1.0)" in view.status.text
    view.code.button.click()
    assert "runner.sample(batch=3" in view.code.pre.value
    s.close()


def _upload(name: str, content: bytes) -> dict:
    """One file as the FileUpload front end sends it."""
    when = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    return {
        "name": name,
        "type": "",
        "size": len(content),
        "content": content,
        "last_modified": when,
    }


def test_runner_upload_npz(mlp, tmp_path):
    view = SessionRunner(mlp)
    s = view.state
    x = np.full((2, 4), 0.5, np.float32)
    np.savez(tmp_path / "f.npz", x=x)
    content = (tmp_path / "f.npz").read_bytes()
    view.upload.value = (_upload("f.npz", content),)
    assert s.feeds_source == "f.npz" and view.status.text == "feeds from f.npz"
    view.run_button.click()
    np.testing.assert_allclose(s.outputs["probs"], mlp_reference(x), rtol=1e-5)
    bad = b"not an npz file"
    view.upload.value = (_upload("bad.npz", bad),)
    assert view.status.kind == "error" and "cannot read feeds" in view.status.text
    s.close()


# -- Converter ------------------------------------------------------------------------


def test_converter_options_bind_and_buttons(mlp, tmp_path):
    out = tmp_path / "out"
    view = Converter(mlp, out_dir=str(out))
    s = view.state
    assert view.out_dir.value == str(out) and "every signature" in view.what.value
    view.freeze.value = True
    view.overwrite.value = True
    assert s.freeze and s.overwrite
    s.freeze = False
    s.overwrite = False
    assert not view.freeze.value and not view.overwrite.value
    view.check_button.click()  # nothing saved yet
    assert view.status.kind == "error" and "press convert first" in view.status.text
    view.convert_button.click()
    assert view.status.kind == "ok" and (out / "saved_model.pb").is_file()
    assert view.progress.value == 1.0 and "serving_default" in view.summary.value
    view.check_button.click()
    assert view.status.text == "loaded back with tf.saved_model.load: 1 signature(s) agree"
    assert "same outputs" in view.summary.value
    view.convert_button.click()  # exists, no overwrite
    assert view.status.kind == "error" and "overwrite=True" in view.status.text
    assert view.progress.value == 0.0
    view.out_dir.value = str(tmp_path / "other")
    assert s.out_dir == str(tmp_path / "other")
    view.code.button.click()
    assert "v2.save(" in view.code.pre.value and "other" in view.code.pre.value


# -- ParityView ------------------------------------------------------------------------


def test_parity_view_buttons_table_plots_and_divergence(mlp, saved):
    view = ParityView(mlp, saved)
    s = view.state
    view.batches.value = 1
    view.atol.value = 1e-6
    assert s.batches == 1 and s.atol == 1e-6
    s.seed = 3
    assert view.seed.value == 3
    view.run_button.click()
    assert view.status.text == "parity: passed" and "passed" in view.verdict.value
    assert view.table.value.count("background:#dafbe1") == 2  # two outputs, both green
    assert view.plots.value.count("<img") == len(s.figures()) >= 3
    assert view.shown.value == "serving_default"
    view.divergence_button.click()
    assert view.status.text == "no divergence found"
    assert "tf1x-node" in view.drawing.value and "<img" in view.drawing.value
    assert 'data-name="logits/BiasAdd"' in view.drawing.value
    view.code.button.click()
    assert "explorer.first_divergence(model, v2, feeds" in view.code.pre.value


def test_parity_divergence_colours_ops_by_error(mlp, saved):
    from explorer.divergence import v2_graph_def
    from explorer.runners import V1Runner
    from explorer.widgets.graph_svg import error_colour

    view = ParityView(mlp, saved)
    s = view.state
    gd = v2_graph_def(saved)
    for node in gd.node:
        if node.name == "dense/Relu":
            node.op = "Elu"
    s.divergence = explorer.first_divergence(mlp, gd, V1Runner(mlp).sample(batch=1, seed=0))
    assert s.divergence.op == "dense/Relu"
    svg = view.drawing.value
    assert "first divergence at dense/Relu" in svg
    errors = s.op_errors()
    worst = max(v for v in errors.values() if v is not None)
    relu = svg.split('data-name="dense/Relu"')[1]
    assert f'fill="{error_colour(errors["dense/Relu"], worst)}"' in relu.split("</g>")[0]
    add = svg.split('data-name="add"')[1]
    assert 'fill="#2ea043"' in add.split("</g>")[0]  # upstream of it: equal, green


def test_parity_without_v2_says_convert_first(mlp):
    view = ParityView(mlp)
    view.run_button.click()
    assert view.status.kind == "error" and "convert the model first" in view.status.text


# -- MigrationWizard ------------------------------------------------------------------------


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
