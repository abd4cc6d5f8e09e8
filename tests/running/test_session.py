"""ModelSession: a ready v1 session in the model's own graph, state kept across runs."""

from __future__ import annotations

import pytest

import explorer
from tests.conftest import shared_model


def test_session_uses_its_own_graph(mlp_paths):
    import tensorflow as tf

    before = len(tf.compat.v1.get_default_graph().get_operations())
    a = explorer.ModelSession(explorer.load(mlp_paths["saved_model"]))
    b = explorer.ModelSession(explorer.load(mlp_paths["checkpoint_v1"]))
    try:
        assert a.graph is not b.graph
        assert a.graph is not tf.compat.v1.get_default_graph()
        assert len(tf.compat.v1.get_default_graph().get_operations()) == before
    finally:
        a.close()
        b.close()


@pytest.mark.slow
def test_serving_counter_state():
    model = explorer.load(shared_model("serving_counter"))
    assert [v.kind for v in model.variables] == ["ref"]
    with explorer.ModelSession(model) as s:
        for name in ("reset_counter", "incr_counter", "incr_counter"):
            s.run(model.signature(name).outputs)
        assert s.run(model.signature("get_counter").outputs)["output"] == 2.0
