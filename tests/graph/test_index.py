"""The one graph index: nodes, producers, consumers, functions, walks, built once per GraphDef."""

from __future__ import annotations

from google.protobuf import text_format
from tensorflow.core.framework import graph_pb2

from explorer.graph.index import function_calls, graph_index
from explorer.graph.op_families import IDENTITY_OPS


def _graph_def():
    return text_format.Parse(
        """
        node { name: "x" op: "Placeholder" }
        node { name: "c" op: "Const" }
        node { name: "id" op: "Identity" input: "x" }
        node { name: "add" op: "AddV2" input: "id:0" input: "c" input: "^x" }
        node { name: "call" op: "f" input: "add" }
        node { name: "p" op: "PartitionedCall" input: "add"
               attr { key: "f" value { func { name: "g" } } } }
        library {
          function { signature { name: "f" }
                     node_def { name: "n" op: "Neg" input: "a" } }
          function { signature { name: "g" } }
        }
        """,
        graph_pb2.GraphDef(),
    )


def test_nodes_producers_and_consumers():
    gd = _graph_def()
    index = graph_index(gd)
    assert graph_index(gd) is index  # built once per GraphDef
    assert list(index.nodes) == ["x", "c", "id", "add", "call", "p"]
    assert index.producer("^add").name == index.producer("add:0").name == "add"
    assert index.producer("nowhere:0") is None
    assert [(n.name, pos) for n, pos in index.consumers["x:0"]] == [("id", 0)]
    assert [(n.name, pos) for n, pos in index.consumers["c:0"]] == [("add", 1)]
    assert sorted(n.name for n in index.op_consumers["x"]) == ["add", "id"]  # control edge too
    assert set(index.functions) == {"f", "g"}
    assert [(n.name, pos) for n, pos in index.function_consumers("f")["a"]] == [("n", 0)]


def test_walks():
    index = graph_index(_graph_def())
    assert index.upstream(["add"]) == {"add", "id", "x", "c"}
    assert index.upstream(["add"], fed=["id:0"]) == {"add", "c", "x"}  # control edge to x
    assert index.upstream(["add"], control=False, fed=["id:0"]) == {"add", "c"}
    assert index.upstream(["id:0"], fed=["id:0"]) == set()  # a fed output needs nothing
    order = index.topological_order()
    assert order.index("x") < order.index("id") < order.index("add") < order.index("call")
    readers = [n.name for n, _ in index.readers("x:0", IDENTITY_OPS)]
    assert readers == ["id", "add"]  # through the Identity, one hop on


def test_function_calls_and_edits_rebuild():
    gd = _graph_def()
    index = graph_index(gd)
    assert function_calls(index.nodes["call"], index.functions) == ["f"]
    assert function_calls(index.nodes["p"], index.functions) == ["g"]
    gd.node.add(name="y", op="Identity", input=["add"])
    assert "y" in graph_index(gd).nodes  # an edited GraphDef gets a fresh index
