"""A nondeterministic verdict explained in JupyterLab at 1100 px (issue 25): a checkpoint with
dropout baked in (tests/model_builders/verdicts.py) shows its cause (the random op) on one line,
first divergence does not call it agreement, "pin randomness" re-runs with the remedy and passes.
Screenshots ``verdicts_*.png`` land in ``build/screenshots/``."""

from __future__ import annotations

from tests.browser._lab import Lab, write_notebook

RANDOM_OP = "dropout/random_uniform/RandomUniform"
SETUP = (
    "import os, tempfile\n"
    "os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\n"
    "import explorer\n"
    "from tests.model_builders.verdicts import build_verdicts\n"
    "paths = build_verdicts(tempfile.mkdtemp(prefix='tf1-verdicts-'), names=['dropout_ckpt'])\n"
    "model = explorer.load(paths['dropout_ckpt'])\n"
    "v2 = explorer.convert(model)"
)


def test_a_nondeterministic_verdict_has_its_cause_and_pinning_passes(lab, lab_root, page):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1100, "height": 900})
    view = "from explorer.widgets import ParityView\nview = ParityView(model, v2)\nview"
    write_notebook(lab_root / "verdicts.ipynb", [SETUP, view])
    lab_ = Lab(lab, page)
    lab_.open("verdicts.ipynb")
    lab_.run_all()
    par = page.locator(".tf1x-parity").first
    status, verdict = par.locator(".tf1x-status"), par.locator(".tf1x-verdict")
    pin = par.get_by_role("button", name="pin randomness")
    try:
        expect(verdict).to_contain_text("not compared yet")
        expect(pin).to_be_hidden()
        par.get_by_role("button", name="run parity").click()
        expect(status).to_contain_text("parity: nondeterministic", timeout=120_000)
        cause = verdict.locator(".tf1x-line").first
        expect(cause).to_have_text(
            f"probs:0: random ops {RANDOM_OP} make v1 differ from itself on the same feeds"
        )
        assert cause.evaluate("e => getComputedStyle(e).textOverflow") == "ellipsis"
        assert cause.evaluate("e => e.getBoundingClientRect().right") <= 1100
        box = cause.bounding_box()
        assert box is not None and box["height"] < 30, box  # one line, not six
        expect(pin).to_be_visible()
        lab_.shot("verdicts_1_nondeterministic", par)
        par.get_by_role("button", name="first divergence").click()
        expect(status).to_contain_text("not judged: 1 output", timeout=120_000)
        expect(status).not_to_contain_text("no divergence found")
        expect(par.locator(".tf1x-divergence")).to_contain_text("tensors not judged")
        expect(par.locator(".tf1x-divergence")).to_contain_text("probs:0")
        lab_.shot("verdicts_2_divergence_not_judged", par.locator(".tf1x-divergence"))
        pin.click()
        expect(status).to_have_text("parity: passed", timeout=180_000)
        expect(verdict).to_contain_text(f"remedy: seeded {RANDOM_OP}")
        expect(pin).to_be_hidden()
        expect(par.locator(".tf1x-divergence svg")).to_have_count(0)  # the old one went
        lab_.shot("verdicts_3_pinned_passed", par)
        assert lab_.problems() == []
    finally:
        lab_.stop_kernels()
