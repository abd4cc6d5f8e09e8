"""Input pipelines: the outputs a feed_dict feeds instead, named by their tf.Example features."""

from __future__ import annotations

import explorer
from explorer.graph.pipelines import pipeline_inputs


def test_tf_data_iterator_outputs_carry_the_parsed_feature_names(training_graphs):
    found = pipeline_inputs(explorer.load(training_graphs["tfdata"]).graph_def)
    by_tensor = {p.tensor: p for p in found}
    # parse_single_example's dict is flattened in key order: age, label, pixels.
    assert {t: p.feature for t, p in by_tensor.items()} == {
        "IteratorGetNext:0": "age",
        "IteratorGetNext:1": "label",
        "IteratorGetNext:2": "pixels",
    }
    assert all(p.op_type == "IteratorGetNext" and "::" in p.parse_op for p in found)


def test_queue_dequeue_components_carry_the_parsed_feature_names(training_graphs):
    found = pipeline_inputs(explorer.load(training_graphs["queue"]).graph_def)
    assert {p.tensor: p.feature for p in found} == {
        "shuffle_batch:0": "pixels",
        "shuffle_batch:1": "age",
        "shuffle_batch:2": "label",
    }
    assert {p.parse_op for p in found} == {"ParseSingleExample/ParseExample/ParseExampleV2"}


def test_graphs_without_pipelines_have_none(mlp_paths):
    assert pipeline_inputs(explorer.load(mlp_paths["frozen_pb"]).graph_def) == []
