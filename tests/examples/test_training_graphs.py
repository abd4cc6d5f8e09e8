"""The training-graph fixtures: checkpoints with no export, as training scripts save them."""

from __future__ import annotations

import pytest

import explorer
from tests.model_builders.training_graphs import NAMES, build_training_graphs


def test_every_training_graph_is_a_checkpoint_with_reference_variables(training_graphs):
    assert set(training_graphs) == set(NAMES)
    for name, folder in training_graphs.items():
        assert (folder / "checkpoint").is_file() and list(folder.glob("model.ckpt-*.meta")), name
        model = explorer.load(folder)
        assert model.format == "checkpoint" and not model.signatures
        assert all(v.kind == "ref" for v in model.variables), name


def test_pipelines_read_tfrecords_and_unknown_names_are_refused(training_graphs, tmp_path):
    for name in ("tfdata", "queue"):
        assert list((training_graphs[name] / "data").glob("*.tfrecord"))
        ops = explorer.load(training_graphs[name]).op_types()
        assert ("IteratorGetNext" in ops) == (name == "tfdata")
        assert ("QueueDequeueManyV2" in ops) == (name == "queue")
    with pytest.raises(ValueError, match="unknown training graphs"):
        build_training_graphs(tmp_path, ["nope"])
