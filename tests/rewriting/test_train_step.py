"""Issue 27: training steps proven equal (TF1 v1 session vs the Keras rewrite with the restored
optimizer, on both backends), and the resumed ``fit`` continuing the TF1 run."""

from __future__ import annotations

import pytest

from explorer.rewriting.api import exec_source
from explorer.rewriting.train_step import train_check
from tests.model_builders.train_fixtures import build_train_fixtures


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    names = ("mlp_adam", "mlp_momentum_decay", "estimator_adagrad", "lstm_rmsprop_clip")
    return build_train_fixtures(tmp_path_factory.mktemp("train"), names)


@pytest.fixture(scope="module")
def adam_check(fixtures):
    return train_check(fixtures["mlp_adam"], steps=5)


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


def test_an_estimator_model_dir_trains_alike_after_one_and_five_steps(fixtures):
    check = train_check(fixtures["estimator_adagrad"], steps=5, backends=("tensorflow",))
    assert check.passed, check.first_failure
    assert check.plan.optimizer == "Adagrad" and check.plan.config["epsilon"] == 0.0
    assert check.plan.iterations == 4  # the latest of the two checkpoints, model.ckpt-4
    steps = check.backends["tensorflow"]["steps"]  # compared after every step: 1 and 5 among them
    assert [s["step"] for s in steps if s["passed"]] == [1, 2, 3, 4, 5]
    assert max(v for s in steps for v in s["max_abs"].values()) < 1e-6
    assert "gradient, value and slots of dnn/logits/w" in check.proved


def test_an_lstm_with_clipped_gradients_and_rmsprop_trains_alike(fixtures):
    check = train_check(fixtures["lstm_rmsprop_clip"], steps=5, backends=("tensorflow",))
    assert check.passed, check.first_failure
    assert check.summary()["optimizer"]["global_clipnorm"] == pytest.approx(0.1)
    steps = check.backends["tensorflow"]["steps"]
    assert max(v for s in steps for v in s["max_abs"].values()) < 1e-6
    assert "gradient, value and slots of rnn/lstm_cell/kernel" in check.proved


def test_momentum_on_a_schedule_differs_and_the_variable_is_named(fixtures):
    check = train_check(fixtures["mlp_momentum_decay"], steps=2, backends=("tensorflow",))
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
