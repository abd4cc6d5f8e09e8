"""SessionRunner: every control and button, both ways."""

from __future__ import annotations

import datetime

import numpy as np

from explorer.examples.models import mlp_reference
from explorer.widgets import (
    RunnerState,
    SessionRunner,
)


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
    assert "no outputs yet" in view.outputs_table.value
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


def test_runner_upload_npz(mlp, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the upload is kept in the working folder
    view = SessionRunner(mlp)
    s = view.state
    x = np.full((2, 4), 0.5, np.float32)
    np.savez(tmp_path / "f.npz", x=x)
    content = (tmp_path / "f.npz").read_bytes()
    view.upload.value = (_upload("f.npz", content),)
    assert s.feeds_source == "f.npz" and view.status.text.startswith("feeds from f.npz, kept as ")
    view.run_button.click()
    np.testing.assert_allclose(s.outputs["probs"], mlp_reference(x), rtol=1e-5)
    assert view.upload.value == ()  # cleared, so the same file can be chosen again
    rng = np.random.default_rng(0)
    view.upload.value = (_upload("random.npz", rng.bytes(256).replace(b"PK", b"pk")),)
    assert view.status.kind == "error" and view.status.text.startswith(
        "random.npz is not an .npz file (an .npz is a zip of .npy arrays"
    )
    assert view.status.text.endswith("or Feeds.save") and "\n" not in view.status.text
    np.savez(tmp_path / "obj.npz", x=np.array([{"a": 1}], dtype=object))
    view.upload.value = (_upload("obj.npz", (tmp_path / "obj.npz").read_bytes()),)
    assert view.status.text == (
        "obj.npz holds object (pickled) arrays, which are never loaded: save numeric or string "
        "arrays (numpy.savez(path, **{'x:0': array}))"
    )
    assert s.feeds_source == "f.npz"  # the feeds that worked are still the ones shown
    s.close()


def test_runner_clears_stale_outputs_on_error_and_on_new_feeds(mlp):
    view = SessionRunner(mlp)
    s = view.state
    view.run_button.click()
    assert s.outputs is not None and "ms" in view.timing.value
    s.feeds = {"x": np.ones((2, 5), np.float32)}  # wrong shape: the run fails
    assert s.outputs is None and view.timing.value == ""  # outputs of other feeds are gone
    view.run_button.click()
    assert view.status.kind == "error" and "no outputs yet" in view.outputs_table.value
    assert s.outputs is None and s.seconds is None and view.timing.value == ""
    s.close()


def test_sampling_notes_read_as_words():
    from explorer.widgets.run_state import describe_note

    assert describe_note("x:0: unknown dim 0=8") == (
        "x:0: the graph leaves dimension 0 open; sampled 8 (the batch size)"
    )
    assert describe_note("x: unknown dim 0=4, dim 2=2") == (
        "x: the graph leaves dimensions 0, 2 open; sampled 4 (the batch size), 2 for dimension 2"
    )
    assert describe_note("examples: serialized tf.Example") == "examples: serialized tf.Example"
