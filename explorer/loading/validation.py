"""Cheap structural checks of a parsed GraphDef before any import (``ModelFormatError``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from explorer.errors import ModelFormatError
from explorer.graph.index import function_calls
from explorer.graph.names import DTYPE_SIZES

if TYPE_CHECKING:
    from tensorflow.core.framework.graph_pb2 import GraphDef
    from tensorflow.core.framework.node_def_pb2 import NodeDef


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
            src = inp.lstrip("^").split(":")[0]
            if src not in names:
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
