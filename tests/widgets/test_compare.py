"""ParityView: buttons, the per-output table, plots and the first divergence."""

from __future__ import annotations

import explorer
from explorer.widgets import (
    ParityView,
)


def test_parity_view_buttons_table_plots_and_divergence(mlp, saved):
    view = ParityView(mlp, saved)
    s = view.state
    view.batches.value = 1
    view.atol.value = 1e-6
    assert s.batches == 1 and s.atol == 1e-6
    s.seed = 3
    assert view.seed.value == 3
    view.run_button.click()
    assert view.status.text == "parity: passed"
    assert "passed: all 2 outputs exactly equal" in view.verdict.value
    assert view.table.value.count("background:#dafbe1") == 2  # two outputs, both green
    assert view.plots.value.count("<img") == len(s.figures()) >= 3
    assert view.shown.value == "serving_default"
    view.divergence_button.click()
    assert view.status.text == "no divergence found"
    assert "tf1x-node" in view.drawing.value and "<img" in view.drawing.value
    assert 'data-name="logits/BiasAdd"' in view.drawing.value
    view.code.button.click()
    assert "explorer.first_divergence(model, v2, feeds" in view.code.pre.value


def test_parity_divergence_colours_ops_by_error(mlp, saved):
    from explorer.comparing.divergence import v2_graph_def
    from explorer.running.v1_runner import V1Runner
    from explorer.widgets.graph_svg import error_colour

    view = ParityView(mlp, saved)
    s = view.state
    gd = v2_graph_def(saved)
    for node in gd.node:
        if node.name == "dense/Relu":
            node.op = "Elu"
    s.divergence = explorer.first_divergence(mlp, gd, V1Runner(mlp).sample(batch=1, seed=0))
    assert s.divergence.op == "dense/Relu"
    svg = view.drawing.value
    assert "first divergence at dense/Relu" in svg
    errors = s.op_errors()
    worst = max(v for v in errors.values() if v is not None)
    relu = svg.split('data-name="dense/Relu"')[1]
    assert f'fill="{error_colour(errors["dense/Relu"], worst)}"' in relu.split("</g>")[0]
    add = svg.split('data-name="add"')[1]
    assert 'fill="#2ea043"' in add.split("</g>")[0]  # upstream of it: equal, green


def test_parity_without_v2_says_convert_first(mlp):
    view = ParityView(mlp)
    view.run_button.click()
    assert view.status.kind == "error" and "convert the model first" in view.status.text


def test_parity_refuses_negative_and_nan_tolerances(mlp, saved):
    view = ParityView(mlp, saved)
    s = view.state
    view.atol.value = -1.0
    assert s.atol == 1e-5 and view.atol.value == 1e-5  # refused, put back
    assert view.status.kind == "error" and "atol = -1.0 is not a tolerance" in view.status.text
    view.atol.value = 1e-4  # a good value clears the error
    assert s.atol == 1e-4 and view.status.kind == "clear"
    view.rtol.value = float("nan")
    assert s.rtol == 1e-5 and "rtol = nan is not a tolerance" in view.status.text
    import pytest

    with pytest.raises(ValueError, match="finite number >= 0"):
        s.atol = float("inf")


def test_parity_view_shows_its_panels_in_order(mlp, saved):
    view = ParityView(mlp, saved)
    names = ["verdict", "table", "plots", "worst examples", "divergence", "speed", "training"]
    assert list(view.panels) == [*names, "whole graph"]  # worst examples: a run on data
    assert all(p in view.children for p in view.panels.values())
    assert view.children[-2:] == (view.status, view.code)
