"""Step "sample" of the flow: feeds for a model's inputs, generated or given, checked against specs.

:func:`sample` makes one array per input from its :class:`~explorer.specs.TensorSpec`; a string
input that feeds a ``ParseExample``-like op gets serialized ``tf.Example`` protos built from that op
(see ``explorer/tf_example.py``, whose registry holds the per-op rules). :class:`Feeds` is the
named-array container every runner takes; :func:`check_feeds` checks user arrays against specs.

Representation of values (shared by feeds and runner outputs):

* dense tensors are ``numpy`` arrays; TF ``string`` tensors are object arrays of ``bytes``;
* sparse tensors (``TensorSpec.kind == "sparse"``) are :class:`SparseValue` ``(indices [n, rank]
  int64, values [n], dense_shape [rank] int64)``, the same triple ``tf.SparseTensor`` holds.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from .errors import FeedError
from .specs import TensorSpec

DEFAULT_MAX_BYTES = 1 << 30  # refuse to generate feeds larger than this (1 GiB)
DEFAULT_DIM = 2  # size given to unknown non-batch dims
STRING_ITEM_BYTES = 64  # size estimate of one generated (non tf.Example) string, object included
PLACEHOLDER_OPS = frozenset({"Placeholder", "PlaceholderV2"})
DEFAULT_PLACEHOLDER_OPS = frozenset({"PlaceholderWithDefault"})
_SEP = "#"  # separates an input key from its part in .npz entry names


class SparseValue(NamedTuple):
    """A sparse tensor's value: ``indices`` [n, rank] int64, ``values`` [n], ``dense_shape`` [rank].

    A ``NamedTuple``, so ``session.run`` accepts it as the feed of a ``tf.SparseTensor``.
    """

    indices: np.ndarray
    values: np.ndarray
    dense_shape: np.ndarray

    def to_dense(self, default: Any = 0) -> np.ndarray:
        """The dense array (``default`` where no value is given)."""
        out = np.full(tuple(self.dense_shape), default, dtype=self.values.dtype)
        if len(self.values):
            out[tuple(self.indices.T)] = self.values
        return out

    @property
    def nbytes(self) -> int:
        return int(self.indices.nbytes + _nbytes(self.values) + self.dense_shape.nbytes)


def as_sparse(value: Any) -> SparseValue:
    """A :class:`SparseValue` from a ``SparseValue``, ``tf.compat.v1.SparseTensorValue`` or a
    3-tuple ``(indices, values, dense_shape)``."""
    if isinstance(value, SparseValue):
        return value
    idx, vals, shape = (
        (value.indices, value.values, value.dense_shape) if hasattr(value, "indices") else value
    )
    return SparseValue(
        np.asarray(idx, dtype=np.int64).reshape(-1, len(np.asarray(shape).reshape(-1))),
        _as_array(vals),
        np.asarray(shape, dtype=np.int64).reshape(-1),
    )


Value = np.ndarray | SparseValue


# ----------------------------------------------------------------------------------------------
# dtypes
# ----------------------------------------------------------------------------------------------


def numpy_dtype(dtype: str) -> np.dtype:
    """The numpy dtype of a TF dtype name (``float32``, ``float32_ref``; ``string`` -> object)."""
    base = dtype[:-4] if dtype.endswith("_ref") else dtype
    if base == "string":
        return np.dtype(object)
    try:
        return np.dtype(base)
    except TypeError:
        from tensorflow.python.framework import dtypes

        try:
            return np.dtype(dtypes.as_dtype(base).as_numpy_dtype)
        except TypeError:
            raise FeedError(f"no numpy dtype for TensorFlow dtype {dtype!r}") from None


def _is_string_dtype(dtype: str) -> bool:
    return dtype in ("string", "string_ref")


def _as_array(value: Any) -> np.ndarray:
    """``value`` as an ndarray; str/bytes content becomes an object array of ``bytes``."""
    arr = np.asarray(value)
    if arr.dtype.kind in "SU" or (arr.dtype == object and _holds_text(arr)):
        flat = [v.encode() if isinstance(v, str) else bytes(v) for v in arr.reshape(-1)]
        out = np.empty(len(flat), dtype=object)
        out[:] = flat
        return out.reshape(arr.shape)
    return arr


def _holds_text(arr: np.ndarray) -> bool:
    return all(isinstance(v, (bytes, str, np.bytes_, np.str_)) for v in arr.reshape(-1))


def _nbytes(arr: np.ndarray) -> int:
    if arr.dtype == object:
        return int(sum(len(v) if isinstance(v, bytes) else 8 for v in arr.reshape(-1)))
    return int(arr.nbytes)


# ----------------------------------------------------------------------------------------------
# Feeds
# ----------------------------------------------------------------------------------------------


class Feeds(dict):
    """Input key -> value (``ndarray``, or :class:`SparseValue` for sparse inputs).

    A ``dict``, so it goes wherever a feed dict does. ``notes`` says what :func:`sample` decided
    (unknown dims it filled, tf.Example features it built, inputs it left to the graph).
    """

    def __init__(self, values: Mapping[str, Any] | None = None, notes: Iterable[str] = ()) -> None:
        super().__init__()
        for k, v in (values or {}).items():
            self[str(k)] = as_sparse(v) if _is_sparse_like(v) else _as_array(v)
        self.notes: list[str] = list(notes)

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays (string contents counted by length)."""
        return sum(v.nbytes if isinstance(v, SparseValue) else _nbytes(v) for v in self.values())

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write an ``.npz`` that :meth:`load` reads back with ``allow_pickle=False``.

        String arrays are stored as their concatenated bytes plus end offsets and shape (fixed
        width ``S`` arrays would drop trailing NUL bytes of serialized protos); sparse values as
        their three parts. Returns the path written.
        """
        entries: dict[str, np.ndarray] = {}
        for key, value in self.items():
            if _SEP in key:
                raise FeedError(f"feed key {key!r} contains {_SEP!r}, which .npz files reserve")
            if isinstance(value, SparseValue):
                entries[f"{key}{_SEP}indices"] = value.indices
                entries[f"{key}{_SEP}dense_shape"] = value.dense_shape
                entries.update(_encode(f"{key}{_SEP}values", value.values))
            else:
                entries.update(_encode(key, value))
        p = Path(path)
        with open(p, "wb") as f:
            np.savez(f, **entries)
        return p

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
        groups: dict[str, dict[str, np.ndarray]] = {}
        for name, arr in raw.items():
            key, _, part = name.partition(_SEP)
            groups.setdefault(key, {})[part] = arr
        out = cls()
        for key, parts in groups.items():
            if "indices" in parts:
                values = _decode(_sub(parts, "values"))
                out[key] = SparseValue(parts["indices"], values, parts["dense_shape"])
            else:
                out[key] = _decode(parts)
        return out


def _is_sparse_like(v: Any) -> bool:
    return isinstance(v, SparseValue) or (
        hasattr(v, "indices") and hasattr(v, "values") and hasattr(v, "dense_shape")
    )


def _encode(name: str, arr: np.ndarray) -> dict[str, np.ndarray]:
    if arr.dtype != object:
        return {name: arr}
    items = [v if isinstance(v, bytes) else str(v).encode() for v in arr.reshape(-1)]
    blob = np.frombuffer(b"".join(items), dtype=np.uint8)
    ends = np.cumsum([len(v) for v in items], dtype=np.int64)
    return {
        f"{name}{_SEP}bytes": blob,
        f"{name}{_SEP}ends": ends,
        f"{name}{_SEP}shape": np.asarray(arr.shape, dtype=np.int64),
    }


def _sub(parts: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    out = {}
    for k, v in parts.items():
        if k == prefix:
            out[""] = v
        elif k.startswith(prefix + _SEP):
            out[k[len(prefix) + 1 :]] = v
    return out


def _decode(parts: dict[str, np.ndarray]) -> np.ndarray:
    if "" in parts:
        return parts[""]
    blob, ends, shape = parts["bytes"].tobytes(), parts["ends"], parts["shape"]
    starts = np.concatenate([[0], ends[:-1]]).astype(np.int64)
    out = np.empty(len(ends), dtype=object)
    out[:] = [blob[s:e] for s, e in zip(starts, ends)]
    return out.reshape(tuple(shape))


# ----------------------------------------------------------------------------------------------
# checking
# ----------------------------------------------------------------------------------------------


def fmt_spec(spec: TensorSpec) -> str:
    """``float32[?,4]`` (``<unknown rank>`` when the rank is unknown)."""
    if spec.shape is None:
        return f"{spec.dtype}[<unknown rank>]"
    return f"{spec.dtype}[{','.join('?' if d is None else str(d) for d in spec.shape)}]"


def _fmt_given(arr: np.ndarray) -> str:
    dtype = "string" if arr.dtype == object else arr.dtype.name
    return f"{dtype}[{','.join(str(d) for d in arr.shape)}]"


def resolve_key(key: str, specs: Mapping[str, TensorSpec]) -> str | None:
    """The spec key a feed key means: itself, or ``name:0`` for a tensor name given as ``name``."""
    if key in specs:
        return key
    if ":" not in key and f"{key}:0" in specs:
        return f"{key}:0"
    return None


def check_feeds(
    feeds: Mapping[str, Any],
    specs: Mapping[str, TensorSpec],
    required: Iterable[str] = (),
    max_bytes: int | None = None,
) -> dict[str, Value]:
    """Check ``feeds`` against ``specs`` and return them keyed by spec key, cast to spec dtypes.

    Accepted: every key names a spec (tensor names may drop ``:0``); every ``required`` key is
    present; a dense value's dtype is of the spec's kind (float into float, int into int or float,
    str/bytes into string, bool into bool) and its shape matches every known dim; a sparse spec
    takes a :class:`SparseValue` (or 3-tuple) whose values follow the same dtype rule.

    Raises:
        FeedError: naming the input, the expected and the given dtype/shape.
    """
    out: dict[str, Value] = {}
    for key, value in feeds.items():
        k = resolve_key(str(key), specs)
        if k is None:
            known = ", ".join(sorted(specs)) or "none"
            raise FeedError(f"feed {key!r} is not an input of this model run: inputs are {known}")
        spec = specs[k]
        if spec.kind == "sparse":
            out[k] = _check_sparse(k, spec, value)
        else:
            out[k] = _check_dense(k, spec, value)
    missing = [k for k in required if k not in out]
    if missing:
        k = missing[0]
        raise FeedError(
            f"no feed for input {k!r} ({specs[k].name} {fmt_spec(specs[k])}): pass it, or "
            "generate one with explorer.sample(model, ...)"
        )
    if max_bytes is not None:
        total = sum(v.nbytes if isinstance(v, SparseValue) else _nbytes(v) for v in out.values())
        if total > max_bytes:
            raise FeedError(_too_big(total, max_bytes, "these feeds"))
    return out


def _check_dense(key: str, spec: TensorSpec, value: Any) -> np.ndarray:
    if _is_sparse_like(value):
        raise FeedError(
            f"input {key!r} ({spec.name}) is dense {fmt_spec(spec)} but was given a sparse value"
        )
    try:
        arr = _as_array(value)
    except (TypeError, ValueError) as e:
        raise FeedError(f"input {key!r}: cannot make an array of the value given ({e})") from None
    arr = _cast(key, spec, arr)
    if spec.shape is not None:
        bad = len(arr.shape) != len(spec.shape) or any(
            d is not None and d != g for d, g in zip(spec.shape, arr.shape)
        )
        if bad:
            raise FeedError(
                f"input {key!r} ({spec.name}) expects shape {fmt_spec(spec)}, given "
                f"{_fmt_given(arr)}: reshape the array"
            )
    return arr


def _check_sparse(key: str, spec: TensorSpec, value: Any) -> SparseValue:
    if not _is_sparse_like(value) and not (isinstance(value, tuple) and len(value) == 3):
        raise FeedError(
            f"input {key!r} is sparse ({fmt_spec(spec)}): give explorer.sampler.SparseValue("
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
    want = numpy_dtype(spec.dtype)
    ok = _kind_ok(want, arr.dtype)
    if not ok:
        raise FeedError(
            f"input {key!r} ({spec.name}) expects dtype {spec.dtype.removesuffix('_ref')}, "
            f"given {_fmt_given(arr)}: convert the array (e.g. arr.astype({want.name!r}))"
            if want.kind != "O"
            else f"input {key!r} ({spec.name}) expects dtype string, given {_fmt_given(arr)}: "
            "give bytes or str values"
        )
    if want.kind == "O" or arr.dtype == want:
        return arr
    return arr.astype(want)


def _kind_ok(want: np.dtype, given: np.dtype) -> bool:
    if want.kind == "O":
        return given.kind == "O"
    if given.kind == "O":
        return False
    wk, gk = want.kind, given.kind
    if wk == gk:
        return True
    if wk in "fc" and gk in "iu":
        return True  # integers fed to a float input are exact for small values
    if wk == "c" and gk == "f":
        return True
    return wk in "iu" and gk in "iu"


def _too_big(total: int, limit: int, what: str) -> str:
    return (
        f"{what} would take about {total / 2**20:.1f} MiB, over the limit of "
        f"{limit / 2**20:.1f} MiB: use a smaller batch or pass max_bytes= (CLI: --max-mb)"
    )


# ----------------------------------------------------------------------------------------------
# which inputs to feed
# ----------------------------------------------------------------------------------------------

FEED, DEFAULT, COMPUTED, CONSTANT = "feed", "default", "computed", "constant"


def _op_name(tensor: str) -> str:
    return tensor.lstrip("^").split(":")[0]


def _spec_ops(spec: TensorSpec) -> list[str]:
    names = spec.components if spec.kind != "dense" and spec.components else (spec.name,)
    return [_op_name(n) for n in names if n]


def input_roles(graph_def: Any, specs: Mapping[str, TensorSpec]) -> dict[str, str]:
    """How each input is fed: ``feed`` (must be fed; :func:`sample` generates it), ``default``
    (a ``PlaceholderWithDefault``: optional), ``computed`` (another input of the set is upstream of
    it, e.g. TFMA's ``features/*`` from the serialized examples), ``constant`` (no placeholder
    upstream at all, e.g. a ``Const``). Works on the GraphDef's main graph alone.
    """
    nodes = {n.name: n for n in graph_def.node}
    spec_ops = {k: _spec_ops(s) for k, s in specs.items()}
    ancestors: dict[str, set[str]] = {}

    def upstream(op: str) -> set[str]:
        if op in ancestors:
            return ancestors[op]
        seen: set[str] = set()
        stack = [op]
        while stack:
            cur = stack.pop()
            node = nodes.get(cur)
            if node is None:
                continue
            for inp in node.input:
                if inp.startswith("^"):
                    continue
                src = _op_name(inp)
                if src not in seen:
                    seen.add(src)
                    stack.append(src)
        ancestors[op] = seen
        return seen

    roles: dict[str, str] = {}
    for key, ops in spec_ops.items():
        types = {nodes[o].op if o in nodes else "" for o in ops}
        if types & PLACEHOLDER_OPS and types <= PLACEHOLDER_OPS | DEFAULT_PLACEHOLDER_OPS:
            roles[key] = FEED  # a sparse placeholder's dense_shape may have a default
            continue
        if types and types <= DEFAULT_PLACEHOLDER_OPS:
            roles[key] = DEFAULT
            continue
        up = set().union(*(upstream(o) for o in ops)) if ops else set()
        others = {o for k2, o2 in spec_ops.items() if k2 != key for o in o2} - set(ops)
        if up & others:
            roles[key] = COMPUTED
        elif any(nodes[a].op in PLACEHOLDER_OPS for a in up if a in nodes):
            roles[key] = FEED
        else:
            roles[key] = CONSTANT
    return roles


# ----------------------------------------------------------------------------------------------
# sample()
# ----------------------------------------------------------------------------------------------


def sample(
    model: Any,
    inputs: Any = None,
    batch: int = 1,
    seed: int = 0,
    overrides: Mapping[str, Any] | None = None,
    *,
    value_range: tuple[float, float] = (-1.0, 1.0),
    ranges: Mapping[str, tuple[float, float]] | None = None,
    default_dim: int = DEFAULT_DIM,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
) -> Feeds:
    """Generate a value for every input of a model run that must be fed.

    Args:
        model: a :class:`~explorer.loader.V1Model` or a path for ``explorer.load``.
        inputs: what to feed: ``None`` (the default signature, or the suggested inputs of a model
            without signatures), a signature name or :class:`~explorer.specs.Signature`, a list
            of tensor names, or a mapping key -> ``TensorSpec`` (e.g. ``runner.input_specs``).
        batch: size of each input's first unknown dim (and the number of tf.Examples).
        seed: seeds the generator: same arguments, same feeds.
        overrides: input key -> array to use as given (checked against its spec).
        value_range: floats are drawn uniformly from ``[low, high)``; ints from ``[0, 8)``.
        ranges: input key or tf.Example feature key -> ``(low, high)`` for that one.
        default_dim: size of other unknown dims (and of unknown-rank inputs' single dim).
        max_bytes: refuse, before allocating, feeds estimated above this many bytes.

    Returns:
        :class:`Feeds` keyed like the specs (signature keys, or tensor names), with ``notes``.
        Inputs computed in the graph from other inputs, ``PlaceholderWithDefault`` inputs and
        constants are left out (and noted): the graph computes them.

    Raises:
        FeedError: an override does not match its input, no value can be made for a dtype, or
            the estimate is over ``max_bytes``.
    """
    from . import tf_example
    from .loader import V1Model, load

    if not isinstance(model, V1Model):
        model = load(model)
    specs = input_specs_of(model, inputs)
    overrides = dict(overrides or {})
    checked = check_feeds(overrides, specs) if overrides else {}
    roles = input_roles(model.graph_def, specs)
    rng = np.random.default_rng(seed)
    ranges = dict(ranges or {})
    notes: list[str] = []
    plans: dict[str, tuple[tuple[int, ...], Any]] = {}
    skipped: dict[str, list[str]] = {}
    total = 0
    for key, spec in specs.items():
        if key in checked:
            continue
        if roles[key] != FEED:
            skipped.setdefault(roles[key], []).append(key)
            continue
        rule = tf_example.rule_for(model, spec) if spec.kind == "dense" else None
        if rule is not None:
            shape = _resolve_shape(key, spec, batch, default_dim, notes, rule.default_shape(batch))
            notes.append(f"{key}: {rule.describe()}")
            total += int(np.prod(shape, dtype=np.int64)) * rule.bytes_per_item()
        else:
            if spec.kind == "sparse":
                shape = _resolve_shape(key, spec, batch, default_dim, notes, (batch, default_dim))
            else:
                shape = _resolve_shape(key, spec, batch, default_dim, notes, (batch,))
            total += math.prod(shape) * _item_bytes(key, spec)
        plans[key] = (shape, rule)
    for role, keys in skipped.items():
        notes.append(f"not fed, {_ROLE_NOTE[role]}: {', '.join(keys)}")
    if max_bytes is not None and total > max_bytes:
        raise FeedError(_too_big(total, max_bytes, f"sampled feeds for {model.path.name}"))
    out = Feeds(notes=notes)
    for key, spec in specs.items():
        if key in checked:
            out[key] = checked[key]
        elif key in plans:
            shape, rule = plans[key]
            if rule is not None:
                out[key] = rule.generate(rng, shape, ranges.get(key, value_range), ranges)
            elif spec.kind == "sparse":
                out[key] = _random_sparse(rng, spec, shape, ranges.get(key, value_range))
            else:
                out[key] = random_values(rng, spec.dtype, shape, ranges.get(key, value_range), key)
    return out


_ROLE_NOTE = {
    DEFAULT: "PlaceholderWithDefault: its default is used",
    COMPUTED: "computed in the graph from the other inputs",
    CONSTANT: "a constant of the graph, no placeholder upstream",
}


def _resolve_shape(
    key: str,
    spec: TensorSpec,
    batch: int,
    default_dim: int,
    notes: list[str],
    unknown_rank_shape: tuple[int, ...],
) -> tuple[int, ...]:
    if spec.shape is None:
        notes.append(f"{key}: unknown rank, fed with shape {list(unknown_rank_shape)}")
        return tuple(unknown_rank_shape)
    out = []
    filled = []
    for i, d in enumerate(spec.shape):
        if d is None:
            d = batch if i == 0 else default_dim
            filled.append(f"dim {i}={d}")
        out.append(int(d))
    if filled:
        notes.append(f"{key}: unknown {', '.join(filled)}")
    return tuple(out)


def _item_bytes(key: str, spec: TensorSpec) -> int:
    if _is_string_dtype(spec.dtype):
        return STRING_ITEM_BYTES
    dt = numpy_dtype(spec.dtype)
    return int(dt.itemsize)


def random_values(
    rng: np.random.Generator,
    dtype: str,
    shape: tuple[int, ...],
    value_range: tuple[float, float] = (-1.0, 1.0),
    key: str = "",
) -> np.ndarray:
    """An array of ``dtype`` (TF name) and ``shape``: floats uniform in ``value_range``, ints in
    ``[0, 8)``, bools, short ASCII byte strings."""
    if _is_string_dtype(dtype):
        return random_strings(rng, shape)
    dt = numpy_dtype(dtype)
    lo, hi = value_range
    if dt.kind == "f":
        return rng.uniform(lo, hi, shape).astype(dt)
    if dt.kind == "c":
        return (rng.uniform(lo, hi, shape) + 1j * rng.uniform(lo, hi, shape)).astype(dt)
    if dt.kind in "iu":
        return rng.integers(0, 8, shape).astype(dt)
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


def _random_sparse(
    rng: np.random.Generator,
    spec: TensorSpec,
    shape: tuple[int, ...],
    value_range: tuple[float, float],
) -> SparseValue:
    # Roughly half the cells set, in row-major order (as tf.sparse ops expect).
    cells = np.argwhere(rng.random(shape) < 0.5) if shape else np.zeros((0, 0), np.int64)
    values = random_values(rng, spec.dtype, (len(cells),), value_range, spec.name)
    return SparseValue(cells.astype(np.int64), values, np.asarray(shape, dtype=np.int64))


# ----------------------------------------------------------------------------------------------
# specs of a model run
# ----------------------------------------------------------------------------------------------


def input_specs_of(model: Any, inputs: Any = None, graph: Any = None) -> dict[str, TensorSpec]:
    """The input specs ``inputs`` designates (see :func:`sample` for the forms it takes)."""
    from .specs import Signature

    if isinstance(inputs, Mapping):
        return {str(k): v for k, v in inputs.items()}
    if isinstance(inputs, Signature):
        return dict(inputs.inputs)
    if inputs is None:
        if model.signatures:
            return dict(model.signature(None).inputs)
        from .runners import default_io

        inputs = default_io(model)[0]
    if isinstance(inputs, str):
        if inputs in model.signatures:
            return dict(model.signature(inputs).inputs)
        inputs = [inputs]
    return tensor_specs(model, list(inputs), graph)


def tensor_specs(model: Any, names: list[str], graph: Any = None) -> dict[str, TensorSpec]:
    """Canonical tensor name (``op:idx``) -> :class:`TensorSpec` read from the imported graph.

    ``graph`` is a ``tf.Graph`` the model was imported into; a fresh one is made when omitted.
    """
    from ._tf import tf
    from .errors import TensorNotFoundError

    if graph is None:
        from .session import import_into

        graph = tf().Graph()
        import_into(model, graph)
    out = {}
    for name in names:
        canon = name if ":" in name else f"{name}:0"
        try:
            t = graph.get_tensor_by_name(canon)
        except (KeyError, ValueError):
            raise TensorNotFoundError(
                f"tensor {name!r} is not in {model.path}: browse model.catalog() or "
                "explorer.suggest(model) for names"
            ) from None
        shape = None if t.shape.rank is None else tuple(t.shape.as_list())
        out[canon] = TensorSpec(canon, t.dtype.name, shape)
    return out
