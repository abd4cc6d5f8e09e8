"""Name and text helpers every step shares, so messages read the same: :func:`tensor_name`
(``a`` -> ``a:0``), :func:`op_name` (``^a``, ``a:1`` -> ``a``), :func:`shape_text` (``[?, 4]``,
``<unknown rank>``), :func:`dtype_name` (``float32``, ``float32_ref``)."""

from __future__ import annotations

from collections.abc import Iterable

UNKNOWN_RANK = "<unknown rank>"

# DataType enum -> TensorFlow's name (tf.dtypes.as_dtype(n).name); n + 100 is the ``_ref`` type.
_DTYPE_NAMES: dict[int, str] = {
    1: "float32",
    2: "float64",
    3: "int32",
    4: "uint8",
    5: "int16",
    6: "int8",
    7: "string",
    8: "complex64",
    9: "int64",
    10: "bool",
    11: "qint8",
    12: "quint8",
    13: "qint32",
    14: "bfloat16",
    15: "qint16",
    16: "quint16",
    17: "uint16",
    18: "complex128",
    19: "float16",
    20: "resource",
    21: "variant",
    22: "uint32",
    23: "uint64",
    24: "float8_e5m2",
    25: "float8_e4m3fn",
    26: "float8_e4m3fnuz",
    27: "float8_e4m3b11fnuz",
    28: "float8_e5m2fnuz",
    29: "int4",
    30: "uint4",
    31: "int2",
    32: "uint2",
    33: "float4_e2m1fn",
}
DTYPE_SIZES = {
    1: 4,
    2: 8,
    3: 4,
    4: 1,
    5: 2,
    6: 1,
    8: 8,
    9: 8,
    10: 1,
    11: 1,
    12: 1,
    13: 4,
    14: 2,
    15: 2,
    16: 2,
    17: 2,
    18: 16,
    19: 2,
    22: 4,
    23: 8,
}
"""DataType enum -> bytes per entry of the fixed-size types (``tf.dtypes.as_dtype(n).size``)."""


def tensor_name(name: str) -> str:
    """The canonical tensor name: ``"a"`` -> ``"a:0"``; ``"a:1"`` stays; a leading ``^`` goes."""
    name = name.lstrip("^")
    op, sep, idx = name.rpartition(":")
    if sep and idx.isdigit():
        return name
    return f"{name}:0"


def op_name(ref: str) -> str:
    """The op of a tensor name or a node input: ``"^a"``, ``"a:1"``, ``"a"`` -> ``"a"``."""
    return ref.lstrip("^").split(":")[0]


def shape_text(shape: Iterable[int | None] | None, sep: str = ", ") -> str:
    """``[?, 4]`` for a static shape with an unknown first dim; ``<unknown rank>`` for ``None``."""
    if shape is None:
        return UNKNOWN_RANK
    return "[" + sep.join("?" if d is None else str(d) for d in shape) + "]"


def dtype_name(enum: int) -> str:
    """``float32`` for ``DT_FLOAT`` (1), ``float32_ref`` for 101, ``invalid(n)`` otherwise
    (a table: no TensorFlow import)."""
    if enum in _DTYPE_NAMES:
        return _DTYPE_NAMES[enum]
    if enum - 100 in _DTYPE_NAMES:
        return _DTYPE_NAMES[enum - 100] + "_ref"
    return f"invalid({enum})"
