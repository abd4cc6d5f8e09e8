"""ParityView's "measure speed" and the convert tab's ONNX option in JupyterLab at 1100 px: the
speed button appears once parity passed, the table and the serve line fit the page, the format
toggle sits above the output box. Screenshots ``fastserve_*.png`` land in ``build/screenshots/``."""

from __future__ import annotations

from tests.browser._lab import Lab, write_notebook

SETUP = "\n".join(
    [
        "import os, tempfile",
        "os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'",
        "import explorer",
        "from explorer.examples.models import build_mlp",
        "from explorer.widgets import Converter, ParityView",
        "d = tempfile.mkdtemp(prefix='tf1-fastserve-')",
        "model = explorer.load(build_mlp(d + '/mlp'))",
        "v2 = explorer.convert(model)",
    ]
)


def test_measure_speed_and_the_onnx_option(lab, lab_root, page):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1100, "height": 900})
    views = ["ParityView(model, v2)", "Converter(model, out_dir=d + '/out')"]
    write_notebook(lab_root / "fastserve.ipynb", [SETUP, *views])
    lab_ = Lab(lab, page)
    lab_.open("fastserve.ipynb")
    lab_.run_all()
    par = page.locator(".tf1x-parity").first
    speed = par.get_by_role("button", name="measure speed")
    try:
        expect(speed).to_be_hidden()
        par.get_by_role("button", name="run parity").click()
        expect(par.locator(".tf1x-status")).to_contain_text("parity: passed", timeout=120_000)
        expect(speed).to_be_visible()
        speed.click()
        table = par.locator(".tf1x-speed")
        expect(table).to_contain_text("Serve TF2 SavedModel: the fastest proven", timeout=60_000)
        expect(table.locator("tr")).to_have_count(3)
        assert table.evaluate("e => e.getBoundingClientRect().right") <= 1100
        lab_.shot("fastserve_1_speed", table)
        conv = page.locator(".tf1x-converter").first
        conv.get_by_role("button", name="ONNX").click()
        expect(conv).to_contain_text("to ONNX")
        lab_.shot("fastserve_2_onnx_option", conv)
        assert lab_.problems() == []
    finally:
        lab_.stop_kernels()
