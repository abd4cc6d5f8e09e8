"""Cheap structural checks of a parsed GraphDef before any import (``ModelFormatError``), and
repairs of what plain TF tolerates in an intact export but explorer would stop at."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from google.protobuf.message import DecodeError

from explorer.errors import ModelFormatError, plain
from explorer.graph import protos
from explorer.graph.index import function_calls
from explorer.graph.names import DTYPE_SIZES, dtype_name, op_name
from explorer.graph.op_families import INPUT_OPS
from explorer.loading.checkpoints import VARIABLE_COLLECTIONS

if TYPE_CHECKING:
    from tensorflow.core.framework.graph_pb2 import GraphDef
    from tensorflow.core.framework.node_def_pb2 import NodeDef
    from tensorflow.core.protobuf.meta_graph_pb2 import MetaGraphDef

    from explorer.loading.model import V1Model


def check_graph(gd: GraphDef, path: Path) -> None:
    """Raise ``ModelFormatError`` naming ``path`` and the node when the GraphDef is malformed."""
    if not gd.node and not gd.library.function:
        raise ModelFormatError(f"{path} holds an empty graph (no nodes): re-export the model")
    if any(not n.name or not n.op for n in gd.node):
        raise ModelFormatError(
            f"{path} has a node without a name or op type: the file is corrupt; re-export it"
        )
    names = {n.name for n in gd.node}
    for n in gd.node:
        for inp in n.input:
            if op_name(inp) not in names:
                raise ModelFormatError(
                    f"{path}: node {n.name!r} reads {inp!r}, which is not in the graph: the file "
                    "is incomplete; re-export it or freeze it again"
                )
        _check_shapes(n, path)


MAX_ELEMENTS = 2**63 - 1  # TensorFlow's own limit on the number of entries of a tensor
_VAL_TYPES = "float double int int64 bool half string uint32 uint64 scomplex dcomplex"
_VAL_FIELDS = tuple(f"{t}_val" for t in _VAL_TYPES.split())


def _check_shapes(n: NodeDef, path: Path) -> None:
    """No dimension below -1 nor over 2**63-1 entries, and a Const's values fit its shape."""
    for key in ("shape", "_output_shapes", "output_shapes"):
        if key not in n.attr:
            continue
        a = n.attr[key]
        protos = [a.shape] if a.HasField("shape") else list(a.list.shape)
        for sp in protos:
            _check_dims([d.size for d in sp.dim], n, key, path, known=False)
    if n.op == "Const" and "value" in n.attr and n.attr["value"].HasField("tensor"):
        t = n.attr["value"].tensor
        dims = [d.size for d in t.tensor_shape.dim]
        count = _check_dims(dims, n, "value", path, known=True)
        size = DTYPE_SIZES.get(t.dtype)
        if t.tensor_content and size and len(t.tensor_content) != count * size:
            raise ModelFormatError(
                f"{path}: Const {n.name!r} has {len(t.tensor_content)} bytes of data but its shape "
                f"{dims} needs {count * size}: the file is corrupt; re-export it"
            )
        given = max((len(getattr(t, f)) for f in _VAL_FIELDS), default=0)
        if t.dtype in (8, 18):  # complex values come in (re, im) pairs
            given //= 2
        if given > count:
            raise ModelFormatError(
                f"{path}: Const {n.name!r} holds {given} values but its shape {dims} has room "
                f"for {count}: the file is corrupt; re-export it"
            )


def _check_dims(dims: list[int], n: NodeDef, key: str, path: Path, known: bool) -> int:
    lowest = 0 if known else -1
    count, bound = 1, 1
    for d in dims:
        if d < lowest:
            raise ModelFormatError(
                f"{path}: node {n.name!r} has shape {dims} in {key!r} with a dimension below "
                f"{lowest}: the file is corrupt; re-export it"
            )
        count *= max(d, 0)
        bound *= max(d, 1)
        if bound > MAX_ELEMENTS:
            raise ModelFormatError(
                f"{path}: node {n.name!r} has shape {dims} in {key!r}, more than 2**63-1 "
                "entries: the file is corrupt; re-export it"
            )
    return count


def recursive_functions(graph_def: GraphDef) -> list[str]:
    """The first cycle of library functions calling each other (``[]`` when there is none)."""
    if not (functions := {f.signature.name: f for f in graph_def.library.function}):
        return []
    calls = {
        name: [c for n in f.node_def for c in function_calls(n, functions, strings=False)]
        for name, f in functions.items()
    }
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    for start in sorted(functions):
        if state.get(start):
            continue
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(calls[start]))]
        path = [start]
        state[start] = 1
        while stack:
            name, it = stack[-1]
            if (nxt := next(it, None)) is None:
                state[name] = 2
                stack.pop()
                path.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt) :]
            elif not state.get(nxt):
                state[nxt] = 1
                stack.append((nxt, iter(calls[nxt])))
                path.append(nxt)
    return []


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
