"""Exports plain TF tolerates and explorer repairs at load (``explorer/loading/validation.py``)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from explorer.graph import protos

PICKLED = pickle.dumps({"optimizer": "adam", "lr": 0.01}, protocol=4)


def meta_with_python_collections(folder: Path) -> Path:
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


def string_input_saved_model(folder: Path) -> Path:
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
