"""The whole graph in Google's Model Explorer, opened from a notebook cell with the parity and
first-divergence overlays: the page in the IFrame draws the graph (WebGL, SwiftShader under
--disable-gpu) and its node-data table holds every tensor of the divergence record, with the
record's numbers and colours; the server ends with the kernel."""

from __future__ import annotations

import json
import time
import urllib.request

from tests.browser._lab import Lab, write_notebook

SETUP = """\
import json, os, tempfile
os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'
import numpy as np
import tensorflow as tf
from tensorflow.python.framework import tensor_util
tf.get_logger().setLevel('ERROR')  # build_mlp's freezing warns it is deprecated
import explorer
from explorer.comparing.divergence import v2_graph_def
from explorer.examples import build_mlp
MODEL = str(build_mlp(os.path.join(tempfile.mkdtemp(prefix='tf1-me-'), 'mlp'), 'frozen_pb'))
model = explorer.load(MODEL)
v2 = explorer.convert(model)
gd = v2_graph_def(v2)
kernel = next(n for n in gd.node if n.name == 'logits/kernel')
value = tensor_util.MakeNdarray(kernel.attr['value'].tensor).copy()
value.reshape(-1)[0] += 0.5
kernel.attr['value'].tensor.CopyFrom(tensor_util.make_tensor_proto(value))
div = explorer.first_divergence(model, gd, {'x:0': np.ones((2, 4), np.float32)})
summary = explorer.parity(model, v2)
errors = [s.max_abs for s in div.steps]
verdicts = [o.status for r in summary.reports.values() for o in r.outputs.values()]
record = {'op': div.op, 'first': div.step.max_abs, 'errors': errors, 'verdicts': verdicts}
record['shape'] = '[' + ', '.join(map(str, value.shape)) + ']'  # the kernel's own
print(json.dumps(record))"""

SHOW = """\
view = explorer.view_graph(MODEL, [summary, div])
print(json.dumps({'base': view.url.split('/?')[0]}))
view"""

RED = "rgb(209, 36, 47)"  # model_explorer.FIRST


def _answers(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{url}/check_health", timeout=2) as r:
            return r.read() == b"model_explorer_ok"
    except OSError:
        return False


def test_model_explorer_shows_the_divergence_overlay(lab, lab_root, page):
    from playwright.sync_api import expect

    write_notebook(lab_root / "model_explorer.ipynb", [SETUP, SHOW])
    lab_ = Lab(lab, page)
    lab_.open("model_explorer.ipynb")
    base = None
    try:
        lab_.run_all()
        lines = [ln for c in lab_.outputs() for o in c["outputs"] for ln in o["text"].splitlines()]
        record = json.loads(next(ln for ln in lines if ln.startswith('{"op"')))
        base = json.loads(next(ln for ln in lines if ln.startswith('{"base"')))["base"]
        assert record["op"] == "logits/kernel" and _answers(base)
        frame_el = page.locator(".tf1x-model-explorer iframe")
        frame_el.scroll_into_view_if_needed()
        me = page.frame_locator(".tf1x-model-explorer iframe")
        provider = me.get_by_text("first divergence (max abs error)").first
        expect(provider).to_be_visible(timeout=60_000)
        expect(me.get_by_text("parity verdict").first).to_be_visible()
        expect(me.locator("canvas").first).to_be_visible()  # the WebGL drawing
        # nothing selected on opening (the first divergence's scope open instead): the side panel
        # holds the graph's info and node-data tables, not one node's info
        expect(me.get_by_text("GRAPH INFO")).to_be_visible()
        table = me.locator("table.results")
        expect(table.locator("tbody tr").first).to_be_visible(timeout=60_000)  # fills late
        time.sleep(1)  # the last layout pass
        rows = table.locator("tbody tr").evaluate_all(
            "rows => rows.map(r => [...r.cells].map(c => [c.innerText.trim(),"
            " getComputedStyle(c).backgroundColor]))"
        )
        # columns: #, node label, parity verdict, parity max abs, first divergence max abs
        shown = sorted(float(r[4][0]) for r in rows if r[4][0] != "-")
        assert shown == sorted(e for e in record["errors"] if e is not None)
        first = [r for r in rows if r[4][1] == RED]
        assert len(first) == 1 and first[0][1][0] == "Const"  # logits/kernel, a weight
        assert float(first[0][4][0]) == record["first"]
        assert sorted(r[2][0] for r in rows if r[2][0] != "-") == sorted(record["verdicts"])
        lab_.shot("model_explorer_overlay", frame_el)
        # found with Model Explorer's search (Alt+click selects): its id and shape in the panel
        search = me.get_by_placeholder("Search nodes/layers by regex")
        search.fill("^logits/kernel:0$")  # its output (and the input of its reader)
        hit = me.locator(".label-container .node-label", has_text="Const")
        hit.first.click(modifiers=["Alt"])
        expect(me.get_by_text("NODE INFO")).to_be_visible()
        for text in ("logits/kernel", record["shape"], "0.5"):  # id, output shape, its error
            expect(me.get_by_text(text, exact=True).filter(visible=True).first).to_be_visible()
        me.locator(
            ".mat-icon-container.view", has_text="visibility"
        ).click()  # view on nodes, edges
        me.get_by_text("Tensor shape", exact=True).click()
        me.get_by_text("Node data provider: first divergence (max abs error)").click()
        search.fill("")
        me.get_by_text("Tensor shape", exact=True).press("Escape")  # the menu closes
        expect(me.get_by_text("VIEW ON EDGES")).to_have_count(0)
        lab_.shot("model_explorer_shapes_on_edges", frame_el)
        assert lab_.problems() == []
    finally:
        lab_.stop_kernels()
    deadline = time.monotonic() + 30  # the kernel exits after stop_kernels returns
    while base is not None and _answers(base) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert base is None or not _answers(base), "the Model Explorer server outlived its kernel"
