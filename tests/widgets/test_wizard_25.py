"""Issue 25, one consistent wizard: a header, tabs marked done / failed / needs re-run, invalid
choices blocking every step, stale lines cleared, output folders checked as typed, errors in
widget words, runnable show-code, and a saved run that replays (API and CLI)."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pytest

import explorer
from explorer.cli import main
from explorer.errors import SessionError
from explorer.output_policy import is_output
from explorer.running.session import GRAPH_FIX, RUN_FIX
from explorer.widgets import MigrationWizard
from explorer.widgets._common import error_line
from tests.helpers import cli_json


def _enter(box) -> None:
    box._handle_string_msg(None, {"event": "submit"}, None)  # what Enter in the browser sends


def test_header_and_marks_follow_every_step(mlp, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    view = MigrationWizard(mlp)
    s = view.state
    head = html.unescape(view.header.value)
    assert f"{Path(mlp.path).name} · saved_model · " in head
    assert " nodes · serving_default: " in head
    assert f"{len(s.picker.catalog):,} nodes" in head and "x:0 →" in head
    assert view.tabs.titles == ("1. browse", "2. pick ✔", "3. run", "4. convert", "5. compare")
    view.runner.run_button.click()
    view.converter.convert_button.click()
    view.parity.batches.value = 1
    view.parity.run_button.click()
    assert s.marks == ("", "done", "done", "done", "done")
    assert view.tabs.titles[2:] == ("3. run ✔", "4. convert ✔", "5. compare ✔")
    view.runner.low.value = 5.0  # an empty range: the run fails, and says so in its tab
    view.runner.run_button.click()
    assert view.runner.status.text == "range [5.0, 1.0) is empty: make low < high"
    assert s.marks[2] == "failed" and view.tabs.titles[2] == "3. run ✘"
    view.runner.low.value = -1.0  # fixed: the error goes, the tab asks for a new run
    assert view.runner.status.text == "" and view.tabs.titles[2] == "3. run ↻"
    s.picker.remove_output("logits/BiasAdd:0")  # from code: results go stale
    assert "custom: x:0 → probs:0" in html.unescape(view.header.value)
    assert s.marks == ("", "done", "needs re-run", "needs re-run", "needs re-run")
    assert s.converter.saved is None and s.parity.summary is None
    s.runner.close()


def test_an_invalid_choice_blocks_run_convert_and_parity(mlp, tmp_path, saved):
    view = MigrationWizard(mlp, out_dir=str(tmp_path / "tf2"))
    s = view.state
    s.parity.v2 = saved  # something to compare with: only the choice may refuse
    for name in ("probs:0", "logits/BiasAdd:0"):
        s.picker.remove_output(name)
    assert "✘ choose at least one output" in view.picker.message.value
    assert s.marks[1] == "failed" and view.tabs.titles[1] == "2. pick ✘"
    assert "converts nothing: choose at least one output" in view.converter.what.value
    line = "choose at least one output (in the pick step)"
    for button, status in (
        (view.runner.run_button, view.runner.status),
        (view.converter.convert_button, view.converter.status),
        (view.parity.run_button, view.parity.status),
    ):
        button.click()
        assert status.kind == "error" and status.text == line
    assert s.runner.outputs is None and s.converter.saved is None and s.parity.summary is None
    assert not (tmp_path / "tf2").exists()
    assert s.marks[2:] == ("failed", "failed", "failed")
    view.picker.outs.name.value = "Probs:0"  # Enter adds; a wrong case gets a "did you mean"
    _enter(view.picker.outs.name)
    assert view.picker.status.text == "no tensor 'Probs:0' in this model: did you mean probs:0?"
    view.picker.outs.name.value = "probs:0"
    _enter(view.picker.outs.name)
    assert s.picker.outputs == ("probs:0",) and view.picker.status.text == ""
    assert s.marks[1:] == ("done", "needs re-run", "needs re-run", "needs re-run")
    view.runner.run_button.click()
    assert list(s.runner.outputs) == ["probs:0"]
    s.runner.close()


def test_output_folder_is_checked_as_typed_by_the_output_policy(mlp, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("my own file")
    (tmp_path / "a_file").write_text("x")
    view = MigrationWizard(mlp)
    c, conv = view.state.converter, view.converter
    default = Path(c.out_dir)
    assert default.parent == tmp_path and not default.exists() and c.out_problem == ""
    conv.out_dir.value = str(tmp_path / "mine")
    assert "holds 1 entry not written by tf1-explorer (e.g. notes.txt)" in c.out_problem
    assert "notes.txt" in conv.out_problem.value
    conv.overwrite.value = True  # overwrite never replaces a folder that is not ours
    assert "not written by tf1-explorer" in c.out_problem
    conv.convert_button.click()  # refused at once, before any conversion
    assert conv.status.text == c.out_problem and c.v2 is None
    assert (tmp_path / "mine" / "notes.txt").read_text() == "my own file"
    conv.out_dir.value = str(tmp_path / "a_file")
    assert "a_file is a file: a folder is never written over it" in c.out_problem
    conv.out_dir.value = str(default)
    assert c.out_problem == "" and conv.out_problem.value == ""
    conv.overwrite.value = False
    _enter(conv.out_dir)  # Enter converts
    assert is_output(default) and conv.status.kind == "ok"
    conv.out_dir.value = str(default) + " "  # typed again: an earlier output, named as such
    conv.out_dir.value = str(default)
    assert c.out_problem == (
        f"{default} is an earlier output of tf1-explorer: tick “overwrite” to replace it, or "
        "type another folder"
    )
    conv.convert_button.click()  # converting from code leaves no "saving…" behind either
    c.overwrite = True
    c.convert()
    assert conv.status.kind == "clear" and c.saved == default


def test_errors_read_in_widget_words():
    missing = FileNotFoundError(2, "No such file or directory", "/x/feeds.npz")
    assert error_line(missing) == "cannot use /x/feeds.npz: No such file or directory"
    run = SessionError("m.pb: session.run failed at op 'a' (Add): bad shape", RUN_FIX)
    assert str(run).endswith(f"bad shape: {RUN_FIX}") and run.fix == RUN_FIX
    text = error_line(run)
    assert "--" not in text and "API" not in text and "set low/high or upload feeds" in text
    graph = SessionError("m.pb: session.run failed: bad graph", GRAPH_FIX)  # the field decides
    assert error_line(graph).endswith("bad graph: the graph itself is at fault, not the feeds")
    exists = explorer.errors.OutputExistsError("o exists: pass overwrite=True (CLI: --overwrite)")
    assert error_line(exists) == "o exists: tick “overwrite”"
    assert error_line(ValueError("bad\nsecond line")) == "bad"


def test_saved_run_replays_through_the_api_and_the_cli(
    mlp, mlp_paths, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    view = MigrationWizard(mlp)
    s = view.state
    view.converter.convert_button.click()
    view.parity.run_button.click()
    view.save_button.click()
    run = s.saved_run
    assert view.parity.status.text == (
        f"saved the run (feeds, outputs, JSON and HTML report) to {run}"
    )
    assert run.parent == tmp_path and is_output(run)
    names = sorted(p.name for p in (run / "serving_default").iterdir())
    assert names == ["feeds_0.npz", "feeds_1.npz", "outputs_v1.npz", "outputs_v2.npz"]
    saved = json.loads((run / "report.json").read_text())
    assert saved["passed"] and "parity-json" in (run / "report.html").read_text()
    first = s.parity.summary["serving_default"]
    v1 = explorer.Feeds.load(run / "serving_default" / "outputs_v1.npz")
    np.testing.assert_array_equal(v1["probs"], first.arrays["probs"][0])
    feeds = [str(run / "serving_default" / f"feeds_{i}.npz") for i in (0, 1)]
    loaded = [explorer.Feeds.load(f) for f in feeds]  # the API replays the saved feeds
    again = explorer.parity(mlp, s.converter.saved, source=loaded)["serving_default"]
    assert again.batches == 2
    for key, rec in first.outputs.items():
        assert again.outputs[key].max_abs == rec.max_abs
        np.testing.assert_array_equal(again.arrays[key][0], first.arrays[key][0])
    capsys.readouterr()
    cli = ["parity", str(mlp_paths["saved_model"]), "--converted", str(s.converter.saved)]
    assert main([*cli, "--feed", *feeds, "--json"]) == 0
    sig = cli_json(capsys)["signatures"]["serving_default"]
    assert sig["batches"] == 2
    assert sig["outputs"]["probs"]["max_abs"] == first.outputs["probs"].max_abs
    with pytest.raises(explorer.errors.OutputExistsError):
        s.save(run)
    assert s.save(run, overwrite=True) == run
    s.runner.close()


def test_parity_on_an_image_folder_names_the_data_and_shows_one(tmp_path, monkeypatch):
    import tensorflow as tf
    from PIL import Image

    monkeypatch.chdir(tmp_path)
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 8, 8, 3], name="image")
        tf.reduce_mean(x, axis=[1, 2], name="mean")
    (tmp_path / "m.pb").write_bytes(g.as_graph_def().SerializeToString())
    (folder := tmp_path / "pics").mkdir()
    for i in range(3):
        Image.new("RGB", (8, 8), (40 * i, 90, 200)).save(folder / f"p{i}.png")
    view = MigrationWizard(str(tmp_path / "m.pb"))
    s = view.state
    view.converter.convert_button.click()
    s.parity.data = str(folder)
    view.parity.run_button.click()
    assert s.parity.summary.passed
    note = html.unescape(view.data_note.value)
    assert f"ran on 3 images in {folder}" in note and ": 3 examples" in note
    assert "<img src='data:image/png;base64," in note and "title='p0.png'" in note
    s.parity.data = None  # what it was computed from changed: the line goes
    assert view.data_note.value == ""
