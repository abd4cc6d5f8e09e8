"""ConverterState: convert, save and load back (through explorer.parity), without any front end."""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.errors import ConversionError, OutputExistsError
from explorer.widgets import ConverterState, Selection


def test_converter_converts_saves_and_loads_back(mlp, tmp_path):
    c = ConverterState(mlp, out_dir=str(tmp_path / "tf2"))
    stages = []
    c.observe(lambda ch: stages.append(ch.new), "stage")
    out = c.convert()
    assert (out / "saved_model.pb").is_file() and c.progress == 1.0
    assert stages == ["converting", "saving", ""]
    assert c.summary_rows() == [["serving_default", "x", "logits, probs", ""]]
    check = c.load_back()
    assert check["serving_default"].passed
    assert c.summary_rows()[0][3] == "same outputs"
    with pytest.raises(OutputExistsError, match="overwrite"):
        c.convert()
    assert c.progress == 0.0 and c.stage == ""
    c.overwrite = True
    c.freeze = True
    c.convert()
    assert c.v2.frozen
    ns: dict = {}
    exec(c.code(), ns)
    assert "serving_default" in ns["loaded"].signatures


def test_converter_selection_and_errors(frozen, tmp_path):
    sel = Selection(inputs=("x:0",), outputs=("probs:0",))
    c = ConverterState(frozen, sel, out_dir=str(tmp_path / "fz"))
    with pytest.raises(ConversionError, match="press convert"):
        c.load_back()
    c.convert()
    assert c.load_back()["serving_default"].passed
    assert "inputs=['x:0'], outputs=['probs:0']" in c.code()
    c.out_dir = " "
    with pytest.raises(ConversionError, match="output folder"):
        c.convert()
    out = Path(ConverterState(frozen).out_dir)  # in the working folder (numbered when taken)
    assert out.parent == Path.cwd().resolve() and out.name.startswith("frozen_tf2")
