"""Runner base and V1Runner: keys, one session.run with intermediates, timing, state, errors."""

from __future__ import annotations

import numpy as np
import pytest

import explorer
from explorer.errors import FeedError, SessionError, SignatureNotFoundError
from explorer.examples.models import mlp_reference
from explorer.feeding.feeds import SparseValue
from explorer.feeding.sampling import sample
from explorer.running.base import Runner
from explorer.running.v1_runner import V1Runner
from tests.conftest import shared_model
from tests.shared_models import params


@pytest.fixture(scope="module")
def sparse_model(tmp_path_factory):
    """A SavedModel whose signature takes and returns a coo_sparse tensor: out = 2 * sp."""
    from explorer._tf import tf

    tf = tf()
    v1 = tf.compat.v1
    out = tmp_path_factory.mktemp("sparse") / "model"
    g = tf.Graph()
    with g.as_default():
        sp = v1.sparse_placeholder(tf.float32, [None, 3], name="sp")
        doubled = tf.SparseTensor(sp.indices, sp.values * 2.0, sp.dense_shape)
        total = tf.sparse.reduce_sum(sp, axis=1, name="total")
        sig = v1.saved_model.signature_def_utils.build_signature_def(
            inputs={"sp": v1.saved_model.utils.build_tensor_info(sp)},
            outputs={
                "doubled": v1.saved_model.utils.build_tensor_info(doubled),
                "total": v1.saved_model.utils.build_tensor_info(total),
            },
            method_name="tensorflow/serving/predict",
        )
        with v1.Session(graph=g) as sess:
            b = v1.saved_model.Builder(str(out))
            b.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={"sparse": sig})
            b.save()
    return explorer.load(out)


def test_by_signature_keys_and_values(mlp):
    x = np.random.default_rng(0).uniform(-1, 1, (5, 4)).astype(np.float32)
    with V1Runner(mlp, signature="serving_default") as r:
        assert r.input_specs["x"].shape == (None, 4) and list(r.output_specs) == ["logits", "probs"]
        out = r.infer({"x": x})
        r.infer({"x": x})
    assert set(out) == {"logits", "probs"}
    np.testing.assert_allclose(out["probs"], mlp_reference(x), rtol=1e-5, atol=1e-6)
    assert len(r.times) == 2 and all(t > 0 for t in r.times) and r.last_seconds == r.times[-1]
    assert not r.is_active


def test_default_signature_and_names_with_intermediates(mlp):
    with V1Runner(mlp) as r:
        assert r.signature_name == "serving_default"
    x = np.ones((2, 4), np.float32)
    with V1Runner(mlp, inputs=["x"], outputs=["dense/Relu", "probs:0", "logits/BiasAdd"]) as r:
        assert list(r.input_specs) == ["x:0"] and r.required_inputs == ["x:0"]
        out = r.infer({"x": x})  # "x" accepted for "x:0"
    assert list(out) == ["dense/Relu:0", "probs:0", "logits/BiasAdd:0"]
    assert out["dense/Relu:0"].shape == (2, 8) and (out["dense/Relu:0"] >= 0).all()
    np.testing.assert_allclose(out["probs:0"], mlp_reference(x), rtol=1e-5, atol=1e-6)


def test_feeding_an_intermediate(mlp):
    with V1Runner(mlp, inputs=["dense/Relu"], outputs=["logits/BiasAdd"]) as r:
        assert r.required_inputs == ["dense/Relu:0"]  # a placeholder is upstream, not among inputs
        zeros = r.infer({"dense/Relu:0": np.zeros((1, 8), np.float32)})["logits/BiasAdd:0"]
    np.testing.assert_allclose(zeros[0], explorer.examples.mlp_weights()["logits/bias"], rtol=1e-6)


def test_feed_errors(mlp):
    with V1Runner(mlp, signature="serving_default") as r:
        with pytest.raises(FeedError, match=r"feed 'y' is not an input .* inputs are x"):
            r.infer({"y": np.zeros((1, 4), np.float32)})
        with pytest.raises(FeedError, match=r"'x' \(x:0\) expects dtype float32, given string"):
            r.infer({"x": np.array([["a"] * 4])})
        with pytest.raises(FeedError, match=r"expects shape float32\[\?,4\], given float32\[1,5\]"):
            r.infer({"x": np.zeros((1, 5), np.float32)})
        with pytest.raises(FeedError, match=r"no feed for input 'x'"):
            r.infer({})
    small = V1Runner(mlp, max_bytes=64).start()
    with pytest.raises(FeedError, match="over the limit"):
        small.infer({"x": np.zeros((100, 4), np.float32)})
    small.stop()


def test_lifecycle_and_argument_errors(mlp):
    r = V1Runner(mlp)
    with pytest.raises(SessionError, match="not started: use `with runner:`"):
        r.infer({"x": np.zeros((1, 4), np.float32)})
    with pytest.raises(SignatureNotFoundError, match="either signatures or inputs/outputs, not"):
        V1Runner(mlp, signature="serving_default", outputs=["probs"])
    with pytest.raises(SignatureNotFoundError, match="no outputs given for .*: pass outputs="):
        V1Runner(mlp, inputs=["x"])
    with pytest.raises(SignatureNotFoundError, match="'nope' is not in"):
        V1Runner(mlp, signature="nope")
    with pytest.raises(explorer.errors.TensorNotFoundError, match="'nope' is not in"):
        V1Runner(mlp, inputs=["x"], outputs=["nope"])
    with pytest.raises(FeedError, match="needs placeholder 'x', which is not among the inputs"):
        V1Runner(mlp, inputs=["keep_prob:0"], outputs=["probs"])  # given inputs: x is no switch
    assert V1Runner(mlp, inputs=[], outputs=["probs"]).input_specs.keys() == {"x:0"}  # none given
    assert issubclass(V1Runner, Runner) and Runner.__abstractmethods__ >= {"_run", "_start"}


def test_sparse_in_and_out(sparse_model):
    with V1Runner(sparse_model) as r:
        assert r.input_specs["sp"].kind == "sparse"
        feeds = r.sample(batch=2, seed=1)
        assert isinstance(feeds["sp"], SparseValue)
        out = r.infer(feeds)
        given = SparseValue(np.array([[0, 1], [1, 2]]), np.array([1.5, -1.0]), np.array([2, 3]))
        out2 = r.infer({"sp": given})
    sp = feeds["sp"]
    assert isinstance(out["doubled"], SparseValue)
    np.testing.assert_array_equal(out["doubled"].values, sp.values * 2)
    np.testing.assert_allclose(out["total"], sp.to_dense().sum(axis=1), rtol=1e-6)
    assert out2["doubled"].to_dense().tolist() == [[0, 3, 0], [0, 0, -2]]


@pytest.mark.slow
def test_serving_counter_state_persists():
    model = explorer.load(shared_model("serving_counter"))
    with V1Runner(model, signature="reset_counter") as reset:
        incr = reset.sibling(signature="incr_counter")
        get = reset.sibling(signature="get_counter")
        by = reset.sibling(signature="incr_counter_by")
        reset.infer()
        incr.infer()
        incr.infer()
        assert get.infer()["output"] == 2.0
        delta = by.sample()  # unknown rank: the shape of the counter it is added to
        assert delta["delta"].shape == ()
        assert by.infer({"delta": np.float32(0.5)})["output"] == 2.5
    with pytest.raises(SessionError, match="was stopped"):
        get.infer()


@pytest.mark.slow
@pytest.mark.parametrize("shared", params(lambda m: m.signatures))
def test_every_signature_of_shared_saved_models_runs(shared):
    model = explorer.load(shared.path)
    sigs = list(model.signatures)
    with V1Runner(model, signature=sigs[0]) as first:
        for sig in sigs:
            r = first if sig == sigs[0] else first.sibling(signature=sig)
            out = r.infer(r.sample(batch=2, seed=0))
            assert set(out) == set(model.signatures[sig].outputs)
            for key, value in out.items():
                spec = model.signatures[sig].outputs[key]
                want = np.dtype(object) if spec.dtype == "string" else spec.dtype.split("_")[0]
                assert value.dtype == want, (sig, key)
                if value.dtype.kind == "f":
                    assert np.isfinite(value).all(), (sig, key)


@pytest.mark.slow
@pytest.mark.parametrize("shared", params(lambda m: not m.signatures and m.kind == "project"))
def test_models_without_signatures_run_their_suggested_io(shared):
    """The top suggestion is the curated I/O, and it runs."""
    model = explorer.load(shared.path)
    with V1Runner(model) as r:
        assert (list(r.input_specs), list(r.output_specs)) == ([*shared.inputs], [*shared.outputs])
        out = r.infer(sample(model, batch=3))
    assert all(np.isfinite(v).all() for v in out.values())


def test_timeout_cancels_a_long_run_and_the_session_stays_usable(tmp_path):
    """A bounded run: TensorFlow cancels it, one-line SessionError, the runner still works."""
    import tensorflow as tf

    g = tf.Graph()
    with g.as_default():
        n = tf.compat.v1.placeholder(tf.int64, [], name="n")
        _, y = tf.while_loop(
            lambda i, a: i < n,
            lambda i, a: (i + 1, a * 1.0000001),
            [tf.constant(0, tf.int64), tf.constant(1.0)],
        )
        tf.identity(y, name="y")
    tf.io.write_graph(g.as_graph_def(), str(tmp_path), "spin.pb", as_text=False)
    with explorer.V1Runner(
        explorer.load(tmp_path / "spin.pb"), inputs=["n:0"], outputs=["y:0"], timeout=0.5
    ) as r:
        small = r.infer({"n:0": np.int64(10)})["y:0"]
        with pytest.raises(
            explorer.errors.SessionError, match=r"spin\.pb: .*within 0\.5 s .*cancelled"
        ):
            r.infer({"n:0": np.int64(10**12)})
        np.testing.assert_array_equal(r.infer({"n:0": np.int64(10)})["y:0"], small)
