"""The worst examples in the ParityView: ParityState runs on data, lists the worst examples, and
picking one (in the state or in the widget) shows it."""

from __future__ import annotations

import numpy as np
import pytest

import explorer
from explorer.examples.models import build_mlp
from explorer.widgets import ParityState
from explorer.widgets.compare import detail_html, worst_examples_box


@pytest.fixture(scope="module")
def other_v2(tmp_path_factory):
    """A conversion of the MLP with other weights: every example differs."""
    return explorer.convert(build_mlp(tmp_path_factory.mktemp("o") / "m", "saved_model", seed=1))


def test_state_runs_on_data_and_picks_a_worst_example(mlp, other_v2):
    x = np.random.default_rng(0).normal(size=(12, 4)).astype(np.float32)
    s = ParityState(mlp, other_v2)
    s.data, s.limit = {"x": x}, 10
    summary = s.run()
    assert summary.status == "failed" and summary["serving_default"].data["examples"] == 10
    rows = s.worst_rows()
    assert {r["output"] for r in rows} == {"probs", "logits"} and len(rows) == 10
    probs = [r for r in rows if r["output"] == "probs"]
    assert probs == sorted(probs, key=lambda r: -r["max_abs"])
    assert s.example_detail() is None
    s.example = ("probs", probs[0]["index"])
    d = s.example_detail()
    assert d["where"] == f"arrays[{d['index']}]" and len(d["v1"]) == 3 and d["v1"] != d["v2"]
    assert "data={'x'" not in s.code() and "explorer.data(data, limit=10)" in s.code()
    s.data = None  # stale: the run and the pick go
    assert s.summary is None and s.example is None and s.worst_rows() == []


def test_the_box_mirrors_the_state_both_ways(mlp, other_v2):
    s = ParityState(mlp, other_v2)
    box = worst_examples_box(s)
    pick, detail = box.children
    assert box.layout.display == "none" and pick.options == ()
    s.data = {"x": np.ones((3, 4), np.float32)}
    s.run()
    assert box.layout.display == "" and len(pick.options) == 6
    pick.value = pick.options[1][1]  # the front end picks one
    assert s.example == pick.options[1][1] and "arrays[" in detail.value
    s.example = pick.options[0][1]  # the state picks another
    assert pick.value == s.example and detail.value == detail_html(s.example_detail())


def test_the_parity_view_holds_the_box(mlp, saved):
    from explorer.widgets import ParityView

    view = ParityView(mlp, saved)
    assert any("tf1x-worst-examples" in c._dom_classes for c in view.children)
