"""The Compare step on a custom choice of inputs/outputs of a model that has signatures: the
custom tensors are compared (and searched by first_divergence), not the model's signatures."""

from __future__ import annotations

import explorer
from explorer.widgets import ParityState

INS = ("x:0",)
OUTS = ("dense/Relu:0",)  # the hidden layer, not a signature output


def test_parity_state_compares_a_custom_choice(mlp):
    v2 = explorer.convert(mlp, inputs=list(INS), outputs=list(OUTS))
    s = ParityState(mlp, v2, inputs=INS, outputs=OUTS)
    s.batches = 1
    summary = s.run()
    assert summary and list(summary.reports) == ["serving_default"] == [s.shown]
    assert [r["output"] for r in s.rows()] == list(OUTS)
    div = s.find_divergence()
    assert not div and div.steps[-1].tensor in OUTS
    assert "logits/BiasAdd:0" not in {st.tensor for st in div.steps}  # downstream of it
    code = s.code()
    assert "explorer.parity(model, v2, inputs=['x:0'], outputs=['dense/Relu:0']" in code
    assert "explorer.first_divergence(model, v2, feeds, inputs=['x:0']" in code
    s.signature = "serving_default"  # a signature wins over the tensors, as in Selection
    assert s.summary is None and s.custom_io() == {}
