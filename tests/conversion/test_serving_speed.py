"""What the served artifact runs per call: a frozen conversion of a model whose init op reads
variables (serving_half_plus_two: its asset initialiser) saves, loads with plain TensorFlow and is
proven; V2Runner feeds tensors of the signature's dtype, casting the others."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import explorer
from explorer.errors import SessionError
from tests.helpers import v1_control_flow
from tests.shared_models import shared_model


def test_a_frozen_conversion_keeps_only_the_variables_its_init_op_reads(tmp_path):
    model = explorer.load(shared_model("serving_half_plus_two"))
    v2 = explorer.convert(model, signatures=["serving_default"], freeze=True)
    assert v2.frozen and v2.variables == [] and len(v2._root.init_variables) == 2
    out = v2.save(tmp_path / "frozen")
    loaded = tf.saved_model.load(str(out))
    served = loaded.signatures["serving_default"](x=tf.constant([[1.0], [2.0]]))
    np.testing.assert_array_equal(served["y"].numpy(), [[2.5], [3.0]])  # 0.5 x + 2
    assert explorer.parity(model, out, signatures=["serving_default"]).passed
    with explorer.V2Runner(out) as runner:  # a float64 feed is cast to the float32 input
        got = runner.infer({"x": np.array([[4.0]])})
    assert got["y"].dtype == np.float32 and got["y"].tolist() == [[4.0]]


def test_the_runner_calls_the_flat_function_on_the_executor_the_graph_allows(tmp_path):
    """Per call V2Runner skips the signature's argument binding and, where the graph holds no
    control flow, the inter-op thread pool; same outputs as the signature's checked call, and a
    feed the model refuses still gets the checked call's message."""
    from explorer.examples.models import build_mlp
    from explorer.feeding.sampling import sample
    from tests.model_builders.zoo_builders import BUILDERS

    paths = {"mlp": build_mlp(tmp_path / "mlp")}
    with v1_control_flow():  # a TF1 while loop
        paths["cond_while"] = BUILDERS["cond_while"](tmp_path / "cond_while")
    for name, single in (("mlp", True), ("cond_while", False)):
        model = explorer.load(paths[name])
        out = explorer.convert(model).save(tmp_path / f"{name}_tf2")
        with explorer.V2Runner(out) as runner:
            feeds = sample(model, runner.input_specs, batch=3, seed=1)
            feeds.update({"steps": np.int32(3)} if "steps" in runner.input_specs else {})
            got = runner.infer(feeds)
            assert set(runner._order) == set(runner.converted.inputs)
            assert (runner._executor == "SINGLE_THREADED_EXECUTOR") is single, name
            fn = tf.saved_model.load(str(out)).signatures[runner.converted.name]
            want = fn(**{k: tf.constant(v) for k, v in feeds.items()})
            for key, value in want.items():
                np.testing.assert_array_equal(got[key], value.numpy())
    with explorer.V2Runner(tmp_path / "mlp_tf2") as runner:
        with pytest.raises(SessionError) as e:  # past the feed checks: the kernel refuses it
            runner._call(runner.converted, {"x": np.zeros((2, 5), np.float32)})
        assert "signature 'serving_default'" in str(e.value) and "fed x" in str(e.value)
        assert runner._order is not None  # the feed's error, not the flat call's: kept
