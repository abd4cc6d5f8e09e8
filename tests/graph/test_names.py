"""The shared name and text helpers: one spelling of tensor names, op names, shapes and dtypes."""

from __future__ import annotations

import pytest

from explorer.graph.names import UNKNOWN_RANK, dtype_name, op_name, shape_text, tensor_name


@pytest.mark.parametrize(
    ("given", "want"),
    [("a", "a:0"), ("a:1", "a:1"), ("^a", "a:0"), ("scope/b:12", "scope/b:12"), ("x:y", "x:y:0")],
)
def test_tensor_name_is_canonical(given, want):
    assert tensor_name(given) == want


@pytest.mark.parametrize(("given", "want"), [("a", "a"), ("a:1", "a"), ("^s/a", "s/a")])
def test_op_name_of_tensors_and_control_inputs(given, want):
    assert op_name(given) == want


def test_shape_text_has_one_spelling_of_unknown():
    assert shape_text((None, 4)) == "[?, 4]"
    assert shape_text(()) == "[]"
    assert shape_text([2, None], sep=",") == "[2,?]"
    assert shape_text(None) == UNKNOWN_RANK == "<unknown rank>"


def test_dtype_name_of_enums_refs_and_invalid():
    assert dtype_name(1) == "float32" and dtype_name(7) == "string" and dtype_name(9) == "int64"
    assert dtype_name(101) == "float32_ref"
    assert dtype_name(12345) == "invalid(12345)"


def test_dtype_names_are_tensorflows_own_for_every_enum():
    """The table behind dtype_name (no TensorFlow import) says what tf.dtypes says."""
    from tensorflow.core.framework import types_pb2
    from tensorflow.python.framework import dtypes

    for enum in [v for v in types_pb2.DataType.values() if v]:
        assert dtype_name(enum) == dtypes.as_dtype(enum).name, enum
