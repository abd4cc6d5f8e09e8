"""What the browser tier found on the newer views (issue 25's promises): a result's inputs changed
from code empty the convert view's progress bar and check the output folder again (it now holds
the earlier output); FleetView sorts by columns named in words; ONNX show-code runs as written."""

import pytest

from explorer.widgets import Converter, FleetView
from explorer.widgets.convert_state import ConverterState
from tests.fleets.test_report import fleet_report


def test_a_changed_target_empties_the_bar_and_rechecks_the_folder(mlp, tmp_path):
    view = Converter(mlp, out_dir=str(tmp_path / "out"), show_code=False)
    s = view.state
    assert s.out_problem == "" and view.out_problem.value == ""
    view.convert_button.click()
    assert s.saved == tmp_path / "out" and view.progress.value == 1.0
    assert s.out_problem == ""  # just written: no red line under a success
    s.to = "onnx"  # from code, as a click would: the result and the bar go
    assert s.saved is None and s.progress == 0.0 and view.progress.value == 0.0
    said = f"{tmp_path / 'out'} is an earlier output of tf1-explorer: tick “overwrite”"
    assert s.out_problem.startswith(said) and said in view.out_problem.value
    view.overwrite.value = True
    assert s.out_problem == "" and view.out_problem.value == ""


def test_fleet_view_sorts_by_columns_named_in_words(tmp_path):
    fleet_report().write(tmp_path)
    view = FleetView(tmp_path)
    assert ("exit code", "exit_code") in view.sort_pick.options
    view.sort_pick.value = "exit_code"
    assert view.sort == "exit_code" and [r["exit_code"] for r in view.rows] == [-9, -6, 0, 2, 2]


def test_onnx_show_code_runs_as_written(mlp, tmp_path, monkeypatch):
    from explorer.conversion.onnx import onnx_missing

    if onnx_missing():
        pytest.skip(onnx_missing())
    s = ConverterState(mlp, out_dir=str(tmp_path / "onnx"))
    s.to = "onnx"
    s.convert()
    code = s.code()
    assert "NAME" not in code and "out = v2.save(" in code and "overwrite=True" in code
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(code, scope)  # converts again, saves over its own output, opens the .onnx file
    assert [i.name for i in scope["session"].get_inputs()] == ["x"]
