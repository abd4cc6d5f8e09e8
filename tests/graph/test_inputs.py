"""The graph reading behind feeds: pipeline outputs named by their tf.Example features,
loop-steering scalars and image sizes that survive every op below (issue 24), and the scan rules
that predict trouble."""

from __future__ import annotations

import explorer
from explorer.graph.index import graph_index
from explorer.graph.inputs import image_axes, image_size, loop_predicate, pipeline_inputs, survives
from tests.model_builders import feed_classes


def test_loop_steering_inputs_are_found_through_math_and_loop_plumbing(tmp_path):
    path, _, _ = feed_classes.pyramid(tmp_path)
    index = graph_index(explorer.load(path).graph_def)
    node, way = loop_predicate(index, "factor:0")
    assert node.op == "LoopCond" and way == "Enter -> Mul -> NextIteration -> Merge -> Greater"
    assert loop_predicate(index, "min_size:0")[0].op == "LoopCond"
    assert loop_predicate(index, "input:0") is None  # the image reaches the loop through Shape
    findings = explorer.scan(explorer.load(path)).by_rule("loop-scalar")
    assert {f.nodes for f in findings} == {("factor",), ("min_size",)}
    assert all(f.severity == "warning" and "declared []" in f.message for f in findings)


def test_image_sizes_follow_pads_strides_and_squeezes(tmp_path):
    path, _, _ = feed_classes.mirror_squeezed(tmp_path)
    index = graph_index(explorer.load(path).graph_def)
    assert image_axes((None, None, None, 3)) == (1, 2)
    assert image_axes((None, 3, None, None)) == (2, 3)  # NCHW
    assert image_axes((None, 28, 28, 1)) is None  # nothing free
    # fixed sizes (a sampled uint8 feed): channels 1, 3 or 4 last, else at dim -3
    assert image_axes((2, 28, 28, 1), free=False) == (1, 2)
    assert image_axes((2, 3, 32, 40), free=False) == (2, 3)
    assert image_axes((32, 40, 4), free=False) == (0, 1)
    assert image_axes((2, 28, 28, 7), free=False) is image_axes((2, 28), free=False) is None
    fail, met = survives(index, "image:0", 4, {1: 224, 2: 224})
    assert "Squeeze 'Squeeze' squeezes dim 1, which is 52 there (needs 1)" in fail and met >= 3
    assert survives(index, "image:0", 4, {1: 2, 2: 2})[0].startswith("MirrorPad 'MirrorPad'")
    assert survives(index, "image:0", 4, {1: 20, 2: 20}) == ("", 4)
    sizes, why = image_size(index, "image:0", (None, None, None, 3))
    assert sizes == {1: 22, 2: 22} and "the nearest to 224" in why
    (found,) = explorer.scan(explorer.load(path)).by_rule("image-size")
    assert found.nodes == ("image",) and "sampled feeds use 22x22" in found.message


def test_a_sequence_read_by_a_conv1d_is_no_image(tmp_path):
    import numpy as np
    import tensorflow as tf

    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, None, 3], name="seq")
        w = tf.constant(np.ones((2, 3, 4), np.float32))
        tf.identity(tf.nn.conv1d(x, w, 1, "VALID"), name="y")
    (tmp_path / "c.pb").write_bytes(g.as_graph_def().SerializeToString())
    index = graph_index(explorer.load(tmp_path / "c.pb").graph_def)
    assert image_size(index, "seq:0", (None, None, 3)) is None  # batch and time stay free


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
