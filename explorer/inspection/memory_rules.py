"""Memory bombs: the ``huge-tensor`` rule, from constant shapes before anything runs."""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from typing import TYPE_CHECKING

from explorer.graph.index import graph_index
from explorer.graph.names import DTYPE_SIZES, data_inputs
from explorer.graph.runtime import env_number
from explorer.inspection.findings import Finding, NodeRef, ScanContext, rule

if TYPE_CHECKING:
    from tensorflow.core.framework.node_def_pb2 import NodeDef

_SHAPE_AT_0 = (
    "Fill Empty RandomUniform RandomStandardNormal TruncatedNormal RandomUniformInt "
    "StatelessRandomUniform StatelessRandomNormal StatelessTruncatedNormal "
    "StatelessRandomUniformV2 StatelessRandomNormalV2 StatelessTruncatedNormalV2 "
    "StatelessRandomUniformIntV2 RandomGamma RandomPoissonV2"
)
_SHAPE_AT_1 = "BroadcastTo ResizeBilinear ResizeNearestNeighbor ResizeBicubic ResizeArea"
SHAPE_INPUT: dict[str, int] = {
    **dict.fromkeys(_SHAPE_AT_0.split(), 0),
    **dict.fromkeys(_SHAPE_AT_1.split(), 1),
    "ScatterNd": 2,
}
"""Op type -> the input holding its output shape (a resize: its new height and width)."""
SIZED_OPS = frozenset({*SHAPE_INPUT, "Tile", "OneHot", "Range", "Pad", "PadV2", "MirrorPad"})


def max_tensor_bytes() -> int:
    """The largest tensor a constant shape may ask for (default 4 GiB)."""
    return int(env_number("TF1_EXPLORER_MAX_TENSOR_MB", 4096) * 2**20)


def const_ints(node: NodeDef) -> list[int] | None:
    """The values of an int32/int64 ``Const`` node (``None``: not one)."""
    if node is None or node.op != "Const" or "value" not in node.attr:
        return None
    t = node.attr["value"].tensor
    count = math.prod(max(int(d.size), 0) for d in t.tensor_shape.dim)
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


def _shape(node: NodeDef, ins: list[str], nodes: dict[str, NodeDef]) -> list[int] | None:
    """The output shape of ``node`` from its constant inputs (a lower bound), else ``None``."""
    const = [const_ints(nodes.get(i.partition(":")[0])) for i in ins]
    if node.op in SHAPE_INPUT:
        return const[SHAPE_INPUT[node.op]] if len(const) > SHAPE_INPUT[node.op] else None
    if len(const) < 2 or const[1] is None:
        return None
    src = nodes.get(ins[0].partition(":")[0])
    known = src is not None and src.op == "Const" and "value" in src.attr
    base = [d.size for d in src.attr["value"].tensor.tensor_shape.dim] if known else None
    if node.op == "Tile":
        return [b * m for b, m in zip(base or [1] * len(const[1]), const[1], strict=False)]
    if node.op == "OneHot":
        return [*(base or []), *const[1][:1]]
    if node.op == "Range":
        start, stop, step = [(c or [0])[0] for c in [*const, None][:3]]
        return [max(0, math.ceil((stop - start) / step))] if const[0] and step else None
    pads = const[1]  # Pad, PadV2, MirrorPad: [[before, after], ...]
    base = base or [1] * (len(pads) // 2)
    return [b + pads[2 * i] + pads[2 * i + 1] for i, b in enumerate(base[: len(pads) // 2])]


def _dtype(node: NodeDef) -> int:
    return next((node.attr[k].type for k in ("dtype", "Tout", "T", "Tidx") if k in node.attr), 1)


@rule(*SIZED_OPS, "Const", name="huge-tensor", unsafe=True)
def _huge_tensors(ctx: ScanContext, refs: list[NodeRef]) -> Iterator[Finding]:
    limit = max_tensor_bytes()
    index = graph_index(ctx.graph_def)
    for ref in refs:
        node = ref.node
        if node.op == "Const":
            t = node.attr["value"].tensor if "value" in node.attr else None
            if t is None or t.tensor_content or not t.tensor_shape.dim:
                continue  # real data: validation checks it against its shape
            shape = [d.size for d in t.tensor_shape.dim]
        else:
            nodes = (
                index.function_nodes(ref.function.signature.name) if ref.function else index.nodes
            )
            shape = _shape(node, data_inputs(node), nodes)
        if not shape or any(d < 0 for d in shape):
            continue
        enum = t.dtype if node.op == "Const" else _dtype(node)
        # 1 byte for string, resource, variant and sub-byte types
        nbytes = math.prod(shape) * DTYPE_SIZES.get(enum - 100 if enum > 100 else enum, 1)
        if nbytes > limit:
            message = (
                f"allocate {_size(nbytes)} in {node.op} {ref.name!r} (shape {shape}), over the "
                f"{_size(limit)} limit: running it would exhaust memory; the file is corrupt or "
                "hostile (raise TF1_EXPLORER_MAX_TENSOR_MB if the tensor is meant to be that big)"
            )
            yield Finding("huge-tensor", "error", (ref.name,), message, unsafe=True)
