"""Op replacements: graphs with op types TF 2.21 does not register load, run and convert."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import explorer
from explorer.examples.models import mlp_reference
from explorer.loading.replacements import BUILTIN_REPLACEMENTS, attr_values, replacements_for

X = np.array([[-1.5, 0.5, 2.0, 3.0]], np.float32)


def _graph_def(nodes):
    """A GraphDef from (name, op, inputs, attrs) rows; attrs are AttrValue keyword dicts."""
    from tensorflow.core.framework import attr_value_pb2, graph_pb2

    gd = graph_pb2.GraphDef()
    gd.versions.producer = 1800
    for name, op, inputs, attrs in nodes:
        n = gd.node.add(name=name, op=op)
        n.input.extend(inputs)
        for k, v in attrs.items():
            n.attr[k].CopyFrom(v if isinstance(v, attr_value_pb2.AttrValue) else _attr(v))
    return gd


def _attr(v):
    import tensorflow as tf
    from tensorflow.core.framework import attr_value_pb2

    if isinstance(v, tf.DType):
        return attr_value_pb2.AttrValue(type=v.as_datatype_enum)
    if isinstance(v, tf.TensorShape):
        return attr_value_pb2.AttrValue(shape=v.as_proto())
    if isinstance(v, np.ndarray):
        return attr_value_pb2.AttrValue(tensor=tf.make_tensor_proto(v))
    if isinstance(v, bool):
        return attr_value_pb2.AttrValue(b=v)
    if isinstance(v, int):
        return attr_value_pb2.AttrValue(i=v)
    if isinstance(v, float):
        return attr_value_pb2.AttrValue(f=v)
    return attr_value_pb2.AttrValue(s=v.encode())


def _placeholder(name, dtype, shape):
    import tensorflow as tf

    return (name, "Placeholder", [], {"dtype": dtype, "shape": tf.TensorShape(shape)})


def _write(tmp_path, gd, name="graph.pb"):
    path = tmp_path / name
    path.write_bytes(gd.SerializeToString())
    return path


def my_square(inputs, attrs):
    return inputs[0] ** attrs["power"]


@pytest.fixture(scope="module")
def square_pb(tmp_path_factory):
    """x -> MySquare -> AddV2(+1) -> MySquare -> y (two custom nodes, one after the other)."""
    import tensorflow as tf

    f32 = tf.float32
    gd = _graph_def(
        [
            _placeholder("x", f32, [None]),
            ("sq", "MySquare", ["x"], {"T": f32, "power": 2}),
            ("one", "Const", [], {"dtype": f32, "value": np.array(1.0, np.float32)}),
            ("plus", "AddV2", ["sq", "one"], {"T": f32}),
            ("y", "MySquare", ["plus:0"], {"T": f32, "power": 2}),
        ]
    )
    return _write(tmp_path_factory.mktemp("square"), gd)


def _expected(x):
    return (x**2 + 1) ** 2


def test_custom_op_graph_loads_and_is_browsable(square_pb):
    model = explorer.load(square_pb)
    assert model.op_types()["MySquare"] == 2
    assert model.node("y").op == "MySquare"
    sq = explorer.Catalog.from_model(model).op("sq")  # protobufs only: no TF registration needed
    assert sq.type == "MySquare" and list(sq.inputs) == ["x:0"] and list(sq.consumers) == ["plus"]
    with pytest.raises(explorer.errors.UnsupportedOpError, match=r"MySquare.*replacements="):
        explorer.ModelSession(model)


def test_replacement_runs_in_the_v1_session(square_pb):
    model = explorer.load(square_pb, replacements={"MySquare": my_square})
    x = np.array([-2.0, 0.5, 3.0], np.float32)
    with explorer.ModelSession(model) as s:
        y, sq = s.run(["y:0", "sq:0"], {"x:0": x})
        assert s.operation("y").type == "IdentityN"  # the replacement keeps the node's name
    np.testing.assert_array_equal(y, _expected(x))
    np.testing.assert_array_equal(sq, x**2)


def test_replacement_converts_and_saves(square_pb, tmp_path):
    import tensorflow as tf

    model = explorer.load(square_pb, replacements={"MySquare": my_square})
    v2 = explorer.convert(model, inputs=["x:0"], outputs=["y:0"])
    x = np.array([-2.0, 0.5, 3.0], np.float32)
    np.testing.assert_array_equal(v2(x=x)["y"].numpy(), _expected(x))
    out = v2.save(tmp_path / "converted")
    loaded = tf.saved_model.load(str(out))  # only core ops left: loads without explorer
    np.testing.assert_array_equal(loaded.signatures["serving_default"](x=x)["y"], _expected(x))


@pytest.fixture(scope="module")
def mlp_with_custom_relu(mlp_paths, tmp_path_factory):
    """The example MLP checkpoint (.meta, ref variables, Saver) with Relu swapped for MyRelu."""
    from tensorflow.core.protobuf import meta_graph_pb2

    src = mlp_paths["checkpoint_v2"]
    folder = tmp_path_factory.mktemp("custom_relu")
    for f in src.parent.iterdir():
        if f.name.startswith("model.") and f.suffix != ".meta":
            shutil.copy(f, folder / f.name)
    mg = meta_graph_pb2.MetaGraphDef()
    mg.ParseFromString(src.read_bytes())
    for n in mg.graph_def.node:
        if n.op == "Relu":
            n.op = "MyRelu"
    meta = folder / "model.meta"
    meta.write_bytes(mg.SerializeToString())
    return meta


def test_replacement_in_a_checkpoint_graph_with_variables(mlp_with_custom_relu):
    import tensorflow as tf

    calls = []

    def my_relu(inputs, attrs):
        calls.append(attrs["T"])
        return tf.nn.relu(inputs[0])

    model = explorer.load(mlp_with_custom_relu, replacements={"MyRelu": my_relu})
    assert model.op_types()["MyRelu"] == 1
    with explorer.ModelSession(model) as s:  # restored through the graph's own Saver
        y = s.run("probs:0", {"x:0": X})
    np.testing.assert_allclose(y, mlp_reference(X), rtol=1e-6)
    assert calls == [tf.float32]
    v2 = explorer.convert(model, inputs=["x:0"], outputs=["probs:0"])
    np.testing.assert_array_equal(v2(x=X)["probs"].numpy(), y)


def test_replacement_errors(square_pb):
    def broken(inputs, attrs):
        raise RuntimeError("no kernel for you")

    with pytest.raises(
        explorer.errors.SessionError, match=r"MySquare failed at node 'sq'.*no kernel"
    ):
        explorer.ModelSession(explorer.load(square_pb, replacements={"MySquare": broken}))

    def too_few(inputs, attrs):
        return []

    with pytest.raises(explorer.errors.SessionError, match=r"returned 0 output\(s\) at node 'sq'"):
        explorer.ModelSession(explorer.load(square_pb, replacements={"MySquare": too_few}))


def test_replaced_op_inside_a_loop_is_refused(tmp_path):
    import tensorflow as tf

    f32 = tf.float32
    # Enter -> Merge <- NextIteration <- MyStep <- Merge: a cycle through the replaced node.
    gd = _graph_def(
        [
            _placeholder("x", f32, []),
            ("enter", "Enter", ["x"], {"T": f32, "frame_name": "loop"}),
            ("merge", "Merge", ["enter", "next"], {"T": f32, "N": 2}),
            ("step", "MyStep", ["merge"], {"T": f32}),
            ("next", "NextIteration", ["step"], {"T": f32}),
        ]
    )
    model = explorer.load(_write(tmp_path, gd), replacements={"MyStep": my_square})
    with pytest.raises(explorer.errors.UnsupportedOpError, match="inside a tf.while_loop"):
        explorer.ModelSession(model)


def test_attr_values_are_python_values():
    import tensorflow as tf
    from tensorflow.core.framework import attr_value_pb2

    lst = attr_value_pb2.AttrValue(list=attr_value_pb2.AttrValue.ListValue(i=[1, 2]))
    gd = _graph_def(
        [
            (
                "n",
                "Custom",
                [],
                {
                    "T": tf.int64,
                    "shape": tf.TensorShape([None, 3]),
                    "mode": "SAME",
                    "k": 3,
                    "rate": 0.5,
                    "flag": True,
                    "value": np.arange(3, dtype=np.int32),
                    "sizes": lst,
                },
            )
        ]
    )
    got = attr_values(gd.node[0])
    assert got["T"] == tf.int64 and got["shape"].as_list() == [None, 3]
    assert (got["mode"], got["k"], got["rate"], got["flag"]) == ("SAME", 3, 0.5, True)
    np.testing.assert_array_equal(got["value"], [0, 1, 2])
    assert got["sizes"] == [1, 2]


# -- built-in replacements for tf.contrib ops ------------------------------------------------------


@pytest.fixture(scope="module")
def contrib_pb(tmp_path_factory):
    """A graph using tf.contrib's GatherTree and ImageProjectiveTransform (unregistered in 2.21)."""
    import tensorflow as tf

    i32, f32 = tf.int32, tf.float32
    gd = _graph_def(
        [
            _placeholder("step_ids", i32, [None, None, None]),
            _placeholder("parent_ids", i32, [None, None, None]),
            _placeholder("lengths", i32, [None]),
            ("end_token", "Const", [], {"dtype": i32, "value": np.array(10, np.int32)}),
            ("beams", "GatherTree", ["step_ids", "parent_ids", "lengths", "end_token"], {"T": i32}),
            _placeholder("images", f32, [None, None, None, None]),
            _placeholder("transforms", f32, [None, 8]),
            (
                "warped",
                "ImageProjectiveTransform",
                ["images", "transforms"],
                {"dtype": f32, "interpolation": "NEAREST"},
            ),
        ]
    )
    return _write(tmp_path_factory.mktemp("contrib"), gd)


def test_builtin_replacements_are_offered_for_contrib_ops(contrib_pb):
    assert {"GatherTree", "ImageProjectiveTransform"} <= set(BUILTIN_REPLACEMENTS)
    found = replacements_for(explorer.load(contrib_pb))
    assert set(found) == {"GatherTree", "ImageProjectiveTransform"}
    assert found["GatherTree"] is BUILTIN_REPLACEMENTS["GatherTree"]


def test_gather_tree_matches_the_contrib_kernel(contrib_pb):
    # The example of tf.contrib.seq2seq's (and TF Addons') gather_tree test:
    # max_time 4, batch 1, beam 3, max_sequence_length 3, end_token 10.
    step = np.array([[[1, 2, 3], [4, 5, 6], [7, 8, 9], [-1, -1, -1]]], np.int32)
    parents = np.array([[[0, 0, 0], [0, 1, 1], [2, 1, 2], [-1, -1, -1]]], np.int32)
    expected = np.array([[[2, 2, 2], [6, 5, 6], [7, 8, 9], [10, 10, 10]]], np.int32)
    # Second batch entry: an end_token in the middle of beam 0 ends it; length 4 uses every step.
    step2 = np.array([[[1, 2, 3], [10, 5, 6], [7, 8, 9], [4, 4, 4]]], np.int32)
    parents2 = np.array([[[0, 0, 0], [0, 1, 2], [0, 1, 2], [0, 1, 2]]], np.int32)
    expected2 = np.array([[[1, 2, 3], [10, 5, 6], [10, 8, 9], [10, 4, 4]]], np.int32)
    feeds = {
        "step_ids:0": np.concatenate([step, step2]).transpose(1, 0, 2),
        "parent_ids:0": np.concatenate([parents, parents2]).transpose(1, 0, 2),
        "lengths:0": np.array([3, 4], np.int32),
    }
    model = explorer.load(contrib_pb, replacements=replacements_for(explorer.load(contrib_pb)))
    with explorer.ModelSession(model) as s:
        got = s.run("beams:0", feeds)
    np.testing.assert_array_equal(got, np.concatenate([expected, expected2]).transpose(1, 0, 2))


def test_image_projective_transform_matches_the_contrib_contract(contrib_pb):
    images = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4, 1) + 1
    # Row 0: identity. Row 1: output (x, y) reads input (x - 1, y): a shift right, zeros in col 0.
    transforms = np.array([[1, 0, 0, 0, 1, 0, 0, 0], [1, 0, -1, 0, 1, 0, 0, 0]], np.float32)
    model = explorer.load(contrib_pb, replacements=replacements_for(explorer.load(contrib_pb)))
    with explorer.ModelSession(model) as s:
        got = s.run("warped:0", {"images:0": images, "transforms:0": transforms})
    np.testing.assert_array_equal(got[0], images[0])
    np.testing.assert_array_equal(got[1][:, 1:], images[1][:, :-1])
    np.testing.assert_array_equal(got[1][:, 0], 0)
