"""Output candidates from the graph: the head first, what it computes from next, shapes last."""

from __future__ import annotations

import explorer
from explorer.inspection.suggestions import Candidate, GraphFacts, graph_outputs


def _model(tmp_path):
    from explorer._tf import tf

    t = tf()
    v1 = t.compat.v1
    g = t.Graph()
    with g.as_default():
        x = v1.placeholder(t.float32, [None, 3], name="x")
        w = t.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], name="w")
        logits = t.matmul(x, w, name="logits")
        t.nn.softmax(logits, name="probs")
        t.shape(logits, name="logits_shape")
    t.io.write_graph(g.as_graph_def(), str(tmp_path), "m.pb", as_text=False)
    return explorer.load(tmp_path / "m.pb")


def test_the_softmax_head_ranks_first_and_shapes_rank_low(tmp_path):
    cands = graph_outputs(GraphFacts(explorer.Catalog.from_model(_model(tmp_path)), set()))
    names = [c.name for c in cands]
    assert names[0] == "probs:0" and names.index("logits:0") < names.index("logits_shape:0")
    best = cands[0]
    assert isinstance(best, Candidate) and best.dtype == "float32"
    assert best.reason and best.to_json()["name"] == "probs:0"


def test_excluded_ops_are_not_candidates(tmp_path):
    cands = graph_outputs(GraphFacts(explorer.Catalog.from_model(_model(tmp_path)), {"probs"}))
    assert "probs:0" not in [c.name for c in cands]
