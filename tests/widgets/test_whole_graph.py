"""The "whole graph" button of the TensorBrowser and the ParityView: Model Explorer opens under it
(the selected op selected, the parity and divergence results as overlays) and closes."""

from __future__ import annotations

import json
import urllib.parse

from explorer.widgets import ParityView, TensorBrowser


def _data(view) -> dict:
    return json.loads(urllib.parse.unquote(view.url.partition("/?data=")[2]))


def test_browser_whole_graph_opens_on_the_selected_op_and_closes(frozen):
    browser = TensorBrowser(frozen)
    browser.state.select("MatMul")
    box = browser.whole_graph
    assert box in browser.children
    button, close = box.children[0].children
    assert (button.description, close.layout.display) == ("whole graph", "none")
    button.click()
    first = box.view
    assert first is not None and first.process.poll() is None, box.children[1].text
    assert box.children[1].text == f"Model Explorer at {first.url.split('/?')[0]}"
    assert "<iframe" in box.children[2].value and close.layout.display == ""
    assert _data(first)["uiState"]["paneStates"][0]["selectedNodeId"] == "MatMul"
    assert "nodeData" not in _data(first)  # the browser has no results to overlay
    button.click()  # a second press replaces the open one: one server at a time
    assert box.view is not first and first.process.returncode is not None
    second = box.view
    close.click()
    assert box.view is None and second.process.returncode is not None
    assert box.children[2].value == "" and box.children[1].text == "Model Explorer closed"


def test_parity_view_whole_graph_overlays_parity_and_divergence(mlp, saved):
    view = ParityView(mlp, saved)
    box = view.panels["whole graph"]
    view.batches.value = 1
    view.run_button.click()
    view.divergence_button.click()
    box.children[0].children[0].click()
    try:
        assert box.view is not None, box.children[1].text
        data = _data(box.view)
        assert [s.split("//")[1] for s in data["nodeData"]] == [
            "parity verdict/0",
            "parity (max abs error)/1",
            "first divergence (max abs error)/2",
        ]
    finally:
        box.children[0].children[1].click()
    assert box.view is None
