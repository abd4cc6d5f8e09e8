"""Memory bombs: ops that would allocate a tensor larger than this process should ever hold.

A ``Fill``, ``BroadcastTo``, ``Empty`` or random op with a constant shape, or a splat ``Const``,
says its size before anything runs; above :func:`max_tensor_bytes` the ``huge-tensor`` rule
reports an error and the gate refuses the model (TensorFlow's constant folding alone spends
minutes on a ``Fill`` of 2**40 floats). Run-time shapes are bounded by ``--max-mb`` instead.
"""

from __future__ import annotations

import math
import os
import struct
from collections.abc import Iterator
from typing import TYPE_CHECKING

from explorer.graph.index import graph_index
from explorer.inspection.findings import Finding, NodeRef, ScanContext, rule

if TYPE_CHECKING:
    from tensorflow.core.framework.node_def_pb2 import NodeDef

# op type -> (index of the shape input, attribute holding the dtype)
SHAPED_OPS: dict[str, tuple[int, str]] = {
    "Fill": (0, "T"),
    "BroadcastTo": (1, "T"),
    "Empty": (0, "dtype"),
    "RandomUniform": (0, "dtype"),
    "RandomStandardNormal": (0, "dtype"),
    "TruncatedNormal": (0, "dtype"),
    "RandomUniformInt": (0, "Tout"),
    "StatelessRandomUniform": (0, "dtype"),
    "StatelessRandomNormal": (0, "dtype"),
    "StatelessTruncatedNormal": (0, "dtype"),
}


def max_tensor_bytes() -> int:
    """The largest tensor a graph may ask for by a constant shape (default 4 GiB)."""
    raw = os.environ.get("TF1_EXPLORER_MAX_TENSOR_MB", "4096")
    try:
        return int(float(raw) * 2**20)
    except ValueError:
        return 4096 * 2**20


# DataType enum -> bytes per entry (tf.dtypes.as_dtype(n).size; 1 for string/resource/variant and
# sub-byte types); a table, so that scan imports no TensorFlow.
_SIZES = {1: 4, 2: 8, 3: 4, 4: 1, 5: 2, 6: 1, 8: 8, 9: 8, 10: 1, 11: 1, 12: 1, 13: 4, 14: 2, 15: 2}
_SIZES.update({16: 2, 17: 2, 18: 16, 19: 2, 22: 4, 23: 8})


def _dtype_size(enum: int) -> int:
    return _SIZES.get(enum - 100 if enum > 100 else enum, 1)


def _const_ints(node: NodeDef) -> list[int] | None:
    if node is None or node.op != "Const" or "value" not in node.attr:
        return None
    t = node.attr["value"].tensor
    count = 1
    for d in t.tensor_shape.dim:
        count *= max(int(d.size), 0)
    if t.tensor_content:  # packed little-endian int32/int64, as TensorFlow writes them
        kind = {3: "<i", 9: "<q"}.get(t.dtype)  # struct, not numpy: the scan stays numpy-free
        if kind is None or len(t.tensor_content) % struct.calcsize(kind):
            return None
        values = [v for (v,) in struct.iter_unpack(kind, t.tensor_content)]
    else:
        values = [int(v) for v in (t.int_val if t.dtype == 3 else t.int64_val)]
        if t.dtype not in (3, 9):
            return None
    if values and len(values) < count:  # a splat: the last value fills the rest
        values += [values[-1]] * (count - len(values))
    return values if len(values) == count else None


def _size(n: int) -> str:
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


@rule(*SHAPED_OPS, "Const", name="huge-tensor", unsafe=True)
def _huge_tensors(ctx: ScanContext, refs: list[NodeRef]) -> Iterator[Finding]:
    limit = max_tensor_bytes()
    top = graph_index(ctx.graph_def).nodes
    for ref in refs:
        node = ref.node
        if node.op == "Const":
            t = node.attr["value"].tensor if "value" in node.attr else None
            if t is None or t.tensor_content or not t.tensor_shape.dim:
                continue  # real data: validation checks it against its shape
            shape = [d.size for d in t.tensor_shape.dim]
            dtype = t.dtype
        else:
            index, attr = SHAPED_OPS[node.op]
            ins = [i for i in node.input if not i.startswith("^")]
            if index >= len(ins) or ref.function is not None:
                continue
            shape = _const_ints(top.get(ins[index].partition(":")[0]))
            dtype = node.attr[attr].type if attr in node.attr else 1
        if not shape or any(d < 0 for d in shape):
            continue
        nbytes = math.prod(shape) * _dtype_size(dtype)
        if nbytes > limit:
            yield Finding(
                "huge-tensor",
                "error",
                (ref.name,),
                f"allocate {_size(nbytes)} in {node.op} {ref.name!r} (shape {shape}), over the "
                f"{_size(limit)} limit: running it would exhaust memory; the file is corrupt or "
                "hostile (raise TF1_EXPLORER_MAX_TENSOR_MB if the tensor is meant to be that big)",
                unsafe=True,
            )
