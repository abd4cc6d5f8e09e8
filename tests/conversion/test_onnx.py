"""ONNX export (``convert(..., to="onnx")``): proven by the one parity path on tf.compat.v1 graphs
(an MLP, a CNN, a v1 while loop), refused in one line naming the op types it cannot take."""

from __future__ import annotations

import numpy as np
import pytest

import explorer
from explorer.comparing.parity_check import Sampled, parity
from explorer.conversion.onnx import OPSET, OnnxModel, OnnxRunner, runner_for
from explorer.errors import ConversionError, OutputExistsError
from explorer.running.v1_runner import V1Runner
from tests.helpers import graph_model
from tests.shared_models import shared_model

ONE = Sampled(batches=2, batch_size=3)


def _cnn(tf):
    v1 = tf.compat.v1
    x = v1.placeholder(tf.float32, [None, 8, 8, 3], name="x")
    rng = np.random.default_rng(0)
    k = tf.constant(rng.normal(size=(3, 3, 3, 4)).astype(np.float32))
    y = tf.nn.relu(tf.nn.conv2d(x, k, [1, 1, 1, 1], "SAME") + 0.1)
    y = tf.nn.max_pool2d(y, 2, 2, "VALID")
    w = tf.constant(rng.normal(size=(64, 5)).astype(np.float32))
    tf.nn.softmax(tf.matmul(tf.reshape(y, [-1, 64]), w), name="probs")


def _while(tf):
    """A v1 while loop (Enter/Exit/NextIteration): three steps of ``x = tanh(x @ w)``."""
    tf.compat.v1.disable_control_flow_v2()
    v1 = tf.compat.v1
    x = v1.placeholder(tf.float32, [None, 4], name="x")
    w = tf.constant(np.eye(4, dtype=np.float32) * 0.5 + 0.1)
    _, y = tf.while_loop(lambda i, _: i < 3, lambda i, h: (i + 1, tf.tanh(h @ w)), [0, x])
    tf.identity(y, name="y")


def _table(tf):
    """A string -> id hash table, a string op on the way."""
    v1 = tf.compat.v1
    words = v1.placeholder(tf.string, [None], name="words")
    init = tf.lookup.KeyValueTensorInitializer(["a", "b"], tf.constant([1, 2], tf.int64))
    table = tf.lookup.StaticHashTable(init, -1)
    tf.identity(table.lookup(tf.strings.lower(words)), name="ids")


IO = {_cnn: (["x:0"], ["probs:0"]), _while: (["x:0"], ["y:0"]), _table: (["words:0"], ["ids:0"])}


def test_mlp_exported_proven_saved_and_reloaded(mlp_paths, tmp_path):
    """The MLP SavedModel (variables, a signature): in memory and saved, the ONNX export passes
    parity against the v1 session; its runner gives the v1 outputs; the folder is not replaced."""
    model = explorer.load(mlp_paths["saved_model"])
    onnx = explorer.convert(model, to="onnx")
    assert isinstance(onnx, OnnxModel) and onnx.opset == OPSET
    assert set(onnx.signatures) == set(explorer.convert(model).signatures)
    assert parity(model, onnx, source=ONE).passed
    saved = onnx.save(tmp_path / "onnx")
    files = sorted(p.name for p in saved.iterdir())
    assert [f"{n}.onnx" for n in sorted(onnx.signatures)] == [f for f in files if f.endswith("x")]
    summary = parity(model, saved, source=ONE)
    assert summary.passed, summary.verdict
    runner = runner_for(saved)
    assert isinstance(runner, OnnxRunner)
    with V1Runner(model) as r1, runner:
        feeds = r1.sample(batch=4, seed=1)
        want, got = r1.infer(feeds), runner.infer(feeds)
    assert want.keys() == got.keys()
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-5, atol=1e-5)
    with pytest.raises(OutputExistsError, match="overwrite"):
        onnx.save(saved)


@pytest.mark.parametrize("build", [_cnn, _while], ids=["cnn", "while_loop"])
def test_cnn_and_v1_while_loop_convert_and_pass(build, tmp_path):
    model = graph_model(tmp_path, build)
    if build is _while:
        assert {"Enter", "Exit", "NextIteration"} <= {n.op for n in model.graph_def.node}
    ins, outs = IO[build]
    onnx = explorer.convert(model, inputs=ins, outputs=outs, to="onnx")
    summary = parity(model, onnx, inputs=ins, outputs=outs, source=ONE)
    assert summary.passed, summary.verdict


def test_table_and_string_ops_refused_in_one_line_naming_them(tmp_path):
    model = graph_model(tmp_path, _table)
    with pytest.raises(ConversionError) as err:
        explorer.convert(model, inputs=["words:0"], outputs=["ids:0"], to="onnx")
    text = str(err.value)
    assert "\n" not in text and "cannot be exported to ONNX" in text
    assert "LookupTableFindV2" in text and "to='saved_model'" in text


def test_stateful_signature_and_unknown_target_refused_before_the_work():
    with pytest.raises(ConversionError, match=r"'incr_counter'.*updates variables \(Assign"):
        explorer.convert(shared_model("serving_counter"), to="onnx")
    with pytest.raises(ConversionError, match="to='tflite': convert to one of saved_model, onnx"):
        explorer.convert(shared_model("serving_counter"), to="tflite")
