"""Reading GraphDef protobufs fast: output dtypes from op defs, attribute summaries, dtype names."""

from __future__ import annotations

from explorer.inspection.catalog import Catalog


def test_dtypes_use_attr_defaults():
    """Shape.out_type is left out of NodeDefs at its default (int32): read it from the OpDef."""
    from tensorflow.core.framework import graph_pb2

    gd = graph_pb2.GraphDef()
    x = gd.node.add(name="x", op="Placeholder")
    x.attr["dtype"].type = 1
    s = gd.node.add(name="s", op="Shape", input=["x"])
    s.attr["T"].type = 1
    u = gd.node.add(name="u", op="Unique", input=["x"])
    u.attr["T"].type = 1
    cat = Catalog.from_graph_def(gd)
    assert cat.tensor("s:0").dtype == "int32"
    assert [cat.tensor(t).dtype for t in cat.op("u").outputs] == ["float32", "int32"]
    assert cat.dtypes() == {"float32": 2, "int32": 2}


def test_attr_summaries():
    from tensorflow.core.framework import attr_value_pb2, tensor_pb2

    from explorer.graph.proto_reader import attr_summary

    def av(**kw):
        return attr_value_pb2.AttrValue(**kw)

    assert attr_summary(av(s=b"SAME")) == "SAME"
    assert attr_summary(av(s=b"x" * 80)).endswith("...")
    assert attr_summary(av(s=b"\xff\x00")) == "<2 bytes>"
    assert attr_summary(av(i=3)) == "3" and attr_summary(av(b=True)) == "True"
    assert attr_summary(av(type=1)) == "float32"
    assert attr_summary(av(func={"name": "fn"})) == "fn"
    assert attr_summary(av(placeholder="T")) == "$T"
    assert attr_summary(av(list={"i": [1, 2, 2, 1]})) == "[1, 2, 2, 1]"
    assert attr_summary(av(list={"i": list(range(10))})).endswith("... (10 items)]")
    assert attr_summary(av(list={"s": [b"a", b"b"]})) == "[a, b]"
    assert attr_summary(av(list={"type": [1, 3]})) == "[float32, int32]"
    assert attr_summary(av(list={"shape": [{"dim": [{"size": -1}]}]})) == "[[?]]"
    assert attr_summary(av(list={"func": [{"name": "f"}]})) == "[f]"
    assert attr_summary(av(list={})) == "[]"
    assert attr_summary(av(shape={"unknown_rank": True})) == "<unknown rank>"
    scalar = tensor_pb2.TensorProto(dtype=7, string_val=[b"hello"])
    scalar.tensor_shape.SetInParent()
    assert attr_summary(av(tensor=scalar)) == "string[] = 'hello'"
    packed = tensor_pb2.TensorProto(dtype=3, tensor_content=b"\x05\x00\x00\x00")
    packed.tensor_shape.SetInParent()
    assert attr_summary(av(tensor=packed)) == "int32[] = 5"
    assert attr_summary(av(list={"tensor": [packed]})) == "[int32[] = 5]"
    assert attr_summary(av()) == ""


def test_dtype_edges():
    from tensorflow.core.framework import attr_value_pb2, graph_pb2, tensor_pb2

    from explorer.graph.names import dtype_name as dtype_of_enum
    from explorer.graph.proto_reader import attr_summary, scalar_value

    assert dtype_of_enum(12345) == "invalid(12345)"
    gd = graph_pb2.GraphDef()
    gd.node.add(name="v", op="VariableV2").attr["dtype"].type = 1
    sw = gd.node.add(name="sw", op="RefSwitch", input=["v", "v"])
    sw.attr["T"].type = 1
    cat = Catalog.from_graph_def(gd)
    assert [cat.tensor(t).dtype for t in cat.op("sw").outputs] == ["float32_ref", "float32_ref"]
    assert "nope:0" not in cat
    assert attr_summary(attr_value_pb2.AttrValue(s=b"a\nb")) == "<3 bytes>"
    empty = tensor_pb2.TensorProto(dtype=1)
    assert scalar_value(empty) is None
    broken = tensor_pb2.TensorProto(dtype=3, tensor_content=b"\x01\x02\x03")
    assert scalar_value(broken) is None
