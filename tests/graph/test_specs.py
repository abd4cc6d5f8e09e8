"""Typed specs parsed from SignatureDef protobufs: dense, sparse and missing shapes."""

from __future__ import annotations

from explorer.graph.specs import TensorSpec, shape_of, signatures_of, tensor_spec_of


def _info(name="x:0", dtype=1, dims=(-1, 4), unknown=False):
    from tensorflow.core.protobuf import meta_graph_pb2

    info = meta_graph_pb2.TensorInfo(name=name, dtype=dtype)
    if unknown:
        info.tensor_shape.unknown_rank = True
    elif dims is not None:
        for d in dims:
            info.tensor_shape.dim.add(size=d)
    return info


def test_shape_of_known_unknown_dims_and_rank():
    assert shape_of(_info(dims=(-1, 4)).tensor_shape) == (None, 4)
    assert shape_of(_info(unknown=True).tensor_shape) is None
    assert shape_of(_info(dims=()).tensor_shape) == ()


def test_tensor_spec_of_dense_sparse_and_shapeless():
    assert tensor_spec_of(_info()) == TensorSpec("x:0", "float32", (None, 4))
    old = _info(dims=None)  # TF 1.0-era TensorInfo without tensor_shape
    assert tensor_spec_of(old).shape is None
    sparse = _info(name="", dtype=9, dims=(-1, 3))
    sparse.coo_sparse.indices_tensor_name = "i:0"
    sparse.coo_sparse.values_tensor_name = "v:0"
    sparse.coo_sparse.dense_shape_tensor_name = "d:0"
    spec = tensor_spec_of(sparse)
    assert (spec.name, spec.kind, spec.components) == ("v:0", "sparse", ("i:0", "v:0", "d:0"))
    assert spec.dtype == "int64"


def test_signatures_of_a_meta_graph():
    from tensorflow.core.protobuf import meta_graph_pb2

    mg = meta_graph_pb2.MetaGraphDef()
    sig = mg.signature_def["serving_default"]
    sig.method_name = "tensorflow/serving/predict"
    sig.inputs["x"].CopyFrom(_info())
    sig.outputs["y"].CopyFrom(_info(name="y:0", dims=(-1, 1)))
    ((name, s),) = signatures_of(mg).items()
    assert name == "serving_default" and s.method == "tensorflow/serving/predict"
    assert s.inputs["x"].shape == (None, 4) and s.outputs["y"].name == "y:0"
    assert s.to_json()["inputs"]["x"]["dtype"] == "float32"
