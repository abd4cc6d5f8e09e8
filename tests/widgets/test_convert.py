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
    view.convert_button.click()  # exists, no overwrite
    assert view.status.kind == "error" and "overwrite=True" in view.status.text
    assert view.progress.value == 0.0
    view.out_dir.value = str(tmp_path / "other")
    assert s.out_dir == str(tmp_path / "other")
    view.code.button.click()
    assert "v2.save(" in view.code.pre.value and "other" in view.code.pre.value
