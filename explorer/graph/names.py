"""Name and text helpers every step shares: tensor and op names, shapes and dtypes as text.

One home for each, so that messages read the same whichever step writes them:

* :func:`tensor_name`: ``"a"`` -> ``"a:0"`` (``"a:1"`` stays);
* :func:`op_name`: ``"^a"``, ``"a:1"`` -> ``"a"``;
* :func:`shape_text`: ``[?, 4]``, or ``<unknown rank>``;
* :func:`dtype_name`: a ``DataType`` enum as TensorFlow names it (``float32``, ``float32_ref``).
"""

from __future__ import annotations

from collections.abc import Iterable

UNKNOWN_RANK = "<unknown rank>"

_DTYPE_NAMES: dict[int, str] = {}


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
    """``float32`` for ``DT_FLOAT`` (1), ``float32_ref`` for 101, ``invalid(n)`` otherwise."""
    name = _DTYPE_NAMES.get(enum)
    if name is None:
        from tensorflow.python.framework import dtypes

        try:
            name = dtypes.as_dtype(enum).name
        except TypeError:
            name = f"invalid({enum})"
        _DTYPE_NAMES[enum] = name
    return name
