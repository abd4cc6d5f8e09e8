"""Non-finite outputs are never a pass (issue 23): NaN/Inf on either side is named in the verdict
line (API, CLI parity, migrate, the widget, the HTML report); matching NaN/Inf pass only when the
user accepts them; NaN/Inf in different places always fail."""

from __future__ import annotations

import numpy as np
import pytest

import explorer
from explorer.cli import main
from explorer.comparing.records import Tolerance
from explorer.reporting.html import to_html
from explorer.rewriting.api import _compare_job
from tests.helpers import graph_model

ACCEPT = Tolerance(nonfinite="accept-matching")


def _model(tmp_path, name, fn):
    def build(tf):
        x = tf.compat.v1.placeholder(tf.float32, [None, 3], name="x")
        tf.identity(fn(tf, x), name="y")

    return graph_model(tmp_path / name, build)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nonfinite")
    for name in ("nan", "inf", "finite"):
        (tmp / name).mkdir()
    return {
        "nan": _model(tmp, "nan", lambda tf, x: tf.sqrt(-1.0 - tf.abs(x))),
        "inf": _model(tmp, "inf", lambda tf, x: tf.math.reciprocal(tf.abs(x) * 0.0)),
        "finite": _model(tmp, "finite", lambda tf, x: tf.sqrt(1.0 + tf.abs(x))),
    }


def _cli(capsys, *args):
    """The CLI's exit code and stdout lines (in this process: the worker's TensorFlow and
    import-isolation worker serve every call)."""
    capsys.readouterr()
    code = main([str(a) for a in args])
    return code, capsys.readouterr().out.strip().splitlines()


@pytest.mark.parametrize("kind, word", [("nan", "NaN 6/6"), ("inf", "Inf 6/6")])
def test_all_nan_or_inf_on_both_sides_fails_unless_accepted(models, kind, word):
    model = models[kind]
    v2 = explorer.convert(model)
    summary = explorer.parity(model, v2, source=explorer.Sampled(batches=1))
    rec = summary["serving_default"].outputs["y:0"]
    assert not summary and summary.status == "failed" and rec.equal  # bitwise equal, still no
    assert summary.verdict == f"failed; NaN/Inf found in y:0 (v1/v2: {word})"
    assert "pass --accept-nonfinite" in rec.reason
    page = to_html(summary, plots=False)
    assert f"failed; NaN/Inf found in y:0 (v1/v2: {word})</span></h1>" in page
    accepted = explorer.parity(model, v2, source=explorer.Sampled(batches=1), tolerance=ACCEPT)
    assert accepted and accepted.verdict == f"passed; NaN/Inf accepted in y:0 (v1/v2: {word})"


def test_nan_on_one_side_fails_even_when_accepted(models):
    other = explorer.convert(models["finite"])
    summary = explorer.parity(models["nan"], other, source=explorer.Sampled(2), tolerance=ACCEPT)
    rec = summary["serving_default"].outputs["y:0"]
    assert summary.status == "failed" and rec.mismatches == rec.count == 12
    assert rec.reason == "12 of 12 elements differ beyond tolerance"
    assert summary.verdict == "failed; NaN/Inf found in y:0 (v1/v2: NaN 12/0)"


def test_cli_parity_names_nan_in_the_verdict_line_and_exits_1(models, tmp_path, capsys):
    path = models["nan"].path
    code, out = _cli(capsys, "parity", path, "--batches", "1")
    assert code == 1 and out[0].endswith(": failed; NaN/Inf found in y:0 (v1/v2: NaN 6/6)"), out
    assert not any("passed" in line for line in out), out
    code, out = _cli(capsys, "parity", path, "--batches", "1", "--accept-nonfinite")
    assert code == 0 and out[0].endswith(": passed; NaN/Inf accepted in y:0 (v1/v2: NaN 6/6)")
    saved = explorer.convert(models["finite"]).save(tmp_path / "other")
    code, out = _cli(
        capsys, "parity", path, "--converted", saved, "--accept-nonfinite", "--batches", "1"
    )
    assert code == 1 and out[0].endswith(": failed; NaN/Inf found in y:0 (v1/v2: NaN 6/0)")


def test_migrate_does_not_prove_all_inf_outputs_unless_accepted(models, tmp_path, capsys):
    path = models["inf"].path
    code, out = _cli(capsys, "migrate", path, tmp_path / "out", "--batches", "1")
    assert code == 1 and not (tmp_path / "out").exists()
    assert out[-1] == "not proved y:0 <- x:0: failed; NaN/Inf found in y:0 (v1/v2: Inf 6/6)"
    code, out = _cli(
        capsys, "migrate", path, tmp_path / "ok", "--batches", "1", "--accept-nonfinite"
    )
    assert code == 0 and (tmp_path / "ok" / "saved_model.pb").is_file()
    assert out[-1] == "proved y:0 <- x:0: passed; NaN/Inf accepted in y:0 (v1/v2: Inf 6/6)"


def test_the_widget_verdict_names_nan_and_the_checkbox_accepts_it(models):
    from explorer.widgets import ParityView

    model = models["nan"]
    view = ParityView(model, explorer.convert(model))
    view.batches.value = 1
    view.run_button.click()
    assert view.status.text == "parity: failed; NaN/Inf found in y:0 (v1/v2: NaN 6/6)"
    assert "failed; NaN/Inf found in y:0" in view.verdict.value and "#d1242f" in view.verdict.value
    view.accept_nonfinite.value = True
    assert view.state.tolerance.nonfinite == "accept-matching"
    view.run_button.click()
    assert view.status.text == "parity: passed; NaN/Inf accepted in y:0 (v1/v2: NaN 6/6)"
    assert "nonfinite='accept-matching'" in view.state.code()


def test_the_rewrite_check_compares_through_the_same_rule():
    nan = np.full((2, 3), np.nan, np.float32)

    class Got(dict):
        files = property(lambda self: list(self))

    expected = [{"y": nan}]
    refused = _compare_job(Got({"b0_0": nan.copy()}), expected, Tolerance(), 0.0)  # by position
    assert not refused["passed"] and refused["outputs"]["y"]["nonfinite"] == "v1/v2: NaN 6/6"
    assert _compare_job(Got({"b0_0": nan.copy()}), expected, ACCEPT, 0.0)["passed"]
