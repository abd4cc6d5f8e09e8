"""RunnerState: sample, run and summarise the v1 session, without any front end."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.errors import FeedError
from explorer.examples.models import mlp_reference
from explorer.widgets import RunnerState, Selection


def test_runner_samples_runs_and_summarises(mlp):
    r = RunnerState(mlp)
    out = r.run()  # samples first
    assert r.feeds_source == "sampled" and r.feeds["x"].shape == (1, 4)
    np.testing.assert_allclose(out["probs"], mlp_reference(r.feeds["x"]), rtol=1e-5)
    assert r.seconds is not None and r.seconds > 0
    rows = {row["key"]: row for row in r.output_rows()}
    assert rows["probs"]["shape"] == [1, 3] and rows["probs"]["nan"] == 0
    assert rows["probs"]["min"] == pytest.approx(float(out["probs"].min()))
    assert len(rows["probs"]["preview"].split(", ")) == 3
    r.batch = 5  # sampled feeds are stale now
    assert r.feeds is None
    r.low, r.high = 2.0, 3.0
    r.sample()
    assert r.feeds["x"].shape == (5, 4) and r.feeds["x"].min() >= 2.0
    r.low = 4.0
    with pytest.raises(FeedError, match="range"):
        r.sample()
    r.close()


def test_runner_npz_feeds_and_selection(frozen, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an upload is kept in the working folder
    sel = Selection(inputs=("x:0",), outputs=("probs:0",))
    r = RunnerState(frozen, sel)
    x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)
    np.savez(tmp_path / "feeds.npz", **{"x:0": x})
    r.load_npz(tmp_path / "feeds.npz")
    assert r.feeds_source == "feeds.npz"
    np.testing.assert_allclose(r.run()["probs:0"], mlp_reference(x), rtol=1e-5)
    r.load_npz((tmp_path / "feeds.npz").read_bytes(), name="upload.npz")
    assert r.feeds_source == "upload.npz"
    r.batch = 3  # loaded feeds are not resampled
    assert r.feeds is not None
    np.savez(tmp_path / "bad.npz", **{"x:0": np.ones((2, 5), np.float32)})
    with pytest.raises(FeedError, match="x:0"):
        r.load_npz(tmp_path / "bad.npz")
    ns: dict = {}
    code = r.code()  # names the kept upload, a file that exists
    assert f"explorer.Feeds.load({str(tmp_path / 'frozen_feeds' / 'feeds.npz')!r})" in code
    exec(code, ns)
    np.testing.assert_allclose(ns["outputs"]["probs:0"], mlp_reference(x), rtol=1e-5)
    assert "explorer.V1Runner(model, inputs=['x:0'], outputs=['probs:0'])" in code
    r.selection = Selection()  # a new selection drops the run
    assert r.outputs is None and r.feeds is None
    r.close()
