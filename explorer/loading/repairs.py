"""What plain TF tolerates in an intact export but explorer would stop at, repaired."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from google.protobuf.message import DecodeError

from explorer.errors import plain
from explorer.graph import protos
from explorer.graph.names import dtype_name, op_name
from explorer.graph.op_families import INPUT_OPS
from explorer.loading.checkpoints import VARIABLE_COLLECTIONS

if TYPE_CHECKING:
    from tensorflow.core.protobuf.meta_graph_pb2 import MetaGraphDef

    from explorer.loading.model import V1Model

# Collections TF parses as protos on import (``ops.register_proto_function``): key -> message.
_PROTO_COLLECTIONS = {
    **{k: ("variable_pb2", "VariableDef") for k in (*VARIABLE_COLLECTIONS, "global_step")},
    "cond_context": ("control_flow_pb2", "CondContextDef"),
    "while_context": ("control_flow_pb2", "WhileContextDef"),
    "savers": ("saver_pb2", "SaverDef"),
    "queue_runners": ("queue_runner_pb2", "QueueRunnerDef"),
}


def repair(model: V1Model) -> None:
    """Fix in memory, with a note each: collection entries naming no node are dropped; a
    signature input's dtype contradicting its placeholder's (a TF 1.0 export) takes the graph's."""
    if (mg := model.meta_graph) is None:
        return
    nodes = {n.name: n for n in model.graph_def.node}
    for key, bad in drop_dangling(mg, nodes).items():
        col = mg.collection_def[key]
        if not getattr(col, col.WhichOneof("kind")).value:
            del mg.collection_def[key]
        shown = ", ".join(plain(v) if isinstance(v, str) else f"{len(v)} bytes" for v in bad[:3])
        model.notes.append(
            f"collection {plain(key)!r}: dropped {len(bad)} entries naming no node of the graph "
            f"({shown}): objects of the Python library that wrote it, which TF cannot import"
        )
    for sig_name, sig in sorted(mg.signature_def.items()):
        for key, info in sorted(sig.inputs.items()):
            node = nodes.get(op_name(info.name)) if info.name else None
            if node is None or node.op not in INPUT_OPS or "dtype" not in node.attr:
                continue
            want = node.attr["dtype"].type
            if info.dtype not in (want, want + 100):  # DT_*_REF = DT_* + 100
                model.notes.append(
                    f"signature {plain(sig_name)!r} input {plain(key)!r} ({plain(info.name)}): "
                    f"its TensorInfo says {dtype_name(info.dtype)} but the graph's placeholder is "
                    f"{dtype_name(want)}: the placeholder's dtype is used"
                )
                info.dtype = want


def drop_dangling(
    mg: MetaGraphDef, present: Collection[str], values: bool = False
) -> dict[str, list[Any]]:
    """Drop the collection entries naming an op not in ``present`` (with ``values``, a
    control-flow context's values too); key -> the dropped."""
    dropped = {}
    for key in sorted(mg.collection_def):
        col = mg.collection_def[key]
        kind = col.WhichOneof("kind")
        if kind == "node_list":
            bad = [v for v in col.node_list.value if op_name(v) not in present]
        elif kind == "bytes_list" and key in _PROTO_COLLECTIONS:
            bad = [v for v in col.bytes_list.value if not _names_present(key, v, present, values)]
        else:
            continue
        if bad:
            entries = getattr(col, kind).value
            keep = [v for v in entries if v not in bad]
            del entries[:]
            entries.extend(keep)
            dropped[key] = bad
    return dropped


def _names_present(key: str, raw: bytes, present: Collection[str], values: bool) -> bool:
    """Whether ``raw`` parses and the ops its ``*_name(s)`` fields name are present."""
    module, cls = _PROTO_COLLECTIONS[key]
    msg = getattr(getattr(protos, module), cls)()
    try:
        msg.ParseFromString(raw)
    except DecodeError:
        return False
    names = [
        v
        for fd, value in msg.ListFields()
        if fd.name.endswith(("_name", "_names")) and fd.name != "context_name"
        for v in ([value] if isinstance(value, str) else value)
    ]
    context = getattr(msg, "values_def", None)
    names += context.values if values and context is not None else []
    return bool(names) and all(op_name(v) in present for v in names)
