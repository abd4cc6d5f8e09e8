"""BrowserState: search, filters, paging, details and drawing, without any front end."""

from __future__ import annotations

import pytest

import explorer
from explorer.errors import TensorNotFoundError
from explorer.widgets import BrowserState


def test_browser_search_modes_filters_and_paging(mlp):
    s = BrowserState(mlp, page_size=10)
    total = len(mlp.graph_def.node)
    assert len(s.results) == total and s.page_count == -(-total // 10)
    assert s.summary() == f"{total} of {total} ops · page 1/{s.page_count}"
    s.query = "kernel/read"
    assert s.results == ["dense/kernel/read", "logits/kernel/read"]
    s.mode = "regex"
    s.query = r"^(dense|logits)/bias$"
    assert s.results == ["dense/bias", "logits/bias"]
    s.mode = "glob"
    s.query = "*/Relu"
    assert s.results == ["dense/Relu"]
    s.query = "probs"  # glob without wildcards: the whole name
    assert s.results == ["probs"]
    s.mode = "substring"
    s.query = "dense/*"  # wildcards taken literally
    assert s.results == []
    s.query = ""
    s.op_type = "VariableV2"
    assert s.results == ["dense/kernel", "dense/bias", "logits/kernel", "logits/bias"]
    s.op_type = ""
    s.dtype = "bool"
    assert s.results and all(
        any(
            explorer.Catalog.from_model(mlp).tensor(t).dtype == "bool"
            for t in explorer.Catalog.from_model(mlp).op(n).outputs
        )
        for n in s.results
    )
    s.dtype = "int64"
    assert s.results == []  # no int64 tensors in the MLP
    s.dtype = ""
    assert len(s.results) == total
    s.next_page()
    s.next_page()
    assert s.page == 2
    rows = s.page_rows()
    assert [r["name"] for r in rows] == s.results[20:30]
    s.query = "x"  # a new search goes back to page 1
    assert s.page == 0
    for _ in range(s.page_count + 3):
        s.next_page()
    assert s.page == s.page_count - 1
    for _ in range(s.page_count + 3):
        s.prev_page()
    assert s.page == 0


def test_browser_rows_detail_neighbours_and_drawing(mlp):
    s = BrowserState(mlp)
    s.query = "probs"
    assert s.page_rows() == [
        {"name": "probs", "op": "Softmax", "dtype": "float32", "shape": "[?, 3]", "consumers": 0}
    ]
    assert s.detail() is None and s.neighbours() == [] and s.neighbourhood_svg() == ""
    s.select("logits/BiasAdd:0")
    d = s.detail()
    assert d["name"] == "logits/BiasAdd" and d["op"] == "AddV2" and d["scope"] == "logits"
    assert d["inputs"] == ["MatMul_1:0", "logits/bias/read:0"] and d["consumers"] == ["probs"]
    assert d["outputs"] == [{"name": "logits/BiasAdd:0", "dtype": "float32", "shape": "[?, 3]"}]
    assert d["attrs"] == {"T": "float32"}
    assert s.neighbours() == ["MatMul_1", "logits/bias/read", "probs"]
    s.hops = 1
    svg = s.neighbourhood_svg()
    for name in ("logits/BiasAdd", "MatMul_1", "logits/bias/read", "probs"):
        assert f'data-name="{name}"' in svg
    assert 'data-name="dense/Relu"' not in svg  # two hops away
    s.hops = 2
    assert (
        'data-name="dropout/mul_1"' in s.neighbourhood_svg() or "dropout" in s.neighbourhood_svg()
    )
    with pytest.raises(TensorNotFoundError, match="nope"):
        s.select("nope")
    s.select(None)
    assert s.selected is None


def test_browser_bad_regex_is_an_error_not_an_exception(mlp):
    s = BrowserState(mlp)
    s.query = "dense"
    before = list(s.results)
    s.mode = "regex"
    s.query = "(("
    assert s.error.startswith("bad regex pattern '(('")
    assert s.results == before  # the last good search stays
    s.query = "dense"
    assert s.error == "" and s.results


def test_browser_code_replays_the_view(mlp):
    s = BrowserState(mlp)
    s.query = "bias"
    s.op_type = "VariableV2"
    s.select("dense/bias")
    ns: dict = {}
    exec(s.code(), ns)
    assert [o.name for o in ns["ops"]] == s.results == ["dense/bias", "logits/bias"]
    assert ns["sub"].center == "dense/bias"


def test_browser_accepts_a_path_and_a_catalog(mlp_paths, mlp):
    assert BrowserState(str(mlp_paths["frozen_pb"])).model.format == "frozen_graph"
    s = BrowserState(explorer.Catalog.from_model(mlp))
    assert s.model is None and "probs" in s.results
