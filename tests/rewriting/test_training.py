"""Issue 27: the TF1 training setup (loss, optimizer, hyperparameters, schedule, slots,
iteration count) read from the apply ops and mapped onto Keras 3; what has no mapping named."""

from __future__ import annotations

import pytest

import explorer
from explorer.errors import ConversionError
from explorer.rewriting.train_step import read_training
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
    assert plan.iterations == 3  # from beta2_power = 0.999^4, the same as the global step
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
    assert "bn/moving_mean" not in plan.slots  # not trained: moved by UPDATE_OPS
    assert plan.moving == ["bn/moving_mean", "bn/moving_variance"]
    assert plan.inputs == ["images", "labels"]  # keep_prob keeps its default 1.0: no dropout
    assert plan.not_covered == []  # the moving variance too: Bessel-corrected on both sides
    plan = _plan(fixtures["mlp_momentum_decay"])
    assert "Momentum on a learning-rate schedule" in plan.not_covered[0]


def test_ftrl_is_keras_ftrl_and_an_optimizer_keras_cannot_reproduce_is_named(fixtures):
    plan = _plan(fixtures["mlp_ftrl"])
    assert (plan.tf1_optimizer, plan.optimizer) == ("ApplyFtrl", "Ftrl")
    assert plan.config["learning_rate_power"] == pytest.approx(-0.5)
    assert plan.config["l1_regularization_strength"] == 0.0
    assert plan.slots["dense_0/w"] == {
        "_accumulators": "dense_0/w/Ftrl",
        "_linears": "dense_0/w/Ftrl_1",
    }
    with pytest.raises(
        ConversionError, match=r"ApplyProximalAdagrad \(ProximalAdagrad/update_dense"
    ):
        _plan(fixtures["mlp_proximal_adagrad"])


def test_global_norm_clipping_is_keras_global_clipnorm_and_a_sparse_update_is_named(fixtures):
    plan = _plan(fixtures["lstm_rmsprop_clip"])
    assert plan.optimizer == "RMSprop" and plan.config["global_clipnorm"] == pytest.approx(0.1)
    assert not any("clip_by_global_norm" in g for g in plan.grads.values())  # before clipping
    assert plan.grads["logits/w"] == "gradients/MatMul_grad/MatMul_1:0"
    with pytest.raises(ConversionError, match=r"SparseApplyRMSProp \(a sparse update\)"):
        _plan(fixtures["embedding_lstm_rmsprop_clip"])  # the embedding's rows
