"""``scan`` predicts what ``migrate`` does with a model's outputs (issue 24)."""

from __future__ import annotations

import pytest

import explorer
from explorer.errors import OutputChoiceError
from explorer.inspection.gate import scan
from explorer.inspection.suggestions import confident_io


def test_several_heads_are_an_info(heads):
    findings = scan(explorer.load(heads["detector"]))
    (found,) = findings.by_rule("several-heads")
    assert found.severity == "info" and found.message.startswith("4 heads (detection_boxes:0")
    heads_ = ("detection_boxes", "detection_scores", "detection_classes", "num_detections")
    assert found.nodes == heads_
    assert not findings.by_rule("batch-slice") and not findings.by_rule("output-contradiction")


def test_an_output_slicing_the_batch_is_a_warning(heads, mlp):
    (found,) = scan(explorer.load(heads["row0"])).by_rule("batch-slice")
    assert found.severity == "warning" and found.nodes == ("output_0",)
    assert "keeps row 0 of dense_1/Sigmoid:0, slicing the batch" in found.message
    assert not scan(mlp).by_rule("batch-slice")  # signature outputs that keep the batch


def test_a_top_candidate_against_the_prediction_is_named(tmp_path):
    """The top candidate is a shape computation named ``output``; the prediction is ``a``."""
    from explorer._tf import tf

    g = tf().Graph()
    with g.as_default():
        x = tf().compat.v1.placeholder(tf().float32, [None, 3], name="x")
        b = tf().add(tf().tanh(x, name="a"), 1.0, name="b")
        tf().shape(b, name="output")
    tf().io.write_graph(g.as_graph_def(), str(tmp_path), "m.pb", as_text=False)
    model = explorer.load(tmp_path / "m.pb")
    (found,) = scan(model).by_rule("output-contradiction")
    assert found.severity == "warning" and found.nodes == ("output",)
    assert "top candidate output:0 may not be the model's output (a shape computation)" in (
        found.message
    )
    assert "against a:0" in found.message
    with pytest.raises(OutputChoiceError, match="against a:0"):
        confident_io(model)
