"""IOPicker: play the front end (set traitlets, click buttons), check the state, and back."""

from __future__ import annotations

import pytest

import explorer
from explorer.widgets import IOPicker, PickerState


def test_picker_preset_binding_both_ways(mlp):
    view = IOPicker(mlp)
    s = view.state
    assert view.preset.value == "serving_default" and s.signature == "serving_default"
    assert list(view.ins.chosen.options) == ["x:0"]
    assert list(view.outs.chosen.options) == ["logits/BiasAdd:0", "probs:0"]
    assert "✔" in view.message.value
    assert view.value.signature == "serving_default"
    view.preset.value = ""  # custom: same tensors, no signature
    assert s.signature is None and view.value.outputs == ("logits/BiasAdd:0", "probs:0")
    s.apply_preset("serving_default")
    assert view.preset.value == "serving_default"


def test_picker_add_and_remove_buttons(mlp):
    view = IOPicker(mlp)
    s = view.state
    view.outs.chosen.value = "logits/BiasAdd:0"
    view.outs.remove.click()
    assert s.outputs == ("probs:0",) and s.signature is None and view.preset.value == ""
    view.ins.chosen.value = "x:0"
    view.ins.remove.click()
    assert s.inputs == () and "✘" in view.message.value and "needs placeholder x" in s.message
    view.ins.suggestions.click("x:0")  # a person clicks a suggestion's row
    assert view.ins.value == "x:0" and 'data-name="x:0" class="tf1x-row tf1x-selected"' in (
        view.ins.suggestions.html
    )
    view.ins.add.click()
    assert s.inputs == ("x:0",) and "✔" in view.message.value
    view.outs.name.value = "dense/Relu"  # type a name
    view.outs.add.click()
    assert s.outputs == ("probs:0", "dense/Relu:0") and view.outs.name.value == ""
    assert list(view.outs.chosen.options) == ["probs:0", "dense/Relu:0"]
    s.remove_output("dense/Relu:0")  # the state changes: the list follows
    assert list(view.outs.chosen.options) == ["probs:0"]


def test_a_highlighted_tensor_stays_highlighted_when_the_other_side_changes(mlp):
    """A render from another change (here: an input removed) keeps an output's highlight, so a
    remove clicked next takes the tensor the person highlighted (CI saw it lost in Chromium)."""
    view = IOPicker(mlp)
    view.outs.chosen.value = "probs:0"
    view.ins.chosen.value = "x:0"
    view.ins.remove.click()
    assert view.state.inputs == () and view.outs.chosen.value == "probs:0"
    view.outs.remove.click()
    assert view.state.outputs == ("logits/BiasAdd:0",) and view.outs.chosen.value is None


def test_picker_errors_show_inline(mlp):
    view = IOPicker(mlp)
    view.outs.name.value = "no/such/op"
    view.outs.add.click()
    assert view.status.kind == "error" and "no tensor 'no/such/op'" in view.status.text
    view.ins.remove.click()  # nothing highlighted
    assert "highlight a chosen tensor" in view.status.text
    view.outs.highlight(None)
    view.outs.name.value = ""
    view.outs.add.click()
    assert "highlight a suggestion" in view.status.text
    view.outs.name.value = "probs"
    view.outs.add.click()  # it works now: the old error goes
    assert view.status.kind == "clear" and view.status.text == ""


def test_picker_reasons_are_shown_whole(mlp):
    view = IOPicker(mlp)
    reasons = [c.reason for c in view.state.choice.inputs]
    assert reasons and all(
        r in __import__("html").unescape(view.ins.suggestions.html) for r in reasons
    )
    assert "tf1x-wrap" not in view.ins.suggestions.html  # one line each, whole on hover


def test_picker_without_signatures_starts_from_suggestions(mlp_paths):
    s = PickerState(explorer.load(mlp_paths["frozen_pb"]))
    assert s.presets == [] and s.signature is None
    assert s.inputs == ("x:0",) and s.outputs == ("probs:0",) and s.validation.ok
    assert "explorer.V1Runner(model, inputs=['x:0'], outputs=['probs:0'])" in s.code()
    with pytest.raises(TypeError, match="needs a model"):
        PickerState(explorer.Catalog.from_model(explorer.load(mlp_paths["frozen_pb"])))


def test_picker_shows_the_feed_shape_of_an_unshaped_input(tmp_path):
    from tests.feeding import shape_models

    path, _, _ = shape_models.reshaped(tmp_path)
    picker = IOPicker(explorer.load(path))
    table = __import__("html").unescape(picker.ins.suggestions.html)
    assert "feed [?, 784]: dim 1 = 784: Reshape 'model/Reshape'" in table  # in the why column
    assert 'title="[?, 784]"' in table  # the shape column shows the feed shape
    assert picker.state.feed_shapes["x:0"]["shape"] == [None, 784]
