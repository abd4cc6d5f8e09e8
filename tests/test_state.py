"""The plain state objects behind the widgets: logic without any front end."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import explorer
from explorer.errors import ConversionError, FeedError, OutputExistsError, TensorNotFoundError
from explorer.examples import mlp_reference
from explorer.widgets import BrowserState, ConverterState, RunnerState, Selection
from explorer.widgets._observable import Observable


@pytest.fixture(scope="module")
def mlp(mlp_paths):
    return explorer.load(mlp_paths["saved_model"])


@pytest.fixture(scope="module")
def frozen(mlp_paths):
    return explorer.load(mlp_paths["frozen_pb"])


class _Thing(Observable):
    FIELDS = ("a", "b")

    def __init__(self):
        super().__init__()
        self.a = 1
        self.b = np.zeros(2)


def test_observable_notifies_changed_fields_only():
    t, seen = _Thing(), []
    t.observe(lambda c: seen.append((c.name, c.old, c.new)), "a")
    t.a = 1  # equal: nobody is told
    t.a = 2
    t.other = 5  # not a field
    t.b = np.ones(2)  # arrays compare without a truth value; observed by nobody here
    assert seen == [("a", 1, 2)]
    everything = []
    t.observe(lambda c: everything.append(c.name))
    t.b = np.zeros(3)
    t.a = 3
    assert everything == ["b", "a"]
    t.unobserve(everything.append)  # not registered: no error, nothing removed
    assert len(t._observers) == 2


def test_state_modules_do_not_import_ipywidgets(mlp_paths):
    code = (
        "import sys, json, explorer\n"
        "from explorer.widgets import BrowserState, RunnerState, ConverterState, Selection\n"
        f"s = BrowserState({str(mlp_paths['frozen_pb'])!r}); s.query = 'probs'\n"
        "print(json.dumps({'results': s.results, 'ipywidgets': 'ipywidgets' in sys.modules}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res == {"results": ["probs"], "ipywidgets": False}


# -- BrowserState ---------------------------------------------------------------------------------


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
        any(mlp.catalog().tensor(t).dtype == "bool" for t in mlp.catalog().op(n).outputs)
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
    s = BrowserState(mlp.catalog())
    assert s.model is None and "probs" in s.results


# -- Selection, RunnerState -----------------------------------------------------------------------


def test_selection_kwargs():
    assert Selection().kwargs() == {}
    assert Selection("serving_default").code_args() == "signature='serving_default'"
    sel = Selection(inputs=("x:0",), outputs=("probs:0",))
    assert sel.kwargs() == {"inputs": ["x:0"], "outputs": ["probs:0"]}


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


def test_runner_npz_feeds_and_selection(frozen, tmp_path):
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
    code = r.code().replace("feeds.npz", str(tmp_path / "feeds.npz"))
    r.feeds_source = str(tmp_path / "feeds.npz")
    exec(r.code(), ns)
    np.testing.assert_allclose(ns["outputs"]["probs:0"], mlp_reference(x), rtol=1e-5)
    assert "explorer.V1Runner(model, inputs=['x:0'], outputs=['probs:0'])" in code
    r.selection = Selection()  # a new selection drops the run
    assert r.outputs is None and r.feeds is None
    r.close()


# -- ConverterState -------------------------------------------------------------------------------


def test_converter_converts_saves_and_loads_back(mlp, tmp_path):
    c = ConverterState(mlp, out_dir=str(tmp_path / "tf2"))
    stages = []
    c.observe(lambda ch: stages.append(ch.new), "stage")
    out = c.convert()
    assert (out / "saved_model.pb").is_file() and c.progress == 1.0
    assert stages == ["converting", "saving", ""]
    assert c.summary_rows() == [["serving_default", "x", "logits, probs", ""]]
    check = c.load_back()
    assert check["serving_default"].passed
    assert c.summary_rows()[0][3] == "same outputs"
    with pytest.raises(OutputExistsError, match="overwrite"):
        c.convert()
    assert c.progress == 0.0 and c.stage == ""
    c.overwrite = True
    c.freeze = True
    c.convert()
    assert c.v2.frozen
    ns: dict = {}
    exec(c.code(), ns)
    assert "serving_default" in ns["loaded"].signatures


def test_converter_selection_and_errors(frozen, tmp_path):
    sel = Selection(inputs=("x:0",), outputs=("probs:0",))
    c = ConverterState(frozen, sel, out_dir=str(tmp_path / "fz"))
    with pytest.raises(ConversionError, match="press convert"):
        c.load_back()
    c.convert()
    assert c.load_back()["serving_default"].passed
    assert "inputs=['x:0'], outputs=['probs:0']" in c.code()
    c.out_dir = " "
    with pytest.raises(ConversionError, match="output folder"):
        c.convert()
    assert ConverterState(frozen).out_dir.endswith("frozen_pb_tf2")
