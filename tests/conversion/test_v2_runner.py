"""V2Runner: the V1Runner interface over a V2Model or a saved TF2 SavedModel folder."""

from __future__ import annotations

import numpy as np
import pytest

import explorer
from explorer.conversion.v2_model import V2Runner
from explorer.running.v1_runner import V1Runner


@pytest.fixture(scope="module")
def mlp(mlp_paths, tmp_path_factory):
    model = explorer.load(mlp_paths["saved_model"])
    v2 = explorer.convert(model)
    return model, v2, v2.save(tmp_path_factory.mktemp("v2") / "mlp")


def test_same_keys_and_bitwise_outputs_as_v1(mlp):
    model, v2, folder = mlp
    with V1Runner(model) as r1, V2Runner(v2) as r2, V2Runner(folder) as r3:
        assert r2.input_specs == r3.input_specs
        assert list(r2.input_specs) == list(r1.input_specs) == ["x"]
        assert set(r2.output_specs) == set(r1.output_specs) == {"probs", "logits"}
        feeds = r2.sample(batch=5, seed=2)
        a, b, c = r1.infer(feeds), r2.infer(feeds), r3.infer(feeds)
    for k in a:
        assert np.array_equal(a[k], b[k]) and np.array_equal(a[k], c[k]), k
    assert r2.last_seconds is not None and r2.name == "v2"


def test_feeds_are_checked_and_runner_must_be_started(mlp):
    _, v2, folder = mlp
    r = V2Runner(v2)
    with pytest.raises(explorer.errors.SessionError, match="not started"):
        r.infer({"x": np.zeros((1, 4), np.float32)})
    with r, pytest.raises(explorer.errors.FeedError, match="'x'"):
        r.infer({"x": np.zeros((1, 5), np.float32)})
    with pytest.raises(explorer.errors.SessionError, match="without its TF1 source"):
        V2Runner(folder).sample()


def test_bad_folder_and_signature(mlp, tmp_path):
    _, v2, folder = mlp
    with pytest.raises(explorer.errors.ModelNotFoundError, match="no saved_model.pb"):
        V2Runner(tmp_path)
    with pytest.raises(explorer.errors.SignatureNotFoundError, match="'nope' is not in"):
        V2Runner(folder, signature="nope")
    with pytest.raises(explorer.errors.SignatureNotFoundError, match="'nope' is not in"):
        V2Runner(v2, signature="nope")


def test_any_tf2_saved_model_runs_without_explorer_metadata(tmp_path):
    from explorer._tf import tf

    tf = tf()

    class Double(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="a")])
        def __call__(self, a):
            return {"twice": a * 2.0}

    m = Double()
    tf.saved_model.save(m, str(tmp_path / "plain"), signatures={"serving_default": m.__call__})
    with V2Runner(tmp_path / "plain") as r:
        assert list(r.input_specs) == ["a"] and list(r.output_specs) == ["twice"]
        out = r.infer({"a": np.array([1.0, 2.5], np.float32)})
    np.testing.assert_array_equal(out["twice"], [2.0, 5.0])
    lazy = V2Runner(tmp_path / "plain")
    assert lazy.input_specs["a"].dtype == "float32" and lazy.is_active  # specs start it
    lazy.stop()


def test_v2_run_failure_names_what_was_fed_and_the_flags(tmp_path):
    """A TF2 signature that fails inside (a Reshape of a wrong-sized feed): one line naming the
    signature, what was fed and the --shape flag; no raw TensorFlow error."""
    from explorer.conversion.build import convert
    from explorer.errors import SessionError
    from tests.feeding import shape_models

    path, ins, outs = shape_models.reshaped(tmp_path)
    v2 = convert(path, inputs=ins, outputs=outs)
    with V2Runner(v2) as r, pytest.raises(SessionError) as e:
        r.infer({"x": np.ones((1, 5), np.float32)})
    msg = str(e.value)
    assert "signature 'serving_default'" in msg and "fed x float32[1, 5]" in msg
    assert "--shape NAME=D0,D1" in msg
