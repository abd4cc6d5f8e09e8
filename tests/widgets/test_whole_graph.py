"""The "whole graph" button of the TensorBrowser and the ParityView: Model Explorer opens under it
(the selected op selected, the parity and divergence results as overlays) and closes."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

from explorer.widgets import ParityView, TensorBrowser


def _data(view) -> dict:
    return json.loads(urllib.parse.unquote(view.url.partition("/?data=")[2]))


def test_browser_whole_graph_opens_on_the_selected_op_and_closes(frozen):
    browser = TensorBrowser(frozen)
    browser.state.select("dense/Relu")
    box = browser.whole_graph
    assert box in browser.children
    button, v2_button, close = box.children[0].children
    assert (button.description, close.layout.display) == ("whole graph", "none")
    assert v2_button.layout.display == "none"  # the browser has no conversion
    assert button.layout.display != "none"
    button.click()
    first = box.view
    assert first is not None and first.process.poll() is None, box.children[1].text
    assert box.children[1].text == f"Model Explorer at {first.url.split('/?')[0]}"
    assert "<iframe" in box.children[2].value and close.layout.display == ""
    pane = _data(first)["uiState"]["paneStates"][0]
    assert pane["deepestExpandedGroupNodeIds"] == ["dense___group___"]  # its scope open
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
    button, v2_button, close = box.children[0].children
    view.batches.value = 1
    view.run_button.click()
    view.divergence_button.click()
    button.click()
    try:
        assert box.view is not None, box.children[1].text
        data = _data(box.view)
        assert [s.split("//")[1] for s in data["nodeData"]] == [
            "parity verdict/0",
            "parity (max abs error)/1",
            "first divergence (max abs error)/2",
        ]
        first = box.view
        view.run_button.click()  # a new run replaces the results: the view opens again
        assert box.view is not None and box.view is not first
        assert first.process.returncode is not None
        assert box.children[1].text.endswith("(the new results)")
        assert len(_data(box.view)["nodeData"]) == 2  # parity only: the divergence went
        view.batches.value = 2  # results cleared from code: the view closes
        assert box.view is None and box.children[2].value == ""
        assert box.children[1].text == "Model Explorer closed: the results it showed are gone"
        view.run_button.click()
        assert box.view is not None  # still wanted: opens with the new run
    finally:
        close.click()
    assert box.view is None
    v2_button.click()  # the conversion: its graph, the v1 names kept, the overlays on it
    try:
        assert box.view is not None, box.children[1].text
        assert box.view.name.endswith(" (v2)") and "nodeData" in _data(box.view)
        base = box.view.url.split("/?")[0]
        with urllib.request.urlopen(f"{base}/api/v1/load_graphs_json?graph_index=0") as r:
            ids = {n["id"] for n in json.load(r)["graphs"][0]["nodes"]}
        assert {"x", "dense/Relu"} <= ids  # the v1 names kept
    finally:
        close.click()


def test_parity_view_converted_graph_before_a_conversion_says_so(mlp):
    view = ParityView(mlp)
    box = view.panels["whole graph"]
    box.children[0].children[1].click()
    assert box.view is None
    assert box.children[1].text == "nothing to compare with yet: convert the model first"
