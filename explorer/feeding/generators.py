"""Value generators: random arrays of a dtype and shape, random strings, random sparse values."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from explorer.errors import FeedError
from explorer.feeding.feeds import SparseValue, is_string_dtype, numpy_dtype
from explorer.graph.specs import TensorSpec


def random_values(
    rng: np.random.Generator,
    dtype: str,
    shape: tuple[int, ...],
    value_range: tuple[float, float] = (-1.0, 1.0),
    key: str = "",
    int_high: int = 8,
) -> np.ndarray:
    """An array of ``dtype`` (TF name) and ``shape``: floats uniform in ``value_range``, ints in
    ``[0, int_high)``, bools, short ASCII byte strings."""
    if is_string_dtype(dtype):
        return random_strings(rng, shape)
    dt = numpy_dtype(dtype)
    lo, hi = value_range
    if dt.kind == "f":
        return rng.uniform(lo, hi, shape).astype(dt)
    if dt.kind == "c":
        return (rng.uniform(lo, hi, shape) + 1j * rng.uniform(lo, hi, shape)).astype(dt)
    if dt.kind in "iu":
        return rng.integers(0, int_high, shape).astype(dt)
    if dt.kind == "b":
        return rng.random(shape) < 0.5
    raise FeedError(
        f"cannot generate values of dtype {dtype} for input {key!r}: pass one in overrides="
        " (CLI: --feed in.npz)"
    )


def random_strings(rng: np.random.Generator, shape: tuple[int, ...], pool: Any = None) -> Any:
    """An object array of ``bytes``: picks from ``pool`` when given, else ``b"s"`` + 3 letters."""
    n = math.prod(shape)
    out = np.empty(n, dtype=object)
    if pool is not None and len(pool):
        idx = rng.integers(0, len(pool), n)
        out[:] = [pool[i] for i in idx]
    else:
        letters = rng.integers(0, 26, (n, 3))
        out[:] = [b"s" + bytes(97 + int(c) for c in row) for row in letters]
    return out.reshape(shape)


def random_sparse(
    rng: np.random.Generator,
    spec: TensorSpec,
    shape: tuple[int, ...],
    value_range: tuple[float, float],
    values_rule: Any = None,
) -> SparseValue:
    """A sparse value of dense ``shape``; its values from ``values_rule`` (a sample rule, e.g.
    vocabulary tokens) when given, else random."""
    # Roughly half the cells set, in row-major order (as tf.sparse ops expect).
    cells = np.argwhere(rng.random(shape) < 0.5) if shape else np.zeros((0, 0), np.int64)
    if values_rule is not None:
        values = values_rule.generate(rng, (len(cells),), value_range, {})
    else:
        values = random_values(rng, spec.dtype, (len(cells),), value_range, spec.name)
    return SparseValue(cells.astype(np.int64), values, np.asarray(shape, dtype=np.int64))
