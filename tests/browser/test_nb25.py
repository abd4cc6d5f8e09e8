"""Issue 25's last browser items, at a 1100 px wide window: the MigrationWizard end to end on a
frozen graph whose batch norms were folded into ``Add`` ops under their old ``FusedBatchNorm``
names (``tests/model_builders/verdicts``: first divergence searches it, no "does not have output
1"); the ParityView's "whole graph" and "converted graph" buttons open Model Explorer with the
parity and divergence overlays, and a new run opens it again with the new results. Screenshots:
``build/screenshots/nb25_*.png``."""

from __future__ import annotations

from tests.browser._lab import Lab, write_notebook

SETUP = (
    "import os, tempfile\n"
    "os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\n"
    "from tests.model_builders.verdicts import build_verdicts\n"
    "WORK = tempfile.mkdtemp(prefix='tf1-nb25-')\n"
    "MODEL = str(build_verdicts(os.path.join(WORK, 'models'), names=['folded_bn'])['folded_bn'])\n"
    "os.chdir(WORK)  # the default output folder goes to the working folder"
)
SHOW = "from explorer.widgets import MigrationWizard\nwizard = MigrationWizard(MODEL)\nwizard"

# the widest descendant of the wizard past its own right edge (px): a clipped or hidden column
_OVERFLOW_JS = """
w => Math.max(0, ...[...w.querySelectorAll('*')].filter(e => e.offsetParent !== null)
  .map(e => e.getBoundingClientRect().right - w.getBoundingClientRect().right))
"""


def test_folded_batch_norms_end_to_end_with_model_explorer_from_the_buttons(lab, lab_root, page):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1100, "height": 900})
    write_notebook(lab_root / "nb25.ipynb", [SETUP, SHOW])
    lab_ = Lab(lab, page)
    lab_.open("nb25.ipynb")
    w = page.locator(".tf1x-wizard").first
    shot = lambda step, at=w: lab_.shot(f"nb25_{step}", at)  # noqa: E731
    try:
        lab_.run_all()
        header = w.locator(".tf1x-wizard-header")
        expect(header).to_contain_text("folded.pb · frozen_graph · ")
        expect(header).to_contain_text(" nodes · custom: image:0 → logits:0")
        w.get_by_role("tab", name="4. convert").click()
        conv = w.locator(".tf1x-converter")
        conv.get_by_role("button", name="convert").click()
        expect(conv.locator(".tf1x-status")).to_contain_text("saved the TF2", timeout=180_000)
        expect(conv.locator(".tf1x-status")).to_contain_text("folded_tf2")  # the working folder
        tab = w.get_by_role("tab", name="5. compare")
        tab.click()
        par = w.locator(".tf1x-parity")
        status = par.locator(".tf1x-status")
        par.get_by_role("button", name="run parity").click()
        expect(status).to_have_text("parity: passed", timeout=180_000)
        expect(tab).to_have_text("5. compare ✔")
        par.get_by_role("button", name="first divergence").click()
        expect(status).to_have_text("no divergence found", timeout=120_000)  # no stale counts
        expect(par.locator(".tf1x-divergence svg")).to_have_count(1)
        shot("1_divergence", par.locator(".tf1x-divergence"))
        assert w.evaluate(_OVERFLOW_JS) <= 1, "a column runs past the wizard at 1100 px"

        # the whole graph: one button, the overlays of this parity run and divergence
        box = par.locator(".tf1x-whole-graph")
        said = box.locator(".tf1x-graph-status")
        box.get_by_role("button", name="whole graph").click()
        expect(said).to_contain_text("Model Explorer at http://127.0.0.1:", timeout=90_000)
        frame = box.locator("iframe")
        expect(frame).to_have_attribute("title", "Model Explorer: folded.pb")
        me = box.frame_locator("iframe")
        for provider in ("parity verdict", "first divergence (max abs error)"):
            expect(me.get_by_text(provider).first).to_be_visible(timeout=60_000)
        expect(me.get_by_text("GRAPH INFO")).to_be_visible()
        rows = me.locator("table.results tbody tr")
        expect(rows.first).to_be_visible(timeout=60_000)
        shot("2_whole_graph", frame)
        # the conversion, the same overlays on its graph (v1 names kept)
        box.get_by_role("button", name="converted graph").click()
        expect(frame).to_have_attribute("title", "Model Explorer: folded.pb (v2)", timeout=90_000)
        expect(me.get_by_text("first divergence (max abs error)").first).to_be_visible(
            timeout=60_000
        )
        expect(rows.first).to_be_visible(timeout=60_000)  # its nodes carry the overlays too
        shot("3_converted_graph", frame)
        # a new run replaces the results: the open view follows, the divergence overlay gone
        src = frame.get_attribute("src")
        par.get_by_role("button", name="run parity").click()
        expect(said).to_contain_text("(the new results)", timeout=180_000)
        assert frame.get_attribute("src") != src
        expect(me.get_by_text("parity verdict").first).to_be_visible(timeout=60_000)
        expect(me.get_by_text("first divergence (max abs error)")).to_have_count(0)
        box.get_by_role("button", name="close").click()
        expect(said).to_have_text("Model Explorer closed")
        expect(box.locator("iframe")).to_have_count(0)
        assert lab_.problems() == []
    finally:
        lab_.stop_kernels()
