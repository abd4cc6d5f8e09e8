"""ParityView's "measure speed" (the latency table of the proven artifact, on request) and the
convert tab's ONNX option, through the views' widgets and the wizard's state."""

from __future__ import annotations

import pytest

from explorer.conversion.onnx import onnx_missing
from explorer.errors import ParityError
from explorer.reporting.html import serve_line
from explorer.widgets import Converter, ParityView
from explorer.widgets.convert_state import ConverterState
from explorer.widgets.wizard_state import WizardState


def test_parity_view_times_the_proven_artifact_only_when_asked(mlp, saved):
    view = ParityView(mlp, saved)
    s = view.state
    s.batches = 1
    assert view.speed_button.layout.display == "none" and view.speed.value == ""
    with pytest.raises(ParityError, match="only a proven artifact is timed: run parity first"):
        s.measure_speed()
    view.run_button.click()
    assert s.summary.passed and s.speed is None  # parity alone times nothing
    assert view.speed_button.layout.display == ""
    view.speed_button.click()
    assert set(s.speed["artifacts"]) == {"v1 session", "TF2 SavedModel"}
    assert set(s.speed["artifacts"]["TF2 SavedModel"]) == {"1", "32"}
    assert view.status.kind == "ok" and view.status.text == serve_line(s.speed)
    assert "<b>Serve TF2 SavedModel: the fastest proven artifact at batch 1 (" in view.speed.value
    assert "batch 32 examples/s" in view.speed.value and "× v1" in view.speed.value
    code = s.code()
    assert "r2 = runner_for(v2, 'serving_default')" in code
    v1 = "explorer.V1Runner(model, signature='serving_default')"
    assert f"speed = against_v1({v1}, 'TF2 SavedModel', r2, 0, (1, 32))" in code
    scope: dict = {}
    exec(code, scope)  # runnable as written
    assert set(scope["speed"]["artifacts"]) == set(s.speed["artifacts"])
    s.seed = 3  # a changed input: the timing is stale
    assert s.speed is None and view.speed.value == ""


def test_the_wizards_convert_tab_offers_onnx_and_parity_times_it(mlp, tmp_path):
    if onnx_missing():
        pytest.skip(onnx_missing())
    w = WizardState(mlp, out_dir=str(tmp_path / "onnx"))
    view = Converter(w.converter, show_code=False)
    assert [v for _, v in view.to.options] == ["saved_model", "onnx"] and not view.onnx_note.value
    view.to.value = "onnx"
    assert w.converter.to == "onnx" and view.what.value.endswith("to ONNX")
    view.convert_button.click()
    assert view.status.text == f"saved the ONNX model to {tmp_path / 'onnx'}"
    assert (tmp_path / "onnx" / "serving_default.onnx").is_file()
    view.check_button.click()
    assert view.status.text == "loaded back with onnxruntime: 1 signature(s) agree"
    code = w.converter.code()
    assert "to='onnx'" in code and "onnxruntime.InferenceSession" in code
    w.parity.batches = 1
    assert w.parity.run().passed
    speed = w.parity.measure_speed()
    assert set(speed["artifacts"]) == {"v1 session", "ONNX Runtime"}
    view.to.value = "saved_model"  # another target: the ONNX result is stale
    assert w.converter.v2 is None and w.parity.v2 is None and w.parity.speed is None


def test_onnx_without_its_extra_is_refused_in_one_line(mlp, tmp_path):
    s = ConverterState(mlp, out_dir=str(tmp_path / "x"))
    s.onnx_problem = "ONNX export needs the optional extra onnx (tf2onnx is not installed): pip"
    view = Converter(s)
    assert "tf2onnx is not installed" in view.onnx_note.value
    view.to.value = "onnx"
    assert view.status.kind == "error" and "tf2onnx is not installed" in view.status.text
    assert s.to == "saved_model" and view.to.value == "saved_model"
