"""The MigrationWizard end to end in JupyterLab, as a person clicks it: browse (search, click a
row), pick (click a suggestion), run, convert and load back, compare (parity, first divergence),
show code; on the example MLP and on the shared Estimator export (chicago taxi). A screenshot per
step lands in ``build/screenshots/``."""

from __future__ import annotations

import pytest

from tests.browser._lab import Lab, write_notebook
from tests.conftest import SHARED_MODELS

MODELS = {
    "mlp": (
        "import os, tempfile\n"
        "os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\n"
        "from explorer.examples import build_mlp\n"
        "WORK = tempfile.mkdtemp(prefix='tf1-wizard-')\n"
        "MODEL = str(build_mlp(os.path.join(WORK, 'mlp'), 'saved_model'))",
        "Relu",
        "dense/Relu",
    ),
    "chicago": (
        "import os, tempfile\n"
        "os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\n"
        "WORK = tempfile.mkdtemp(prefix='tf1-wizard-')\n"
        f"MODEL = {str(SHARED_MODELS / 'tfx_chicago_taxi_serving')!r}",
        "ParseExampleV2",
        "ParseExample/ParseExampleV2",
    ),
}


@pytest.mark.parametrize("which", list(MODELS))
def test_wizard_end_to_end(lab, lab_root, page, which):
    from playwright.sync_api import expect

    setup, query, op = MODELS[which]
    if which == "chicago" and not (SHARED_MODELS / "tfx_chicago_taxi_serving").is_dir():
        pytest.skip(f"no shared model at {SHARED_MODELS / 'tfx_chicago_taxi_serving'}")
    name = f"wizard_{which}.ipynb"
    write_notebook(
        lab_root / name,
        [
            setup,
            "from explorer.widgets import MigrationWizard\n"
            "wizard = MigrationWizard(MODEL, out_dir=os.path.join(WORK, 'tf2'))\nwizard",
        ],
    )
    lab_ = Lab(lab, page)
    lab_.open(name)
    lab_.run_all()
    w = page.locator(".tf1x-wizard").first
    shot = lambda step: lab_.shot(f"wizard_{which}_{step}", w)  # noqa: E731
    try:
        # 1. browse: search, click a row
        search = w.locator(".tf1x-search input")
        search.click()
        search.press_sequentially(query, delay=15)
        row = w.locator(f'.tf1x-browser-table tr[data-name="{op}"]')
        row.click()
        try:
            expect(row).to_have_class("tf1x-row tf1x-selected", timeout=5_000)
        except AssertionError:  # an earlier keystroke's search landed after the click: new
            row.click()  # results clear the selection (as they must); the person clicks again
        expect(row).to_have_class("tf1x-row tf1x-selected", timeout=30_000)
        expect(w.locator(".tf1x-detail")).to_contain_text(op)
        expect(w.locator(".tf1x-drawing svg")).to_have_count(1)
        shot("1_browse")
        # 2. pick: the first output suggestion, clicked
        w.get_by_role("tab", name="2. pick").click()
        first = w.locator(".tf1x-suggest-outputs tr[data-name]").first
        first.click()
        expect(first).to_have_class("tf1x-row tf1x-selected", timeout=30_000)
        shot("2_pick")
        # 3. run
        w.get_by_role("tab", name="3. run").click()
        w.locator(".tf1x-runner").get_by_role("button", name="run").click()
        expect(w.locator(".tf1x-runner .tf1x-status")).to_contain_text("ran ", timeout=90_000)
        shot("3_run")
        # 4. convert, load it back
        w.get_by_role("tab", name="4. convert").click()
        conv = w.locator(".tf1x-converter")
        conv.get_by_role("button", name="convert").click()
        expect(conv.locator(".tf1x-status")).to_contain_text("saved the TF2", timeout=120_000)
        conv.get_by_role("button", name="load it back").click()
        expect(conv.locator(".tf1x-status")).to_contain_text("agree", timeout=120_000)
        shot("4_convert")
        # 5. compare: parity, first divergence
        w.get_by_role("tab", name="5. compare").click()
        par = w.locator(".tf1x-parity")
        par.get_by_role("button", name="run parity").click()
        expect(par.locator(".tf1x-status")).to_contain_text("parity: passed", timeout=120_000)
        expect(par.locator(".tf1x-plots img").first).to_be_visible()
        par.get_by_role("button", name="first divergence").click()
        expect(par.locator(".tf1x-status")).to_contain_text("no divergence", timeout=120_000)
        expect(par.locator(".tf1x-divergence img")).to_have_count(1)
        shot("5_compare")
        lab_.shot(f"wizard_{which}_5_divergence_plot", par.locator(".tf1x-divergence img"))
        # show code: one button, the whole session as a script
        buttons = w.locator(".tf1x-show-code")
        expect(buttons).to_have_count(1)
        buttons.click()
        code = w.locator(".tf1x-code")
        expect(code).to_contain_text("explorer.first_divergence(model, v2, feeds")
        assert code.inner_text().count("runner = explorer.V1Runner(") == 1
        shot("6_code")
        assert lab_.problems() == []
    finally:
        lab_.stop_kernels()
