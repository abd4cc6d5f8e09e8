"""Loading repairs what plain TF tolerates, with a note: collections naming Python-side objects
(TFLearn's ``trainops``) and a signature TensorInfo whose dtype contradicts its placeholder."""

from __future__ import annotations

import json

import numpy as np
import pytest

import explorer
from explorer.cli import main
from tests.model_builders.load_repairs import (
    PICKLED,
    meta_with_python_collections,
    string_input_saved_model,
)


def test_python_object_collections_are_dropped_with_a_note(tmp_path):
    meta = meta_with_python_collections(tmp_path)
    model = explorer.load(meta)
    notes = " ".join(model.notes)
    assert "trainops" in notes and "TrainOp_Adam" in notes
    assert "queue_runners" in notes
    assert list(model.meta_graph.collection_def["trainops"].node_list.value) == ["y"]
    assert "queue_runners" not in model.meta_graph.collection_def
    assert model.meta_graph.collection_def["tflearn_config"].bytes_list.value == [PICKLED]
    assert model.summary()["notes"] == model.notes
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    with explorer.V1Runner(model, inputs=["x:0"], outputs=["y:0"]) as r:
        np.testing.assert_allclose(r.infer({"x:0": x})["y:0"], 2 * x)
    v2 = explorer.convert(model, inputs=["x:0"], outputs=["y:0"])
    np.testing.assert_allclose(v2(x=x)["y"].numpy(), 2 * x)


def test_signature_dtype_gives_way_to_the_placeholder(tmp_path):
    model = explorer.load(string_input_saved_model(tmp_path))
    assert model.signature().inputs["examples"].dtype == "string"
    assert any("float32" in n and "string" in n and "examples" in n for n in model.notes)


@pytest.mark.parametrize("verb", ["run", "migrate", "inspect"])
def test_wrong_tensorinfo_dtype_cli(tmp_path, verb, capfd):
    """The CLI in this process (its TensorFlow and import-isolation worker serve every verb)."""
    path = string_input_saved_model(tmp_path)
    args = [str(path)] + ([str(tmp_path / "out")] if verb == "migrate" else [])
    capfd.readouterr()
    code = main(["-q", verb, *args, "--json"])
    out, err = capfd.readouterr()
    assert code == 0, err + out
    shown = out if verb == "inspect" else err  # inspect --json holds the notes
    assert "placeholder is string" in shown and "float32" in shown
    if verb == "migrate":
        assert json.loads(out)["passed"] is True
