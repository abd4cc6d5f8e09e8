"""Where an input pipeline hands a model its batches (:func:`pipeline_inputs`) and the
``tf.Example`` feature each output carries, read from the protobufs (nothing imported or run)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from explorer.graph.index import GraphIndex, graph_index
from explorer.graph.names import data_inputs, op_name
from explorer.graph.op_families import (
    MAP_DATASET_OPS,
    PARSE_EXAMPLE_OPS,
    PIPELINE_OUTPUT_OPS,
    PIPELINE_PASS_OPS,
)

if TYPE_CHECKING:
    from tensorflow.core.framework.graph_pb2 import GraphDef
    from tensorflow.core.framework.node_def_pb2 import NodeDef


@dataclass(frozen=True)
class PipelineInput:
    """One pipeline output the model reads, its ``tf.Example`` ``feature`` and ``parse_op``."""

    tensor: str
    op_type: str
    feature: str | None = None
    parse_op: str | None = None


def pipeline_inputs(graph_def: GraphDef) -> list[PipelineInput]:
    """Every consumed output of every pipeline op, in graph order."""
    index = graph_index(graph_def)
    out = []
    for node in graph_def.node:
        if node.op not in PIPELINE_OUTPUT_OPS:
            continue
        find = _queue_feature if node.op.startswith("QueueDequeue") else _iterator_feature
        ins = [i for c in index.op_consumers.get(node.name, []) for i in data_inputs(c)]
        for k in sorted({int(i.partition(":")[2]) for i in ins if op_name(i) == node.name}):
            try:
                feature, parse = find(index, node, k)
            except (IndexError, KeyError, ValueError):
                feature, parse = None, None
            out.append(PipelineInput(f"{node.name}:{k}", node.op, feature, parse))
    return out


def _queue_feature(index: GraphIndex, node: NodeDef, k: int) -> tuple[str | None, str | None]:
    queue = op_name(node.input[0])
    for c in index.op_consumers.get(queue, []):
        if c.op.startswith("QueueEnqueue") and len(c.input) > k + 1:
            return _parsed_key(index.nodes, c.input[k + 1], None)
    return None, None


def _iterator_feature(index: GraphIndex, node: NodeDef, k: int) -> tuple[str | None, str | None]:
    iterator = index.nodes[op_name(node.input[0])]
    for scope_nodes, dataset in _datasets_of(index, iterator):
        if (mapped := _map_of(scope_nodes, dataset)) is not None:
            f = index.functions[mapped.attr["f"].func.name]
            ret = f.ret[f.signature.output_arg[k].name]
            return _parsed_key(index.function_nodes(f.signature.name), ret, f.signature.name)
    return None, None


def _datasets_of(index: GraphIndex, iterator: Any) -> Iterator[tuple[dict[str, Any], Any]]:
    if "dataset_factory" in iterator.attr:  # OneShotIterator: the dataset is built in a fn
        f = index.functions[iterator.attr["dataset_factory"].func.name]
        body = index.function_nodes(f.signature.name)
        ret = f.ret[f.signature.output_arg[0].name]
        yield body, body[op_name(ret)]
    for c in index.op_consumers.get(iterator.name, []):
        if c.op in ("MakeIterator", "MakeIteratorV2"):
            yield index.nodes, index.nodes[op_name(c.input[0])]


def _map_of(nodes: dict[str, Any], dataset: Any) -> Any:
    """The closest ``map`` dataset on the chain from ``dataset`` back to its sources."""
    for _ in range(50):
        if dataset is None or (dataset.op in MAP_DATASET_OPS and "f" in dataset.attr):
            return dataset
        dataset = nodes.get(op_name(dataset.input[0])) if dataset.input else None
    return None


def _parsed_key(nodes: dict[str, Any], ref: str, fn: str | None) -> tuple[str | None, str | None]:
    for _ in range(12):
        if (node := nodes.get(op_name(ref))) is None:
            return None, None
        if node.op in PARSE_EXAMPLE_OPS:
            key = _key_of_output(nodes, node, ref)
            where = f"{fn}::{node.name}" if fn else node.name
            return (key, where) if key else (None, None)
        if node.op not in PIPELINE_PASS_OPS or not node.input:
            return None, None
        ref = node.input[0]
    return None, None


def _key_of_output(nodes: dict[str, Any], node: NodeDef, ref: str) -> str | None:
    """The feature key of a parse op's output ``ref`` (``op:3``, or ``op:dense_values:1``)."""
    parts = ref.split(":")
    ns = int(node.attr["num_sparse"].i if "num_sparse" in node.attr else node.attr["Nsparse"].i)
    sparse, dense, _ = keys_in(nodes, node)
    if len(parts) == 3:  # function body: arg name (sparse_values, dense_values, ...) and index
        keys = dense if parts[1] == "dense_values" else sparse if "sparse_" in parts[1] else []
        j = int(parts[2])
    else:  # sparse indices, values and shapes (ns each), then the dense values
        i = int(parts[1]) if len(parts) == 2 else 0
        keys, j = (sparse, i % ns) if i < 3 * ns else (dense, i - 3 * ns)
    return keys[j] if j < len(keys) else None


def example_keys(
    node: NodeDef, const: Callable[[str], Any]
) -> tuple[list[str], list[str], list[str]]:
    """(sparse, dense, ragged) feature keys of a parse op; ``const(input)``: a key's constant."""

    def strings(ref: str) -> list[str]:
        v = const(ref)
        flat = [] if v is None else v.reshape(-1).tolist() if hasattr(v, "reshape") else list(v)
        return [k.decode() if isinstance(k, bytes) else str(k) for k in flat]

    if node.op == "ParseSingleExample":  # keys are attributes
        sparse, dense = (
            [k.decode() for k in node.attr[a].list.s] if a in node.attr else []
            for a in ("sparse_keys", "dense_keys")
        )
        return sparse, dense, []
    if node.op == "ParseExampleV2":
        return strings(node.input[2]), strings(node.input[3]), strings(node.input[4])
    ns, nd = (int(node.attr[a].i) if a in node.attr else 0 for a in ("Nsparse", "Ndense"))
    keys = [(strings(node.input[2 + i]) or [""])[0] for i in range(ns + nd)]  # one Const each
    return keys[:ns], keys[ns:], []


def keys_in(nodes: dict[str, NodeDef], node: NodeDef) -> tuple[list[str], list[str], list[str]]:
    """:func:`example_keys` of a parse op among ``nodes`` (a graph's or a function body's)."""

    def strings(ref: str) -> list[str]:  # a Const's strings, read through Identity ops
        const = nodes.get(op_name(ref))
        while const is not None and const.op == "Identity" and const.input:
            const = nodes.get(op_name(const.input[0]))
        if const is None or const.op != "Const" or "value" not in const.attr:
            return []
        return [s.decode() for s in const.attr["value"].tensor.string_val]

    return example_keys(node, strings)
