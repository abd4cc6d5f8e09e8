"""dynamic_rnn v1 while loops -> Keras LSTM / GRU / SimpleRNN: weights in Keras's gate order."""

from __future__ import annotations

import numpy as np

import explorer


def test_lstm_weights_are_reordered_into_keras_gate_order(keras_fixtures):
    """TF's i, j, f, o columns (forget_bias added at run time) -> Keras's i, f, c, o."""
    model = explorer.load(keras_fixtures / "lstm" / "model.meta")
    rw = explorer.to_keras(model, inputs=["x:0"], outputs=["y:0"], check=False)
    (row,) = [r for r in rw.layers if r["kind"] == "LSTM"]
    assert row["weights"] == [[6, 28], [7, 28], [28]]
    tf_kernel = model.variables_dict()["rnn/lstm_cell/kernel"]
    tf_bias = model.variables_dict()["rnn/lstm_cell/bias"]
    keras_model = rw.build()
    kernel, recurrent, bias = (w.numpy() for w in keras_model.get_layer(row["layer"]).weights)
    u = 7
    np.testing.assert_array_equal(kernel[:, u : 2 * u], tf_kernel[:6, 2 * u : 3 * u])  # f
    np.testing.assert_array_equal(recurrent[:, 2 * u : 3 * u], tf_kernel[6:, u : 2 * u])  # c
    np.testing.assert_allclose(bias[u : 2 * u], tf_bias[2 * u : 3 * u] + 1.0)  # forget bias
    assert "forget_bias 1 folded into the bias" in rw.source


def test_gru_gates_and_candidate_become_one_keras_gru_kernel(keras_fixtures):
    """TF's gates kernel (r, u) and candidate kernel -> Keras z(=u), r, h; reset_after=False."""
    model = explorer.load(keras_fixtures / "gru" / "model.meta")
    rw = explorer.to_keras(model, inputs=["x:0"], outputs=["y:0"], check=False)
    (row,) = [r for r in rw.layers if r["kind"] == "GRU"]
    u = 6
    assert row["weights"] == [[6, 3 * u], [u, 3 * u], [3 * u]]
    gates = model.variables_dict()["rnn/gru_cell/gates/kernel"]
    candidate = model.variables_dict()["rnn/gru_cell/candidate/kernel"]
    kernel = rw.build().get_layer(row["layer"]).weights[0].numpy()
    np.testing.assert_array_equal(kernel[:, :u], gates[:6, u:])  # z = TF's u gate
    np.testing.assert_array_equal(kernel[:, u : 2 * u], gates[:6, :u])  # r
    np.testing.assert_array_equal(kernel[:, 2 * u :], candidate[:6])
    assert "reset_after=False" in rw.source


def test_basic_rnn_splits_the_kernel_rows(keras_fixtures):
    rw = explorer.to_keras(
        keras_fixtures / "rnn" / "model.meta", inputs=["x:0"], outputs=["y:0"], check=False
    )
    (row,) = [r for r in rw.layers if r["kind"] == "SimpleRNN"]
    assert row["weights"] == [[6, 4], [4, 4], [4]] and row["rule"] == "dynamic-rnn"
    assert "rnn, rnn_h = keras.layers.SimpleRNN(4, return_sequences=True" in rw.source


def test_sequence_length_becomes_a_mask_with_zeroed_outputs(keras_fixtures):
    """dynamic_rnn(sequence_length=lengths): TF zeroes outputs past each length and keeps the state
    of the last valid step; Keras does the same with the mask and zero_output_for_mask=True."""
    path = keras_fixtures / "lstm_lengths" / "model.meta"
    rw = explorer.to_keras(path, inputs=["x:0", "lengths:0"], outputs=["y:0"], check=False)
    assert "zero_output_for_mask=True" in rw.source and "mask=keras.ops.less(" in rw.source
    saved = np.load(keras_fixtures / "lstm_lengths" / "expected.npz")  # lengths 5, 2 and 0
    got = rw.build()({"x": saved["x"], "lengths": saved["lengths"]})["y"]
    np.testing.assert_allclose(np.asarray(got), saved["y"], atol=1e-5, rtol=1e-5)
