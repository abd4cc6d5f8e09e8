"""Feeds (what every runner takes): named numpy arrays (TF strings: object arrays of ``bytes``)
or :class:`SparseValue` s, their .npz form, :func:`check_feeds`, and random values."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from explorer._tf import tf
from explorer.errors import FeedError
from explorer.feeding.shape_inference import resolve_key, shapes_agree
from explorer.graph.names import array_dtype, shape_text
from explorer.graph.specs import TensorSpec
from explorer.output_policy import write_file

if TYPE_CHECKING:
    from explorer.loading.model import V1Model

DEFAULT_MAX_BYTES = 1 << 30  # runners refuse feeds larger than this (1 GiB); so does sample()
INT_HIGH = 8  # random ints are drawn from [0, INT_HIGH) unless the graph indexes with them
_SEP = "#"  # separates an input key from its part in .npz entry names


class SparseValue(NamedTuple):
    """A sparse tensor's value: ``indices`` [n, rank] int64, ``values`` [n], ``dense_shape`` [rank]
    (a ``NamedTuple``, so ``session.run`` accepts it as the feed of a ``tf.SparseTensor``)."""

    indices: np.ndarray
    values: np.ndarray
    dense_shape: np.ndarray

    def to_dense(self, default: Any = 0) -> np.ndarray:
        """The dense array (``default`` where no value is given)."""
        out = np.full(tuple(self.dense_shape), default, dtype=self.values.dtype)
        if len(self.values):
            out[tuple(self.indices.T)] = self.values
        return out


def as_sparse(value: Any) -> SparseValue:
    """A :class:`SparseValue` from one, a ``SparseTensorValue`` or a 3-tuple."""
    if isinstance(value, SparseValue):
        return value
    idx, vals, shape = (
        (value.indices, value.values, value.dense_shape) if hasattr(value, "indices") else value
    )
    shape = np.asarray(shape, dtype=np.int64).reshape(-1)
    idx = np.asarray(idx, dtype=np.int64).reshape(-1, len(shape))
    return SparseValue(idx, _as_array(vals), shape)


Value = np.ndarray | SparseValue


def numpy_dtype(dtype: str) -> np.dtype:
    """The numpy dtype of a TF dtype name (``float32``, ``float32_ref``; ``string`` -> object)."""
    base = dtype.removesuffix("_ref")
    try:
        return np.dtype(object if base == "string" else base)
    except TypeError:
        try:
            return np.dtype(tf().as_dtype(base).as_numpy_dtype)
        except TypeError:
            raise FeedError(f"no numpy dtype for TensorFlow dtype {dtype!r}") from None


def is_string_dtype(dtype: str) -> bool:
    return dtype in ("string", "string_ref")


def bytes_array(items: Iterable[Any], shape: tuple[int, ...] | None = None) -> np.ndarray:
    """An object array of ``shape`` (default: flat) holding ``items`` (``bytes``)."""
    items = list(items)
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out if shape is None else out.reshape(shape)


def _as_array(value: Any) -> np.ndarray:
    """``value`` as an ndarray; str/bytes content becomes an object array of ``bytes``."""
    arr = np.asarray(value)
    texts = arr.dtype == object and all(isinstance(v, (bytes, str)) for v in arr.flat)
    if arr.dtype.kind in "SU" or texts:
        items = (v.encode() if isinstance(v, str) else bytes(v) for v in arr.reshape(-1))
        return bytes_array(items, arr.shape)
    return arr


def _nbytes(arr: np.ndarray) -> int:
    """Bytes of an array (strings by length) or of a SparseValue's parts."""
    if isinstance(arr, SparseValue):
        return int(arr.indices.nbytes + _nbytes(arr.values) + arr.dense_shape.nbytes)
    if arr.dtype != object:
        return int(arr.nbytes)
    return int(sum(len(v) if isinstance(v, bytes) else 8 for v in arr.reshape(-1)))


class Feeds(dict):
    """Input key -> ndarray or SparseValue, a ``dict``; ``notes``: what :func:`sample` decided."""

    def __init__(self, values: Mapping[str, Any] | None = None, notes: Iterable[str] = ()) -> None:
        super().__init__()
        for k, v in (values or {}).items():
            self[str(k)] = as_sparse(v) if is_sparse_like(v) else _as_array(v)
        self.notes: list[str] = list(notes)
        self.shapes: dict[str, Any] = {}  # key -> inferred shape and reasons (explorer.sample)

    def save(
        self,
        path: str | os.PathLike[str],
        overwrite: bool = False,
        model: V1Model | None = None,
        what: str = "the feeds",
    ) -> Path:
        """Write an ``.npz`` :meth:`load` reads (no pickle), all or nothing (output_policy);
        strings as bytes, end offsets, shape (``S`` arrays drop trailing NULs)."""
        entries: dict[str, np.ndarray] = {}
        for key, value in self.items():
            if _SEP in key:
                raise FeedError(f"feed key {key!r} contains {_SEP!r}, which .npz files reserve")
            parts = value._asdict() if isinstance(value, SparseValue) else {"": value}
            for part, arr in parts.items():
                entries.update(_encode(f"{key}{_SEP}{part}" if part else key, arr))
        return write_file(path, lambda f: np.savez(f, **entries), model, overwrite, what)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Feeds:
        """Read an ``.npz`` written by :meth:`save` (or by ``np.savez`` with one array per key)."""
        p = Path(path)
        try:
            with np.load(p, allow_pickle=False) as z:
                raw = {k: z[k] for k in z.files}
        except (OSError, ValueError) as e:
            raise FeedError(
                f"cannot read feeds from {p} ({str(e).splitlines()[0][:120]}): give an .npz "
                "written by Feeds.save or np.savez without object arrays"
            ) from None
        out = cls()
        for key in dict.fromkeys(name.partition(_SEP)[0] for name in raw):
            parts = [f"{key}{_SEP}{f}" for f in SparseValue._fields]
            sparse = parts[0] in raw
            out[key] = (
                SparseValue(*(_decode(raw, n) for n in parts)) if sparse else _decode(raw, key)
            )
        return out


def is_sparse_like(v: Any) -> bool:
    return all(hasattr(v, a) for a in ("indices", "values", "dense_shape"))  # SparseValue too


def summarize(value: Any, stats: bool = True) -> dict[str, Any]:
    """``dtype``, ``shape`` (a sparse value: its dense shape, ``kind: "sparse"``) and with ``stats``
    the ``min``, ``max``, ``mean``, ``std`` of the finite values (``None`` for text or none finite;
    bools as 0/1, complex numbers by magnitude) and the ``nan`` count: what ``run`` shows."""
    sparse = isinstance(value, SparseValue)
    arr = np.asarray(value.values if sparse else value)
    shape = [int(d) for d in value.dense_shape] if sparse else list(arr.shape)
    out: dict[str, Any] = {"dtype": array_dtype(arr), "shape": shape}
    out |= {"kind": "sparse"} if sparse else {}
    if not stats:
        return out
    out |= dict.fromkeys(("min", "max", "mean", "std")) | {"nan": 0}
    if arr.dtype.kind in "biufc" and arr.size:
        x = np.abs(arr) if arr.dtype.kind == "c" else arr.astype(np.float64)
        finite = x[np.isfinite(x)]
        out["nan"] = int(np.isnan(x).sum())
        if finite.size:
            out.update({f: float(getattr(finite, f)()) for f in ("min", "max", "mean", "std")})
    return out


def _encode(name: str, arr: np.ndarray) -> dict[str, np.ndarray]:
    if arr.dtype != object:
        return {name: arr}
    items = [v if isinstance(v, bytes) else str(v).encode() for v in arr.reshape(-1)]
    blob = np.frombuffer(b"".join(items), dtype=np.uint8)
    ends = np.cumsum([len(v) for v in items], dtype=np.int64)
    parts = {"bytes": blob, "ends": ends, "shape": np.asarray(arr.shape, dtype=np.int64)}
    return {f"{name}{_SEP}{part}": v for part, v in parts.items()}


def _decode(raw: dict[str, np.ndarray], name: str) -> np.ndarray:
    """Entry ``name`` of a loaded .npz: as stored, or the object array :func:`_encode` split."""
    if name in raw:
        return raw[name]
    blob, ends, shape = (raw[f"{name}{_SEP}{part}"] for part in ("bytes", "ends", "shape"))
    data, starts = blob.tobytes(), np.concatenate([[0], ends[:-1]]).astype(np.int64)
    return bytes_array((data[s:e] for s, e in zip(starts, ends)), tuple(shape))


def fmt_spec(spec: TensorSpec) -> str:
    """``float32[?,4]`` (``<unknown rank>`` when the rank is unknown)."""
    shape = shape_text(spec.shape, ",") if spec.shape is not None else "[<unknown rank>]"
    return spec.dtype + shape


def _fmt_given(arr: np.ndarray) -> str:
    return array_dtype(arr) + shape_text(arr.shape, ",")


def key_mismatch(expected: Iterable[str], given: Iterable[str]) -> str | None:
    """``"missing: a, unknown: b"`` where ``given`` keys differ from ``expected``; else None."""
    want, got = list(expected), list(given)
    missing, extra = [k for k in want if k not in got], [k for k in got if k not in want]
    if missing or extra:
        return f"missing: {', '.join(missing) or '-'}, unknown: {', '.join(extra) or '-'}"
    return None


def check_feeds(
    feeds: Mapping[str, Any],
    specs: Mapping[str, TensorSpec],
    required: Iterable[str] = (),
    max_bytes: int | None = None,
) -> dict[str, Value]:
    """``feeds`` by spec key (``name`` for ``name:0``), cast to the spec dtypes once checked:
    ``required`` present, dtype kinds agree (ints fit floats), known dims match, sparse given."""
    out: dict[str, Value] = {}
    for key, value in feeds.items():
        if (k := resolve_key(str(key), specs)) is None:
            known = ", ".join(sorted(specs)) or "none"
            raise FeedError(f"feed {key!r} is not an input of this model run: inputs are {known}")
        check = _check_sparse if specs[k].kind == "sparse" else _check_dense
        out[k] = check(k, specs[k], value)
    if missing := [k for k in required if k not in out]:
        k = missing[0]
        raise FeedError(
            f"no feed for input {k!r} ({specs[k].name} {fmt_spec(specs[k])}): pass it, or "
            "generate one with explorer.sample(model, ...)"
        )
    if max_bytes is not None and (total := sum(map(_nbytes, out.values()))) > max_bytes:
        raise FeedError(too_big_message(total, max_bytes, "these feeds"))
    return out


def _check_dense(key: str, spec: TensorSpec, value: Any) -> np.ndarray:
    if is_sparse_like(value):
        raise FeedError(
            f"input {key!r} ({spec.name}) is dense {fmt_spec(spec)} but was given a sparse value"
        )
    try:
        arr = _as_array(value)
    except (TypeError, ValueError) as e:
        raise FeedError(f"input {key!r}: cannot make an array of the value given ({e})") from None
    arr = _cast(key, spec, arr)
    if spec.shape is not None and not shapes_agree(spec.shape, arr.shape):
        raise FeedError(
            f"input {key!r} ({spec.name}) expects shape {fmt_spec(spec)}, given "
            f"{_fmt_given(arr)}: reshape the array"
        )
    return arr


def _check_sparse(key: str, spec: TensorSpec, value: Any) -> SparseValue:
    if not is_sparse_like(value) and not (isinstance(value, tuple) and len(value) == 3):
        raise FeedError(
            f"input {key!r} is sparse ({fmt_spec(spec)}): give explorer.records.SparseValue("
            "indices, values, dense_shape), not a dense array"
        )
    try:
        sv = as_sparse(value)
    except (TypeError, ValueError) as e:
        raise FeedError(
            f"input {key!r}: not a valid (indices, values, dense_shape) ({e})"
        ) from None
    values = _cast(key, spec, sv.values)
    rank = len(sv.dense_shape)
    if spec.shape is not None and rank != len(spec.shape):
        raise FeedError(
            f"input {key!r} is sparse {fmt_spec(spec)}: dense_shape has rank {rank}, "
            f"expected {len(spec.shape)}"
        )
    if sv.indices.shape != (len(values), rank):
        raise FeedError(
            f"input {key!r}: sparse indices have shape {list(sv.indices.shape)}, expected "
            f"[{len(values)}, {rank}] for {len(values)} values of rank {rank}"
        )
    return SparseValue(sv.indices, values, sv.dense_shape)


def _cast(key: str, spec: TensorSpec, arr: np.ndarray) -> np.ndarray:
    if not _kind_ok(want := numpy_dtype(spec.dtype), arr.dtype):
        fix = "give bytes or str values" if want.kind == "O" else "convert the array"
        raise FeedError(
            f"input {key!r} ({spec.name}) expects dtype {spec.dtype.removesuffix('_ref')}, "
            f"given {_fmt_given(arr)}: {fix}"
            + ("" if want.kind == "O" else f" (e.g. arr.astype({want.name!r}))")
        )
    return arr if want.kind == "O" or arr.dtype == want else arr.astype(want)


def _kind_ok(want: np.dtype, given: np.dtype) -> bool:
    wk, gk = want.kind, given.kind
    if "O" in (wk, gk):
        return wk == gk
    ints_in = wk in "fc" and gk in "iu"  # integers fed to a float input: exact for small values
    return wk == gk or ints_in or (wk, gk) == ("c", "f") or {wk, gk} <= set("iu")


def too_big_message(total: int, limit: int, what: str) -> str:
    return (
        f"{what} would take about {total / 2**20:.1f} MiB, over the limit of "
        f"{limit / 2**20:.1f} MiB: use a smaller batch or pass max_bytes= (CLI: --max-mb)"
    )


def random_values(
    rng: np.random.Generator,
    dtype: str,
    shape: tuple[int, ...],
    value_range: tuple[float, float] = (-1.0, 1.0),
    key: str = "",
    int_high: int = INT_HIGH,
) -> np.ndarray:
    """Floats uniform in ``value_range``, ints in ``[0, int_high)``, bools or short strings."""
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
    if pool is not None and len(pool):
        return bytes_array([pool[i] for i in rng.integers(0, len(pool), n)], shape)
    letters = rng.integers(0, 26, (n, 3))
    return bytes_array([b"s" + bytes(97 + int(c) for c in row) for row in letters], shape)


def random_sparse(
    rng: np.random.Generator,
    spec: TensorSpec,
    shape: tuple[int, ...],
    value_range: tuple[float, float],
    values_rule: Any = None,
) -> SparseValue:
    """A sparse value of dense ``shape``, about half the cells set in row-major order (as
    tf.sparse ops expect); values from ``values_rule`` (e.g. vocabulary tokens), else random."""
    cells = np.argwhere(rng.random(shape) < 0.5) if shape else np.zeros((0, 0), np.int64)
    if values_rule is not None:
        values = values_rule.generate(rng, (len(cells),), value_range, {})
    else:
        values = random_values(rng, spec.dtype, (len(cells),), value_range, spec.name)
    return SparseValue(cells.astype(np.int64), values, np.asarray(shape, dtype=np.int64))
