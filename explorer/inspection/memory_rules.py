"""Memory bombs: ops that would allocate a tensor larger than this process should ever hold.

A ``Fill`` (``tf.zeros``/``tf.ones``), ``BroadcastTo``, ``Empty`` or random op whose shape is a
constant in the graph, or a splat ``Const`` (one value repeated over a huge shape), says how many
bytes it will allocate before anything runs. Above :func:`max_tensor_bytes` (4 GiB; the
environment variable ``TF1_EXPLORER_MAX_TENSOR_MB`` changes it) the ``huge-tensor`` rule reports
it as an error, and the gate refuses the model with one line instead of letting TensorFlow try
(constant folding alone spends minutes on a ``Fill`` of 2**40 floats, then fails). Shapes
computed at run time are bounded by the feed size limit (``--max-mb``) instead.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from typing import Any

from explorer.inspection.findings import Finding, NodeRef, ScanContext, rule

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


def _dtype_size(enum: int) -> int:
    from explorer._tf import tf

    try:
        return max(1, tf().dtypes.as_dtype(enum).size)
    except (TypeError, ValueError):
        return 1


def _const_ints(node: Any) -> list[int] | None:
    if node is None or node.op != "Const" or "value" not in node.attr:
        return None
    from explorer._tf import tf

    try:
        return [int(v) for v in tf().make_ndarray(node.attr["value"].tensor).reshape(-1)]
    except (TypeError, ValueError):
        return None


def _size(n: int) -> str:
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


@rule(*SHAPED_OPS, "Const", name="huge-tensor", unsafe=True)
def _huge_tensors(ctx: ScanContext, refs: list[NodeRef]) -> Iterator[Finding]:
    limit = max_tensor_bytes()
    top = {n.name: n for n in ctx.graph_def.node}
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
