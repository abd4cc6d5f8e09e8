"""Issue 25's last items, on the widgets' states: show-code runs as written and gives what the
view shows (the ranked search), heatmaps say which batches they show."""

from __future__ import annotations

import explorer
from explorer.widgets import TensorBrowser


def test_browser_show_code_runs_and_finds_the_table_s_ops_in_its_order(mlp):
    view = TensorBrowser(mlp)
    view.search.value = "dense"
    view.op_type.value = "Const"
    code = view.code.toggle()
    assert "ranked=True" in code and "op_type='Const'" in code
    scope: dict = {}
    exec(compile(code, "show-code", "exec"), scope)  # as a person pastes it
    shown = [r["name"] for r in view.state.page_rows()]
    assert [op.name for op in scope["ops"]][: len(shown)] == shown and shown
    assert isinstance(scope["model"], explorer.V1Model)


def test_parity_heatmap_says_it_shows_the_first_batch(mlp, saved):
    from explorer.widgets import ParityView

    view = ParityView(mlp, saved)
    view.batches.value = 3
    view.state.run()
    rep = view.state.report()
    rep.outputs["logits"].max_abs = rep.outputs["logits"].max_abs or 1e-3  # an error to draw
    figures = view.state.figures()
    title = figures["heatmap logits"].axes[0].get_title()
    assert title.startswith("logits, first batch: abs error (")
    assert figures["scatter logits"] is not None  # the scatter counts every batch
