"""The default tensors to run: a model without signatures runs its top output and what it needs."""

from __future__ import annotations

import pytest

import explorer
from explorer.errors import SignatureNotFoundError
from explorer.inspection.suggestions import default_io
from tests.helpers import two_heads


def test_frozen_graph_runs_its_top_output_and_the_placeholders_it_needs(mlp_paths):
    inputs, outputs = default_io(explorer.load(mlp_paths["frozen_pb"]))
    assert outputs == ["probs:0"] and inputs == ["x:0"]


def test_a_graph_with_no_output_candidates_says_to_choose(tmp_path):
    from explorer._tf import tf

    g = tf().Graph()
    with g.as_default():
        tf().compat.v1.placeholder(tf().float32, [None], name="x")
    tf().io.write_graph(g.as_graph_def(), str(tmp_path), "m.pb", as_text=False)
    with pytest.raises(SignatureNotFoundError, match="pass inputs= and outputs="):
        default_io(explorer.load(tmp_path / "m.pb"))


def test_confident_choice_on_training_graphs(training_graphs):
    from explorer.inspection.suggestions import confident_io

    gan = confident_io(explorer.load(training_graphs["gan"]))
    assert gan.outputs == ["generator/Tanh:0"] and gan.inputs == ["noise:0"]
    assert any("loss" in why for why in gan.left_out)  # the losses are left out, and why
    tfdata = confident_io(explorer.load(training_graphs["tfdata"]))
    assert tfdata.outputs == ["probabilities:0"]
    assert sorted(tfdata.inputs) == ["IteratorGetNext:0", "IteratorGetNext:2"]
    assert tfdata.keys == {"IteratorGetNext:0": "age", "IteratorGetNext:2": "pixels"}


def test_two_heads_are_both_chosen(tmp_path):
    """Several ends of the graph are the model's heads, not a tie: run and migrate take both."""
    from explorer.inspection.suggestions import confident_io

    model = explorer.load(two_heads(tmp_path))
    assert sorted(confident_io(model).outputs) == ["left_head:0", "right_head:0"]
    assert default_io(model) == (["x:0"], confident_io(model).outputs)
