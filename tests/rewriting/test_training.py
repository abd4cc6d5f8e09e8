"""Issue 27: the TF1 training setup read and mapped onto Keras 3, and training steps proven equal
(TF1 v1 session vs the Keras rewrite with the restored optimizer, on both backends)."""

from __future__ import annotations

import pytest

import explorer
from explorer.errors import ConversionError
from explorer.rewriting.api import exec_source
from explorer.rewriting.training import read_training
from explorer.running.session import ModelSession
from tests.model_builders.train_fixtures import NAMES, build_train_fixtures


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    return build_train_fixtures(tmp_path_factory.mktemp("train"), NAMES)


def _plan(path):
    model = explorer.load(path)
    with ModelSession(model) as sess:
        return read_training(model, sess)


def test_adam_with_exponential_decay_is_read_from_the_apply_ops(fixtures):
    plan = _plan(fixtures["mlp_adam"])
    assert (plan.tf1_optimizer, plan.optimizer) == ("ApplyAdam", "Adam")
    assert plan.loss == "sparse_softmax_cross_entropy_loss/value:0"
    assert plan.train_op == "Adam" and plan.global_step == "global_step"
    c = plan.config
    assert c["beta_1"] == pytest.approx(0.9) and c["beta_2"] == pytest.approx(0.999)
    assert c["epsilon"] == pytest.approx(1e-6)  # TF1's epsilon hat is Keras 3's epsilon
    assert c["learning_rate"] == pytest.approx(0.01 * 0.9 ** (3 / 2), rel=1e-6)  # at step 3
    assert plan.schedule["class"] == "ExponentialDecay"
    sched = plan.schedule["config"]
    assert sched["decay_steps"] == 2 and sched["decay_rate"] == pytest.approx(0.9)
    assert sched["initial_learning_rate"] == pytest.approx(0.01) and not sched["staircase"]
    assert plan.iterations == 3  # from beta1_power = 0.9^4, the same as the global step
    assert plan.slots["dense_0/w"] == {
        "_momentums": "dense_0/w/Adam",
        "_velocities": "dense_0/w/Adam_1",
    }
    assert sorted(plan.grads) == ["dense_0/b", "dense_0/w", "dense_1/b", "dense_1/w"]
    assert plan.inputs == ["labels", "x"] and plan.label_ranges == {"labels": (0, 3)}
    assert plan.not_covered == []


def test_rmsprop_piecewise_and_nesterov_momentum(fixtures):
    plan = _plan(fixtures["mlp_rmsprop"])
    assert plan.optimizer == "RMSprop" and plan.config["momentum"] == pytest.approx(0.9)
    assert plan.schedule["class"] == "PiecewiseConstantDecay"
    assert plan.schedule["config"]["boundaries"] == [3, 6]
    assert plan.schedule["config"]["values"] == pytest.approx([0.01, 0.005, 0.001])
    assert set(plan.slots["dense_1/w"]) == {"_velocities", "_momentums"}
    plan = _plan(fixtures["cnn_momentum"])
    assert plan.optimizer == "SGD" and plan.config["nesterov"] is True
    assert plan.slots["bn/gamma"] == {"-momentums": "bn/gamma/Momentum"}
    assert "bn/moving_mean" not in plan.slots  # not trained: a frozen Keras weight
    plan = _plan(fixtures["mlp_momentum_decay"])
    assert "Momentum on a learning-rate schedule" in plan.not_covered[0]


def test_an_optimizer_keras_cannot_reproduce_is_named(fixtures):
    with pytest.raises(ConversionError, match=r"ApplyFtrl \(Ftrl/update_dense_0/w/ApplyFtrl\)"):
        _plan(fixtures["mlp_ftrl"])


@pytest.fixture(scope="module")
def adam_check(fixtures):
    return explorer.train_check(fixtures["mlp_adam"], steps=5)


def test_five_adam_steps_match_on_both_backends(adam_check):
    check = adam_check
    assert check.passed, check.first_failure
    assert check.first_failure is None
    assert set(check.backends) == {"tensorflow", "jax"}
    for res in check.backends.values():
        assert [s["step"] for s in res["steps"]] == [1, 2, 3, 4, 5]
        for s in res["steps"]:
            assert set(s["max_abs"]) == {"loss", "gradients", "weights", "slots"}
            assert max(s["max_abs"].values()) < 1e-6
    assert len(check.proved) == 5 and "dense_1/w" in check.proved[-2]
    assert check.summary()["optimizer"]["keras"] == "Adam"


def test_momentum_on_a_schedule_differs_and_the_variable_is_named(fixtures):
    check = explorer.train_check(fixtures["mlp_momentum_decay"], steps=2, backends=("tensorflow",))
    steps = check.backends["tensorflow"]["steps"]
    assert steps[0]["passed"] and not steps[1]["passed"]
    assert check.first_failure == "tensorflow step 2: dense_0/w"
    assert not check.passed


def test_the_resumed_fit_continues_the_tf1_run_without_a_jump(adam_check, tmp_path):
    out = adam_check.save(tmp_path / "resume")
    assert {p.name for p in out.iterdir()} >= {"model.py", "optimizer.npz", "train_check.json"}
    source = (out / "model.py").read_text()
    assert "keras.optimizers.schedules.ExponentialDecay(initial_learning_rate=0.01" in source
    assert "keras.optimizers.Adam(learning_rate=learning_rate, beta_1=0.9" in source
    namespace = exec_source(source, str(out / "model.py"))
    rw = adam_check._rewrite
    x = dict(zip(rw.inputs, rw._feeds[0].values()))
    losses = {}
    for restore in (True, False):
        model = namespace["training_model"](restore=restore)
        fit = model.fit(x, batch_size=4, epochs=5, shuffle=False, verbose=0)
        losses[restore] = fit.history["loss"]
    assert losses[True] == pytest.approx(adam_check.tf1_losses, abs=1e-6)  # Keras continues TF1
    cold = abs(losses[False][1] - adam_check.tf1_losses[1])
    assert cold > 1e-3  # a fresh Adam (zero moments) jumps off the TF1 run at its second step
