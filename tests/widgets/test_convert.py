"""Converter: options, buttons and the summary, both ways."""

from __future__ import annotations

from explorer.widgets import (
    Converter,
)


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
    view.convert_button.click()  # exists, no overwrite: the error points at the checkbox
    assert view.status.kind == "error"
    assert (
        view.status.text
        == f"{out} is an earlier output of tf1-explorer: tick “overwrite” to replace it, or type "
        "another folder"
    )
    assert view.progress.value == 0.0
    assert "not converted yet" in view.summary.value  # no stale "saved to" table
    view.out_dir.value = str(tmp_path / "other")
    assert s.out_dir == str(tmp_path / "other")
    view.code.button.click()
    assert "v2.save(" in view.code.pre.value and "other" in view.code.pre.value


def test_converter_status_finishes_and_result_lines_go_stale(mlp, tmp_path):
    from explorer.widgets import Selection

    view = Converter(mlp, out_dir=str(tmp_path / "o"))
    s = view.state
    view.convert_button.click()
    assert view.status.kind == "ok" and view.status.text.startswith("saved the TF2 SavedModel")
    assert s.stage == "" and view.progress.value == 1.0
    view.check_button.click()
    assert "agree" in view.status.text
    s.selection = Selection(signature="serving_default")  # a preset change
    assert view.status.text == "" and "not converted yet" in view.summary.value


def test_progress_creeps_towards_the_next_stage_and_stops():
    import time

    import ipywidgets as W

    from explorer.widgets.convert import _Creep

    bar = W.FloatProgress(min=0.0, max=1.0, value=0.1)
    creep = _Creep(bar)
    creep.start(0.5)
    time.sleep(0.8)
    creep.stop()
    moved = bar.value
    assert 0.1 < moved <= 0.5
    time.sleep(0.3)
    assert bar.value == moved  # stopped for good
