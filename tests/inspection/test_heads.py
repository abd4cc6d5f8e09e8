"""Which outputs a model without signatures has: every head, never a batch slice (issue 24)."""

from __future__ import annotations

import explorer
from explorer.inspection.suggestions import confident_io, default_io, needed_inputs, suggest

DETECTIONS = ["detection_boxes:0", "detection_scores:0", "detection_classes:0", "num_detections:0"]


def test_a_detector_has_four_heads_and_its_count_is_one(heads):
    """NMS in a v1 map_fn: boxes, scores, classes and the number kept (the size of what NMS
    kept, not a shape computation) are all chosen; scan says there are several heads."""
    model = explorer.load(heads["detector"])
    choice = confident_io(model)
    assert choice.outputs == DETECTIONS and choice.inputs == ["image_tensor:0"]
    count = next(c for c in suggest(model).outputs if c.name == "num_detections:0")
    assert not count.concerns and count.head
    assert default_io(model) == (["image_tensor:0"], DETECTIONS)


def test_a_batch_slicing_export_is_never_chosen_over_what_it_slices(heads):
    """``tf.identity(model.output[0])``: the named output is row 0; the sigmoid is the head."""
    model = explorer.load(heads["row0"])
    ranked = [c.name for c in suggest(model).outputs]
    assert ranked.index("dense_1/Sigmoid:0") < ranked.index("output_0:0")
    sliced = next(c for c in suggest(model).outputs if c.name == "output_0:0")
    assert "keeps row 0 of dense_1/Sigmoid:0 (slices the batch)" in sliced.concerns
    choice = confident_io(model)
    assert choice.outputs == ["dense_1/Sigmoid:0"]
    assert any(w.startswith("output_0:0 (keeps row 0") for w in choice.left_out)


def test_ctc_decoded_labels_rank_above_the_logits(heads):
    """The decoder's densified labels are the output; the time-major logits the loss reads and
    the edit-distance metric (it needs the targets) are left out."""
    model = explorer.load(heads["ctc"])
    ranked = [c.name for c in suggest(model).outputs]
    assert ranked[0] == "dense_decoded:0" and "transpose:0" in ranked[1:]
    choice = confident_io(model)
    assert choice.outputs == ["dense_decoded:0"] and choice.inputs == ["inputs:0", "seq_len:0"]


def test_outputs_alone_take_the_placeholders_they_need_and_switches_are_added(heads):
    model = explorer.load(heads["switches"])
    assert needed_inputs(model, ["probs:0"]) == ["x:0", "keep_prob:0"]
    assert needed_inputs(model, ["probs:0"], ["x:0"]) == ["x:0"]  # no switch names given

    def switch(name: str) -> bool:
        return name == "keep_prob"

    assert needed_inputs(model, ["probs:0"], ["x:0"], switch) == ["x:0", "keep_prob:0"]


def test_a_pose_net_whose_only_sink_is_its_output_is_chosen(heads):
    """The concat of heatmaps and fields is the one end; the two branch convs it reads are not
    competing outputs (main refused: "no output stands out")."""
    choice = confident_io(explorer.load(heads["keypoints"]))
    assert choice.outputs == ["Openpose/concat_stage7:0"] and choice.inputs == ["image:0"]
    assert all("not an end of the graph" in w for w in choice.left_out)
