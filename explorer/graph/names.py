"""Name and text helpers every step shares, so messages read the same."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

UNKNOWN_RANK = "<unknown rank>"

_NAMES = (
    "float32 float64 int32 uint8 int16 int8 string complex64 int64 bool qint8 quint8 qint32 "
    "bfloat16 qint16 quint16 uint16 complex128 float16 resource variant uint32 uint64 "
    "float8_e5m2 float8_e4m3fn float8_e4m3fnuz float8_e4m3b11fnuz float8_e5m2fnuz int4 uint4 "
    "int2 uint2 float4_e2m1fn"
)
# DataType enum -> TensorFlow's name (tf.dtypes.as_dtype(n).name); n + 100 is the ``_ref`` type.
_DTYPE_NAMES: dict[int, str] = dict(enumerate(_NAMES.split(), start=1))
DTYPE_SIZES = dict(
    zip(
        (1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 22, 23),
        (4, 8, 4, 1, 2, 1, 8, 8, 1, 1, 1, 4, 2, 2, 2, 2, 16, 2, 4, 8),
        strict=True,
    )
)
"""DataType enum -> bytes per entry of the fixed-size types (``tf.dtypes.as_dtype(n).size``)."""


def tensor_name(name: str) -> str:
    """The canonical tensor name: ``"a"`` -> ``"a:0"``; ``"a:1"`` stays; a leading ``^`` goes."""
    name = name.lstrip("^")
    op, sep, idx = name.rpartition(":")
    return name if sep and idx.isdigit() else f"{name}:0"


def op_name(ref: str) -> str:
    """The op of a tensor name or a node input: ``"^a"``, ``"a:1"``, ``"a"`` -> ``"a"``."""
    return ref.lstrip("^").split(":")[0]


def data_inputs(node: Any) -> list[str]:
    """A ``NodeDef``'s data inputs as tensor names (``a`` -> ``a:0``); control inputs (``^a``)
    left out. They come first in ``node.input``, so a position here is the input's position."""
    return [tensor_name(i) for i in node.input if not i.startswith("^")]


def shape_text(shape: Iterable[int | None] | None, sep: str = ", ") -> str:
    """``[?, 4]`` for a static shape with an unknown first dim; ``<unknown rank>`` for ``None``."""
    if shape is None:
        return UNKNOWN_RANK
    return "[" + sep.join("?" if d is None else str(d) for d in shape) + "]"


def num_text(v: float | None, none: str = "-") -> str:
    """A figure (an error, a quantile) to 3 significant digits; ``none`` for ``None``."""
    return none if v is None else f"{v:.3g}"


def array_dtype(arr: Any) -> str:
    """A numpy array's dtype name; ``"string"`` for text (TF gives object arrays of bytes)."""
    return "string" if arr.dtype.kind in "OSU" else str(arr.dtype)


def dtype_name(enum: int) -> str:
    """``float32`` for ``DT_FLOAT`` (1), ``float32_ref`` for 101, ``invalid(n)`` otherwise."""
    if enum in _DTYPE_NAMES:
        return _DTYPE_NAMES[enum]
    if enum - 100 in _DTYPE_NAMES:
        return _DTYPE_NAMES[enum - 100] + "_ref"
    return f"invalid({enum})"
