"""Every notebook run in JupyterLab as a person runs it (Run ▸ Run All Cells), then its widgets
clicked: no output may hold a traceback, a stderr box, a figure shown as text or a raw widget
repr, and a screenshot of each step lands in ``build/screenshots/``. The first notebook is read
as opened from disk too, before it runs."""

from __future__ import annotations

import pytest

from tests.browser._lab import Lab
from tests.browser.conftest import ROOT

# every walkthrough in notebooks/, whoever adds one
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_clean_and_its_widgets_work(lab, page, name):
    from playwright.sync_api import expect

    lab_ = Lab(lab, page)
    lab_.open(name)
    if name == NOTEBOOKS[0]:
        _before_running(lab_, page)
    lab_.run_all()
    assert lab_.problems() == []
    stem = name.split("_")[0]
    views = page.locator(".tf1x-browser, .tf1x-runner, .tf1x-converter, .tf1x-parity")
    lab_.shot(f"nb_{stem}_ran", views.first if views.count() else None)  # some have no widget
    try:
        if stem == "01":
            _browse(lab_, page)
        elif stem == "02":
            runner = page.locator(".tf1x-runner").first
            runner.get_by_role("button", name="run").click()
            expect(runner.locator(".tf1x-outputs")).to_contain_text("probs", timeout=60_000)
            lab_.shot("nb_02_run_clicked", runner)
        elif stem == "03":
            conv = page.locator(".tf1x-converter").first
            conv.get_by_role("button", name="convert").click()
            expect(conv.locator(".tf1x-status")).to_contain_text("saved the TF2", timeout=90_000)
            lab_.shot("nb_03_converted", conv)
        elif stem == "04":
            # the figure cell shows a picture, not "<Figure size ...>"
            assert any(o["images"] for c in lab_.outputs() for o in c["outputs"])
            view = page.locator(".tf1x-parity").first
            # the divergence the notebook provoked (Relu -> Elu), drawn and plotted
            lab_.shot("nb_04_first_divergence", view.locator(".tf1x-divergence img"))
            view.get_by_role("button", name="run parity").click()
            expect(view.locator(".tf1x-status")).to_contain_text("parity: passed", timeout=90_000)
            expect(view.locator(".tf1x-plots img").first).to_be_visible()
            # a new run clears the old divergence: it was computed from the earlier run
            expect(view.locator(".tf1x-divergence img")).to_have_count(0)
            lab_.shot("nb_04_parity_clicked", view)
        assert lab_.problems() == []
    finally:
        lab_.stop_kernels()


def _before_running(lab_: Lab, page) -> None:
    """The first notebook as opened from disk (not run, not trusted: JupyterLab renders no SVG
    there): no raw widget text, and the stored drawing shows through its ``<img>`` copy."""
    page.locator(".jp-OutputArea-output").first.wait_for()
    texts = " ".join(o["text"] for c in lab_.outputs() for o in c["outputs"])
    assert "children=(" not in texts, texts[:500]
    assert "TensorBrowser of mlp: an interactive view; run this cell" in texts
    lab_.shot("nb_01_opened_before_running", page.get_by_text("TensorBrowser of mlp").first)
    img = page.locator(".jp-OutputArea-output img[src^='data:image/svg+xml']").first
    img.wait_for()
    assert img.evaluate("i => i.complete && i.naturalWidth") > 300  # decoded, drawn
    assert "IPython.core.display.SVG" not in page.locator(".jp-Notebook").inner_text()
    lab_.shot("nb_01_unexecuted_drawing", img)


def _browse(lab_: Lab, page) -> None:
    from playwright.sync_api import expect

    view = page.locator(".tf1x-browser").first
    search = view.locator(".tf1x-search input")
    table = view.locator(".tf1x-browser-table")
    search.click()
    search.fill("")
    search.press_sequentially("logits", delay=20)
    expect(table.locator("tbody tr").first).to_contain_text("logits", timeout=30_000)
    others = table.locator("tbody tr[data-name]:not([data-name*='logits'])")
    expect(others).to_have_count(0, timeout=30_000)  # the kernel has the whole word, not "lo"
    names = table.locator("tbody tr[data-name]").evaluate_all(
        "rows => rows.map(r => r.getAttribute('data-name'))"
    )
    assert names and all("logits" in n for n in names), names
    lab_.shot("nb_01_browse_filtered", view)
    row = table.locator('tr[data-name="logits/BiasAdd"]')
    row.click()  # a person clicks a row: it is selected, its detail and drawing appear
    expect(row).to_have_class("tf1x-row tf1x-selected", timeout=30_000)
    expect(view.locator(".tf1x-detail")).to_contain_text("AddV2")
    expect(view.locator('.tf1x-drawing g[data-name="logits/BiasAdd"]')).to_have_count(1)
    # the full name is on hover (the title attribute) whatever the column's width
    assert row.locator("td").first.get_attribute("title") == "logits/BiasAdd"
    lab_.shot("nb_01_row_clicked", view)
    view.locator('.tf1x-drawing g[data-name="probs"]').click()  # a box of the drawing too
    expect(view.locator(".tf1x-detail")).to_contain_text("Softmax", timeout=30_000)
    search.fill("")
    search.press_sequentially("nothing_here", delay=10)
    expect(view.locator(".tf1x-search-status")).to_contain_text("no op matches", timeout=30_000)
    view.locator(".tf1x-show-code").click()
    code, ranked = view.locator(".tf1x-code"), "limit=1000, ranked=True)"  # the search it runs
    expect(code).to_contain_text(f"catalog.search('nothing_here', {ranked}")
    search.fill("logits")
    expect(code).to_contain_text(f"catalog.search('logits', {ranked}", timeout=30_000)
    lab_.shot("nb_01_no_matches_and_code", view)
