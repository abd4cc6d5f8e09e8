"""ParityState.check_training / the ParityView's training panel (issue 27): a TF1 Adam training
checkpoint gets a passing per-step table; an inference model says in one line why there is none."""

import pytest

from explorer.errors import ConversionError
from explorer.examples import build_mlp, build_training_mlp
from explorer.widgets.compare import ParityView
from explorer.widgets.compare_state import ParityState


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    state = ParityState(build_training_mlp(tmp_path_factory.mktemp("train")))
    view = ParityView(state, show_code=True)
    assert state.not_training() == "" and view.training_button.layout.display == ""
    view.code.toggle()
    state.check_training(steps=2)  # the button runs the default 5 steps; 2 keep the test lean
    return state, view


def test_training_mlp_gets_a_passing_table(trained):
    state, view = trained
    t = state.training
    assert t["passed"] and list(t["backends"]) == ["tensorflow"] and t["steps"] == 2
    rows = state.training_rows()
    assert [(r["backend"], r["step"], r["verdict"]) for r in rows] == [
        ("tensorflow", 1, "passed"),
        ("tensorflow", 2, "passed"),
    ]
    assert all(r["loss"] < 1e-5 and r["gradients"] < 1e-4 and "slots" in r for r in rows)
    verdict = state.training_verdict()
    assert verdict == "training: 2 ApplyAdam steps match TF1 on tensorflow"
    html = view.training.value
    assert verdict in html and "<th style='text-align:left;padding:2px 8px'>slots</th>" in html
    assert html.count("#dafbe1") == 2 and "proved: loss" in html
    code = state.code()
    assert "check = train_check(model, steps=2, seed=0, backends=('tensorflow',))" in code
    compile(code, "code", "exec")
    assert "check = train_check(model, steps=2" in view.code.pre.value
    state.seed = 1  # an input changed: the result goes, the panel empties
    assert state.training is None and view.training.value == ""
    assert "train_check" not in state.code()


def test_inference_model_says_why_in_one_line(tmp_path):
    state = ParityState(build_mlp(tmp_path / "mlp"))
    view = ParityView(state)
    why = state.not_training()
    assert "not a training graph" in why and "\n" not in why
    assert view.training_button.layout.display == "none"
    assert view.training.value.count(f">no training check: {why}</div>") == 1  # one line
    with pytest.raises(ConversionError, match="not a training graph"):
        state.check_training()
    view.training_button.click()  # hidden, but a click still answers in one line
    assert view.status.kind == "error" and "not a training graph" in view.status.text
    assert state.training is None
