"""Loading repairs what plain TF tolerates, with a note: collections naming Python-side objects
(TFLearn's ``trainops``) and a signature TensorInfo whose dtype contradicts its placeholder."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import explorer
from explorer.graph import protos

PICKLED = pickle.dumps({"optimizer": "adam", "lr": 0.01}, protocol=4)


def _meta_with_python_collections(folder: Path) -> Path:
    """A tf.compat.v1 Saver checkpoint whose MetaGraph holds collections as TFLearn wrote them: a
    node_list naming a Python TrainOp, a registered proto collection of pickled bytes."""
    import tensorflow as tf

    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 3], name="x")
        w = v1.get_variable("w", initializer=np.eye(3, dtype=np.float32))
        tf.identity(tf.matmul(x, w) * 2.0, name="y")
        saver = v1.train.Saver()
        with v1.Session(graph=g) as s:
            s.run(v1.global_variables_initializer())
            saver.save(s, str(folder / "model"))
    meta = folder / "model.meta"
    mg = protos.meta_graph_pb2.MetaGraphDef()
    mg.ParseFromString(meta.read_bytes())
    mg.collection_def["trainops"].node_list.value.extend(["TrainOp_Adam", "y"])
    mg.collection_def["queue_runners"].bytes_list.value.append(PICKLED)
    mg.collection_def["tflearn_config"].bytes_list.value.append(PICKLED)  # unregistered: kept
    meta.write_bytes(mg.SerializeToString())
    return meta


def test_python_object_collections_are_dropped_with_a_note(tmp_path):
    meta = _meta_with_python_collections(tmp_path)
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


def test_scan_names_the_dropped_collection_as_info(tmp_path):
    meta = _meta_with_python_collections(tmp_path)
    findings = explorer.scan(meta)
    hits = [f for f in findings if "collection" in f.message and "trainops" in f.message]
    assert hits and all(f.severity == "info" for f in hits)


def _string_input_saved_model(folder: Path) -> Path:
    """A SavedModelBuilder export whose signature claims float32 for its tf.Example string input
    (as a TF 1.0 export did); the graph's placeholder is a string."""
    import tensorflow as tf

    v1 = tf.compat.v1
    out = folder / "sm"
    g = tf.Graph()
    with g.as_default():
        serialized = v1.placeholder(tf.string, [None], name="input_example_tensor")
        feats = v1.parse_example(serialized, {"x": v1.FixedLenFeature([3], tf.float32)})
        w = v1.get_variable("w", initializer=np.full((3, 2), 0.5, np.float32))
        y = tf.identity(tf.matmul(feats["x"], w), name="scores")
        info = v1.saved_model.utils.build_tensor_info(serialized)
        info.dtype = tf.float32.as_datatype_enum  # the contradiction
        sig = v1.saved_model.signature_def_utils.build_signature_def(
            {"examples": info},
            {"scores": v1.saved_model.utils.build_tensor_info(y)},
            "tensorflow/serving/predict",
        )
        with v1.Session(graph=g) as s:
            s.run(v1.global_variables_initializer())
            b = v1.saved_model.Builder(str(out))
            b.add_meta_graph_and_variables(s, ["serve"], {"serving_default": sig})
            b.save()
    return out


def test_signature_dtype_gives_way_to_the_placeholder(tmp_path):
    model = explorer.load(_string_input_saved_model(tmp_path))
    assert model.signature().inputs["examples"].dtype == "string"
    assert any("float32" in n and "string" in n and "examples" in n for n in model.notes)


@pytest.mark.parametrize("verb", ["run", "migrate", "inspect"])
def test_wrong_tensorinfo_dtype_cli(tmp_path, verb):
    path = _string_input_saved_model(tmp_path)
    args = [str(path)] + ([str(tmp_path / "out")] if verb == "migrate" else [])
    done = subprocess.run(
        [sys.executable, "-m", "explorer", "-q", verb, *args, "--json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    shown = done.stdout if verb == "inspect" else done.stderr  # inspect --json holds the notes
    assert "placeholder is string" in shown and "float32" in shown
    if verb == "migrate":
        assert json.loads(done.stdout)["passed"] is True
