"""TensorBrowser and IOPicker: play the front end (set traitlets, click buttons), check the state,
and change the state, check the widgets."""

from __future__ import annotations

import html
import re

import ipywidgets as W

from explorer.widgets import BrowserState, TensorBrowser


def _table_names(view: TensorBrowser) -> list[str]:
    """The op names of the rendered table's rows (what a click on each row reports)."""
    return [html.unescape(m) for m in re.findall(r'<tr data-name="([^"]*)"', view.table.html)]


def test_state_widget_is_built_lazily_and_once(mlp):
    s = BrowserState(mlp)
    assert s._widget is None
    view = s.widget
    assert isinstance(view, TensorBrowser) and s.widget is view and view.state is s
    assert isinstance(view, W.VBox) and "tf1x-browser" in view._dom_classes


def test_search_box_filters_table_both_ways(mlp):
    view = TensorBrowser(mlp)
    s = view.state
    assert view.search.value == "" and len(_table_names(view)) == min(50, len(s.results))
    view.search.value = "probs"  # the front end types
    assert s.query == "probs" and s.results == ["probs"]
    assert _table_names(view) == ["probs"] and view.summary.value.startswith("1 of ")
    s.query = "bias/read"  # the state changes
    assert view.search.value == "bias/read"
    assert _table_names(view) == ["dense/bias/read", "logits/bias/read"]


def test_mode_op_type_dtype_and_hops_bindings(mlp):
    view = TensorBrowser(mlp)
    s = view.state
    view.mode.value = "regex"
    view.search.value = "^dense/(kernel|bias)$"
    assert s.mode == "regex" and _table_names(view) == ["dense/kernel", "dense/bias"]
    s.mode = "glob"
    assert view.mode.value == "glob"
    s.query = ""
    view.op_type.value = "VariableV2"
    assert s.op_type == "VariableV2" and len(_table_names(view)) == 4
    s.op_type = "Softmax"
    assert view.op_type.value == "Softmax" and _table_names(view) == ["probs"]
    s.op_type = ""
    view.dtype.value = "float32_ref"
    assert s.dtype == "float32_ref" and all(
        "/Assign" in n or n.count("/") == 1 for n in _table_names(view)
    )
    s.dtype = ""
    assert view.dtype.value == ""
    view.hops.value = 3
    assert s.hops == 3
    s.hops = 1
    assert view.hops.value == 1


def test_bad_regex_shows_inline_and_clears(mlp):
    view = TensorBrowser(mlp)
    view.mode.value = "regex"
    view.search.value = "(("
    # the error shows right under the search box (the status line next to it), not at the end
    assert view.search_status.kind == "error" and "bad regex pattern" in view.search_status.text
    assert view.children.index(view.search_status) == 1
    view.search.value = "probs"
    assert view.search_status.kind == "clear" and _table_names(view) == ["probs"]


def test_no_matches_says_so_and_what_to_try(mlp):
    view = TensorBrowser(mlp)
    view.search.value = "nothing_is_called_so"
    assert _table_names(view) == []
    assert "no op matches 'nothing_is_called_so' (auto)" in view.search_status.text
    assert "no op matches" in view.table.html  # the empty table says it too
    view.search.value = "probs"
    assert view.search_status.kind == "clear" and _table_names(view) == ["probs"]


def test_pager_buttons(mlp):
    view = TensorBrowser(BrowserState(mlp, page_size=10))
    s = view.state
    first = _table_names(view)
    view.next.click()
    assert s.page == 1 and _table_names(view) == s.results[10:20] != first
    assert "page 2/" in view.summary.value
    view.prev.click()
    view.prev.click()  # stays on the first page
    assert s.page == 0 and _table_names(view) == first


def test_select_detail_goto_and_drawing(mlp):
    view = TensorBrowser(mlp)
    s = view.state
    assert view.drawing.html == "" and "click a row" in view.detail.value
    view.search.value = "BiasAdd"
    view.table.click("logits/BiasAdd")  # a person clicks the table row
    assert s.selected == "logits/BiasAdd"
    assert "AddV2" in view.detail.value and "MatMul_1:0" in view.detail.value
    assert 'data-name="logits/BiasAdd" class="tf1x-row tf1x-selected"' in view.table.html
    assert 'data-name="logits/BiasAdd"' in view.drawing.html
    assert list(view.goto.options) == ["MatMul_1", "logits/bias/read", "probs"]
    view.goto.value = "probs"  # click through to a neighbour
    assert s.selected == "probs" and "Softmax" in view.detail.value
    assert "tf1x-selected" not in view.table.html  # probs is not on this page of BiasAdd results
    view.drawing.click("logits/BiasAdd")  # a click on a box of the drawing selects it too
    assert s.selected == "logits/BiasAdd"
    view.table.click("logits/BiasAdd")  # clicking the selected row again keeps it
    assert s.selected == "logits/BiasAdd"
    s.select(None)  # the state selects: the widgets follow
    assert "tf1x-selected" not in view.table.html and view.drawing.html == ""


def test_table_is_one_list_whose_columns_fit_the_pane(mlp):
    view = TensorBrowser(mlp)
    assert not any(isinstance(w, W.Select) for w in _walk(view))  # no second list of names
    table = view.table.html
    assert "<col class='tf1x-fit' style='width:calc(" in table and 'class="tf1x-mid"' in table
    assert 'title="logits/kernel/initial_value"' in table  # the full name on hover
    view.table.click("no/such/op")
    assert view.status.kind == "error" and "no/such/op" in view.status.text


def test_show_code(mlp):
    view = TensorBrowser(mlp)
    view.search.value = "probs"
    view.code.button.click()
    assert "catalog.search('probs', limit=1000, ranked=True)" in view.code.pre.value
    view.search.value = "kernel"  # the open pane follows the view
    assert "catalog.search('kernel', limit=1000, ranked=True)" in view.code.pre.value
    view.code.button.click()
    assert view.code.pre.value == "" and view.code.button.description == "show code"


def _big_model(n: int):
    from tensorflow.core.framework import graph_pb2, types_pb2

    from explorer.loading.model import V1Model

    gd = graph_pb2.GraphDef()
    x = gd.node.add(name="input/x", op="Placeholder")
    x.attr["dtype"].type = types_pb2.DT_FLOAT
    prev = x.name
    for i in range(1, n):
        node = gd.node.add(name=f"block{i // 100}/op{i}", op="Relu" if i % 3 else "Identity")
        node.attr["T"].type = types_pb2.DT_FLOAT
        node.input.append(prev)
        prev = node.name
    return V1Model(format="frozen_graph", path=__import__("pathlib").Path("big.pb"), graph_def=gd)


def test_browser_pages_100k_nodes_with_one_table_widget():
    view = TensorBrowser(_big_model(100_000))
    s = view.state
    assert len(s.results) == 100_000 and s.page_count == 2000
    assert len(_table_names(view)) == 50
    view.search.value = "op9999"
    assert _table_names(view)[:2] == ["block99/op9999", "block999/op99990"]
    view.search.value = "block"  # 99,999 matches: capped, and the summary says so
    assert s.truncated and view.summary.value.startswith("1,000+ of 100,000")
    view.table.click(_table_names(view)[0])
    # block0/op1: input/x upstream (one hop is all there is), two hops downstream
    assert view.drawing.html.count("<g class=") == 4
    n_widgets = sum(1 for _ in _walk(view))
    assert n_widgets < 60  # the table is one HTML widget, not one widget per row


def _walk(w):
    yield w
    for c in getattr(w, "children", ()):
        yield from _walk(c)


# -- IOPicker ---------------------------------------------------------------------------------
