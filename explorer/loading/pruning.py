"""Prune a model to what chosen outputs need (:func:`prune_for`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from explorer.graph.index import graph_index, init_ops, ops_that_run
from explorer.graph.names import op_name, tensor_name
from explorer.graph.op_families import INPUT_OPS, PLACEHOLDER_OPS, VARIABLE_OPS
from explorer.loading.checkpoints import VARIABLE_COLLECTIONS, variable_defs
from explorer.loading.model import V1Model, meta_graph_with
from explorer.loading.validation import drop_dangling

if TYPE_CHECKING:
    from tensorflow.core.framework.node_def_pb2 import NodeDef
    from tensorflow.core.protobuf.meta_graph_pb2 import MetaGraphDef, SignatureDef

_ASSIGN_TYPES = frozenset({"Assign", "AssignVariableOp"})


def prune_for(model: V1Model, groups: Iterable[tuple[Iterable[str], Iterable[str]]]) -> V1Model:
    """A copy of ``model`` holding only what each group of (fetches, feeds) needs with its feeds
    fed (one group per signature)."""
    gd = model.graph_def
    nodes = graph_index(gd).nodes
    keep: set[str] = set()
    feeds: list[str] = []
    for group_fetches, group_feeds in groups:
        fed = [tensor_name(f) for f in group_feeds]
        keep |= ops_that_run(gd, list(group_fetches), fed).ops
        feeds += [f for f in fed if f not in feeds]
    fed_inputs = [
        op_name(f) for f in feeds if op_name(f) in nodes and nodes[op_name(f)].op in INPUT_OPS
    ]
    keep |= ops_that_run(gd, fed_inputs).ops  # fed placeholders stay the inputs
    kept_vars = {n for n in keep if nodes[n].op in VARIABLE_OPS}
    keep |= _restore_ops(model, nodes, kept_vars)
    keep |= ops_that_run(gd, init_ops(model)).ops
    keep |= ops_that_run(gd, _variable_ops(model.meta_graph, keep)).ops  # initializer, snapshot
    cut = _cut_feeds(nodes, keep, feeds)
    if len(keep) == len(nodes) and not cut:
        return model
    new_gd = type(gd)()
    new_gd.versions.CopyFrom(gd.versions)
    new_gd.library.CopyFrom(gd.library)
    for node in gd.node:
        if node.name in cut:
            for new in cut[node.name]:
                new_gd.node.add().CopyFrom(new)
            continue
        if node.name not in keep:
            continue
        out = new_gd.node.add()
        out.CopyFrom(node)
        del out.input[:]
        out.input.extend(
            i
            for i in node.input
            if not i.startswith("^") or op_name(i) in keep or op_name(i) in cut
        )
    names = keep | set(cut)
    if (mg := meta_graph_with(model.meta_graph, new_gd)) is not None:
        drop_dangling(mg, names, values=True)
        for key in [k for k, sig in mg.signature_def.items() if not _sig_ok(sig, names)]:
            del mg.signature_def[key]
    return dataclasses.replace(model, graph_def=new_gd, meta_graph=mg, _signatures=None)


def _variable_ops(meta_graph: MetaGraphDef | None, keep: set[str]) -> list[str]:
    """The initializer, snapshot and initial value of each kept variable (importing needs them)."""
    out = []
    for key in (*VARIABLE_COLLECTIONS, "global_step"):
        for vd in variable_defs(meta_graph, key):
            if op_name(vd.variable_name) in keep:
                names = (vd.initializer_name, vd.snapshot_name, vd.initial_value_name)
                out.extend(n for n in names if n)
    return out


def _restore_ops(model: V1Model, nodes: dict[str, NodeDef], kept_vars: set[str]) -> set[str]:
    """The restore op's upstream, without the variables not kept and their assigns (slots)."""
    restore = model.restore_op
    if not restore or op_name(restore) not in nodes:
        return set()
    dropped = {
        n.name
        for n in nodes.values()
        if (n.op in VARIABLE_OPS and n.name not in kept_vars)
        or (n.op in _ASSIGN_TYPES and n.input and op_name(n.input[0]) not in kept_vars)
    }
    return graph_index(model.graph_def).upstream([restore], excluded=dropped) & nodes.keys()


def _cut_feeds(
    nodes: dict[str, NodeDef], keep: set[str], feeds: list[str]
) -> dict[str, list[NodeDef]]:
    """Fed tensors of ops that will not run: op name -> placeholders standing in for it."""
    from tensorflow.core.framework import node_def_pb2

    by_op: dict[str, set[int]] = {}
    for f in feeds:
        op, _, idx = f.rpartition(":")
        if op in nodes and op not in keep and nodes[op].op not in PLACEHOLDER_OPS:
            by_op.setdefault(op, set()).add(int(idx))
    out: dict[str, list[Any]] = {}
    for op, used in by_op.items():
        dtypes, shapes = _output_specs(nodes[op])
        count = max(used) + 1
        if len(dtypes) < count:
            continue  # unknown output types: leave it to the importer to complain
        new = []
        for k in range(count):
            ph = node_def_pb2.NodeDef(name=f"{op}/explorer_feed_{k}", op="Placeholder")
            ph.attr["dtype"].type = dtypes[k]
            if k < len(shapes):
                ph.attr["shape"].shape.CopyFrom(shapes[k])
            new.append(ph)
        ident = node_def_pb2.NodeDef(name=op, op="IdentityN")
        ident.input.extend(p.name for p in new)
        ident.attr["T"].list.type.extend(dtypes[:count])
        new.append(ident)
        out[op] = new
    return out


def _output_specs(node: NodeDef) -> tuple[list[int], list[Any]]:
    """(dtype enums, TensorShapeProtos) of a node's outputs, from its attributes."""
    attr = node.attr
    fallback = list(attr["_output_shapes"].list.shape) if "_output_shapes" in attr else []
    keys = (("output_types", "output_shapes"), ("component_types", ""), ("Tout", ""))
    for types_key, shapes_key in keys:  # IteratorGetNext, QueueDequeue*, functions
        if types_key in attr:
            shapes = list(attr[shapes_key].list.shape) if shapes_key in attr else fallback
            return list(attr[types_key].list.type), shapes
    if "T" in attr and attr["T"].HasField("type"):
        return [attr["T"].type], fallback
    return ([attr["dtype"].type], []) if "dtype" in attr else ([], [])


def _sig_ok(sig: SignatureDef, names: set[str]) -> bool:
    for info in (*sig.inputs.values(), *sig.outputs.values()):
        c = info.coo_sparse
        parts = (info.name, c.indices_tensor_name, c.values_tensor_name, c.dense_shape_tensor_name)
        if any(p and op_name(p) not in names for p in parts):
            return False
    return True
