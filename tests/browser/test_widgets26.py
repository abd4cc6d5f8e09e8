"""Issue 25's promises on the views added since (issues 26-28) in JupyterLab at 1100 px, clicked and
typed as a person would: ParityView's "measure speed" (hidden until parity passed) and "check
training", the convert tab's ONNX option and FleetView, in one notebook (one kernel). Screenshots
``widgets26_*.png`` and issue 26's ``fastserve_*.png`` land in ``build/screenshots/``."""

from __future__ import annotations

from tests.browser._lab import Lab, write_notebook

SETUP = "\n".join(
    [
        "import os, tempfile",
        "os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'",
        "import explorer",
        "from explorer.examples import build_mlp, build_training_mlp",
        "from explorer.fleets.report import FleetReport, ModelResult",
        "from explorer.widgets import Converter, FleetView, ParityView",
        "os.chdir(tempfile.mkdtemp(prefix='tf1-widgets26-'))",
        "os.makedirs('mine')",
        "open('mine/notes.txt', 'w').write('my own file')",
        "model = explorer.load(build_mlp('mlp'))",
        "v2 = explorer.convert(model)",
        "train = build_training_mlp('train')",
        "scope = 'research/vision/keypoints/mobilenet_v2_keypoints_'",
        "outs = ['head/keypoint_heatmaps/BiasAdd:0', 'head/keypoint_offsets/BiasAdd:0']",
        "proved = {'serving_default': {'outputs': outs, 'inputs': ['image:0']}}",
        "why = ('parity failed: serving_default/head/keypoint_heatmaps/BiasAdd:0 (and 1 more): '",
        "       '37.5 % of the elements differ beyond atol 1e-05 and rtol 1e-05 (max abs 0.41); '",
        "       'the first divergence is at backbone/block_13/expand/FusedBatchNorm:0')",
        "FleetReport('zoo', 'fleet', [",
        "    ModelResult('zoo/a', scope + 'frozen_graph.pb', 'migrated', 41.27, 0, proved=proved),",
        "    ModelResult('zoo/b', scope + 'ckpt/model.ckpt-2000.meta', 'failed', 88.1, 1, why),",
        "    ModelResult('zoo/c', 'lstm.pb', 'refused', 1.2, 2, 'lstm.pb holds no graph: fix it'),",
        "], 130.5, 2).write(__import__('pathlib').Path('fleet'))",
    ]
)
VIEWS = [
    "ParityView(model, v2)",
    "ParityView(train)",
    "Converter(model, out_dir='onnx_out')",
    "FleetView('fleet')",
]
WIDTH = 1100


def _fits(lab_, locator, what):
    """``locator`` ends within the page and none of its cells cut a word off (no ellipsis)."""
    right = locator.evaluate("e => e.getBoundingClientRect().right")
    assert right <= WIDTH, f"{what} ends at {right} px"
    cut = locator.evaluate(
        "e => [...e.querySelectorAll('td, th')].filter(c => c.scrollWidth > c.clientWidth + 1)"
        ".map(c => c.textContent)"
    )
    assert cut == [], f"{what}: cells clipped: {cut}"


def test_speed_training_onnx_and_fleet_at_1100_px(lab, lab_root, page):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": WIDTH, "height": 900})
    write_notebook(lab_root / "widgets26.ipynb", [SETUP, *VIEWS])
    lab_ = Lab(lab, page)
    lab_.open("widgets26.ipynb")
    lab_.run_all()
    shot = lambda name, target: lab_.shot(f"widgets26_{name}", target)  # noqa: E731
    try:
        par, tr = page.locator(".tf1x-parity").nth(0), page.locator(".tf1x-parity").nth(1)
        # measure speed: once parity passed; the table fits; show code names the same call
        expect(par.get_by_role("button", name="measure speed")).to_be_hidden()
        par.get_by_role("button", name="run parity").click()
        expect(par.locator(".tf1x-status")).to_contain_text("parity: passed", timeout=120_000)
        par.get_by_role("button", name="measure speed").click()
        speed = par.locator(".tf1x-speed")
        expect(speed).to_contain_text("Serve TF2 SavedModel: the fastest proven", timeout=90_000)
        expect(speed.locator("tr")).to_have_count(3)
        _fits(lab_, speed.locator("table"), "the speed table")
        lab_.shot("fastserve_1_speed", speed)
        par.locator(".tf1x-show-code").click()
        code = par.locator(".tf1x-code")
        expect(code).to_contain_text("against_v1(")
        shot("1_speed", speed)
        par.get_by_role("spinbutton", name="seed").fill("4")  # an input changed: stale timing
        par.get_by_role("spinbutton", name="seed").press("Enter")
        expect(speed).to_have_text("")
        expect(par.locator(".tf1x-status")).to_have_text("")
        expect(par.get_by_role("button", name="measure speed")).to_be_hidden()
        expect(par.locator(".tf1x-training")).to_contain_text("no training check: ")
        shot("2_no_training", par.locator(".tf1x-training"))
        # check training: the per-step table fits, one verdict line
        tr.get_by_role("button", name="check training").click()
        training = tr.locator(".tf1x-training")
        expect(training).to_contain_text("steps match TF1 on tensorflow", timeout=180_000)
        expect(training.locator("tbody tr")).to_have_count(5)
        _fits(lab_, training.locator("table"), "the training table")
        shot("3_training", training)
        # ONNX: the output folder checked as typed, never another's; results clear on a change
        conv = page.locator(".tf1x-converter").first
        conv.get_by_role("button", name="ONNX").click()
        expect(conv).to_contain_text("to ONNX")
        lab_.shot("fastserve_2_onnx_option", conv)
        label = conv.locator(".widget-toggle-buttons .widget-label").first
        top = lambda e: e.evaluate("e => e.getBoundingClientRect().top")  # noqa: E731
        assert abs(top(label) - top(conv.get_by_role("button", name="ONNX"))) < 12  # one row
        out = conv.locator(".widget-text", has_text="output").locator("input")
        problem = conv.locator(".tf1x-out-problem")
        out.fill("mine")
        expect(problem).to_contain_text("not written by tf1-explorer (e.g. notes.txt)")
        shot("4_onnx_refused", conv)
        out.fill("onnx_out")
        expect(problem).to_have_text("")
        out.press("Enter")
        status = conv.locator(".tf1x-status")
        expect(status).to_contain_text("saved the ONNX model to ", timeout=180_000)
        conv.get_by_role("button", name="load it back").click()
        expect(status).to_contain_text("loaded back with onnxruntime", timeout=120_000)
        summary = conv.locator(".tf1x-convert-summary")
        expect(summary).to_contain_text("same outputs")
        _fits(lab_, summary.locator("table"), "the conversion summary")
        conv.locator(".tf1x-show-code").click()
        expect(conv.locator(".tf1x-code")).to_contain_text("onnxruntime.InferenceSession")
        shot("5_onnx_loaded_back", conv)
        conv.get_by_role("button", name="TF2 SavedModel").click()  # the ONNX result is stale
        expect(summary).to_contain_text("not converted yet")
        expect(status).to_have_text("")
        expect(problem).to_contain_text("is an earlier output of tf1-explorer: tick “overwrite”")
        bar = conv.locator(".progress-bar").element_handle()
        page.wait_for_function("e => e.getBoundingClientRect().width < 1", arg=bar)  # empty
        shot("5b_target_changed", conv)
        # FleetView: one line per model, names cut in the middle, whole on hover
        fleet = page.locator(".tf1x-fleet").first
        expect(fleet).to_contain_text("3 models: 1 migrated, 1 refused, 1 failed in 130.5 s")
        rows = fleet.locator(".tf1x-fleet-table tbody tr")
        expect(rows).to_have_count(3)
        table = fleet.locator(".tf1x-fleet-table table")
        assert table.evaluate("e => e.getBoundingClientRect().right") <= WIDTH
        heights = rows.evaluate_all("rs => rs.map(r => r.getBoundingClientRect().height)")
        assert max(heights) < 30, f"a fleet row wraps: {heights}"
        assert rows.nth(1).locator("td[title*='first divergence is at backbone']").count() == 1
        shot("6_fleet", fleet)
        fleet.locator("select").nth(1).select_option("exit code")  # a column in words
        expect(rows.first).to_contain_text("migrated")  # exit codes 0, 1, 2: lstm.pb's is 2
        expect(rows.last).to_contain_text("lstm.pb")
        fleet.locator("select").first.select_option("failed")
        expect(rows).to_have_count(1)
        shot("7_fleet_failed", fleet)
        assert lab_.problems() == []
    finally:
        lab_.stop_kernels()
