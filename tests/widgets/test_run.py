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
