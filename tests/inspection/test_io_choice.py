"""The default tensors to run: a model without signatures runs its top output and what it needs."""

from __future__ import annotations

import pytest

import explorer
from explorer.errors import SignatureNotFoundError
from explorer.inspection.io_choice import default_io


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
