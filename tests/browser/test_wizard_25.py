"""Issue 25 in JupyterLab, clicked and typed as a person would: the wizard's header and tab marks,
an invalid choice blocking the steps with one line, stale lines clearing, "did you mean" and
Enter, the output folder checked as typed, and a saved run whose show-code replays it; on the
example MLP and on the shared Estimator export. Screenshots land in ``build/screenshots/``."""

from __future__ import annotations

import pytest

from tests.browser._lab import Lab, write_notebook
from tests.conftest import SHARED_MODELS

SETUP = (
    "import os, tempfile\n"
    "os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\n"
    "WORK = tempfile.mkdtemp(prefix='tf1-wizard25-')\n"
    "os.chdir(WORK)  # the default output folders go to the working folder\n"
    "os.makedirs('mine')\n"
    "open('mine/notes.txt', 'w').write('my own file')\n"
)
MODELS = {
    "mlp": "from explorer.examples import build_mlp\nMODEL = str(build_mlp('mlp', 'saved_model'))",
    "chicago": f"MODEL = {str(SHARED_MODELS / 'tfx_chicago_taxi_serving')!r}",
}


def _open(lab, lab_root, page, which):
    name = f"wizard25_{which}.ipynb"
    code = "from explorer.widgets import MigrationWizard\nwizard = MigrationWizard(MODEL)\nwizard"
    write_notebook(lab_root / name, [SETUP + MODELS[which], code])
    lab_ = Lab(lab, page)
    lab_.open(name)
    lab_.run_all()
    return lab_, page.locator(".tf1x-wizard").first


def _box(area, label):
    return area.locator(".widget-text", has_text=label).locator("input")


def _fresh_output_folder_and_parity(lab_, w, which):
    from playwright.sync_api import expect

    shot = lambda step: lab_.shot(f"wizard25_{which}_{step}", w)  # noqa: E731
    tab = w.get_by_role("tab", name="4. convert")
    tab.click()
    conv = w.locator(".tf1x-converter")
    out = _box(conv, "output")
    out.fill("mine")  # checked as typed, not after the conversion
    problem = conv.locator(".tf1x-out-problem")
    expect(problem).to_contain_text("holds 1 entry not written by tf1-explorer (e.g. notes.txt)")
    conv.get_by_text("overwrite", exact=True).click()  # overwrite never takes another's folder
    expect(problem).to_contain_text("not written by tf1-explorer")
    shot("4_folder_refused")
    conv.get_by_text("overwrite", exact=True).click()
    out.fill("tf2_out")
    expect(problem).to_have_text("")
    out.press("Enter")  # Enter converts
    expect(conv.locator(".tf1x-status")).to_contain_text("saved the TF2", timeout=180_000)
    expect(tab).to_have_text("4. convert ✔")
    shot("4_converted")
    w.get_by_role("tab", name="5. compare").click()
    par = w.locator(".tf1x-parity")
    par.get_by_role("button", name="run parity").click()
    expect(par.locator(".tf1x-status")).to_contain_text("parity: passed", timeout=180_000)
    expect(w.get_by_role("tab", name="5. compare")).to_have_text("5. compare ✔")
    w.get_by_role("button", name="save run").click()
    expect(par.locator(".tf1x-status")).to_contain_text(
        "saved the run (feeds, outputs, JSON and HTML report) to ", timeout=120_000
    )
    shot("5_saved")
    w.locator(".tf1x-show-code").click()
    code = w.locator(".tf1x-code")
    expect(code).to_contain_text("summary = explorer.parity(model, v2")
    shot("6_code")


def test_wizard_25_on_the_example_mlp(lab, lab_root, page):
    from playwright.sync_api import expect

    lab_, w = _open(lab, lab_root, page, "mlp")
    shot = lambda step: lab_.shot(f"wizard25_mlp_{step}", w)  # noqa: E731
    try:
        header = w.locator(".tf1x-wizard-header")
        expect(header).to_contain_text("mlp · saved_model · TF ")
        expect(header).to_contain_text(" nodes · serving_default: x:0 → logits/BiasAdd:0, probs:0")
        expect(w.get_by_role("tab", name="2. pick")).to_have_text("2. pick ✔")
        shot("0_header")
        # every output removed: pick, run, convert and parity refuse with one line
        w.get_by_role("tab", name="2. pick").click()
        pick = w.locator(".tf1x-picker")
        chosen = pick.locator("select").nth(2)
        for name in ("logits/BiasAdd:0", "probs:0"):
            chosen.select_option(name)
            expect(chosen).to_have_value(name)
            page.wait_for_timeout(300)  # the kernel has the highlighted name before the click
            pick.get_by_role("button", name="remove").nth(1).click()
            expect(chosen.locator("option", has_text=name)).to_have_count(0)
        expect(pick.locator(".tf1x-validation")).to_have_text("✘ choose at least one output")
        expect(w.get_by_role("tab", name="2. pick")).to_have_text("2. pick ✘")
        expect(header).to_contain_text("custom: x:0 → none")
        shot("2_no_output")
        w.get_by_role("tab", name="3. run").click()
        run = w.locator(".tf1x-runner")
        run.get_by_role("button", name="run").click()
        line = "choose at least one output (in the pick step)"
        expect(run.locator(".tf1x-status")).to_have_text(line)
        expect(w.get_by_role("tab", name="3. run")).to_have_text("3. run ✘")
        w.get_by_role("tab", name="4. convert").click()
        conv = w.locator(".tf1x-converter")
        expect(conv).to_contain_text("converts nothing: choose at least one output")
        conv.get_by_role("button", name="convert").click()
        expect(conv.locator(".tf1x-status")).to_have_text(line)
        shot("4_blocked")
        # "did you mean", and Enter adds
        w.get_by_role("tab", name="2. pick").click()
        name = pick.locator("input[placeholder='or type a tensor name']").nth(1)
        name.fill("Probs:0")
        name.press("Enter")
        status = pick.locator(".tf1x-status")
        expect(status).to_have_text("no tensor 'Probs:0' in this model: did you mean probs:0?")
        shot("2_did_you_mean")
        name.fill("probs:0")
        name.press("Enter")
        expect(status).to_have_text("")
        expect(pick.locator(".tf1x-validation")).to_contain_text("✔")
        expect(w.get_by_role("tab", name="3. run")).to_have_text("3. run ↻")
        # an empty range fails the run; fixing it clears the error
        w.get_by_role("tab", name="3. run").click()
        low = _box(run, "low")
        low.fill("5")
        low.press("Enter")
        run.get_by_role("button", name="run").click()
        expect(run.locator(".tf1x-status")).to_have_text(
            "range [5.0, 1.0) is empty: make low < high"
        )
        shot("3_range_error")
        low.fill("-1")
        low.press("Enter")
        expect(run.locator(".tf1x-status")).to_have_text("")
        run.get_by_role("button", name="run").click()
        expect(run.locator(".tf1x-status")).to_contain_text("ran 1 output(s)", timeout=90_000)
        expect(w.get_by_role("tab", name="3. run")).to_have_text("3. run ✔")
        shot("3_ran")
        _fresh_output_folder_and_parity(lab_, w, "mlp")
        assert lab_.problems() == []
    finally:
        lab_.stop_kernels()


def test_wizard_25_on_the_estimator_export(lab, lab_root, page):
    from playwright.sync_api import expect

    if not (SHARED_MODELS / "tfx_chicago_taxi_serving").is_dir():
        pytest.skip(f"no shared model at {SHARED_MODELS / 'tfx_chicago_taxi_serving'}")
    lab_, w = _open(lab, lab_root, page, "chicago")
    try:
        header = w.locator(".tf1x-wizard-header")
        expect(header).to_contain_text("tfx_chicago_taxi_serving · saved_model · TF ")
        expect(header).to_contain_text(" nodes · serving_default: ")
        lab_.shot("wizard25_chicago_0_header", w)
        _fresh_output_folder_and_parity(lab_, w, "chicago")
        assert lab_.problems() == []
    finally:
        lab_.stop_kernels()
