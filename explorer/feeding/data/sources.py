"""``explorer.data(...)``: lazy batches of feeds from the user's own data (``for batch in
explorer.data("eval/*.tfrecord.gz").batches(runner.input_specs, model)``); bad data raises
DataError naming the file, the record (0-based) and feature. Readers: arrays; CSV; images
(decoded, resized bilinearly; a string input gets the bytes); TFRecord of ``tf.Example`` per input
**serialized**, **parsed** (a parse op's output, by its own kernel: :class:`ParseSpec`) or
**feature** (an input named like one)."""

from __future__ import annotations

import csv
import glob
import itertools
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from explorer._tf import tf
from explorer.errors import DataError, FeedError, first_line
from explorer.feeding.feeds import (
    Feeds,
    SparseValue,
    as_sparse,
    bytes_array,
    fmt_spec,
    is_sparse_like,
    numpy_dtype,
)
from explorer.feeding.sampling import LIST_OF, Context, Feature, dtype_names, parse_features
from explorer.feeding.shape_inference import resolve_key
from explorer.graph.index import graph_index
from explorer.graph.inputs import example_keys
from explorer.graph.names import op_name, tensor_name
from explorer.graph.op_families import FEATURE_PASS_OPS, PARSE_EXAMPLE_OPS, SEQUENCE_PARSE_OPS
from explorer.graph.specs import TensorSpec

if TYPE_CHECKING:
    from tensorflow.core.framework.node_def_pb2 import NodeDef

    from explorer.loading.model import V1Model

DEFAULT_BATCH_SIZE = 64
SUMMARY_CHARS = 240  # the length of a summary of an example's inputs
IMAGE_EXT = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


@dataclass
class Batch:
    """``feeds`` (input key -> value, ``rows`` along axis 0), ``start`` (source index of row 0),
    ``where`` per row (``f.tfrecord#17``, ``data.csv:19``), ``summarise`` (row -> a line of its
    inputs), ``notes`` (what reading decided, shown once)."""

    feeds: dict[str, Any]
    start: int
    where: list[str]
    summarise: Callable[[int], str] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.where)

    def summary(self, row: int) -> str:
        """A line summarising the inputs of ``row`` (this batch's numbering)."""
        if self.summarise is not None:
            return self.summarise(row)
        return clip("; ".join(f"{k}: {summarise_value(v, row)}" for k, v in self.feeds.items()))


@dataclass(eq=False, repr=False)
class DataSource:
    """Where the data is (``paths``) and how to read it (``batch_size``, ``limit``, ``key``: the
    input fed); subclasses implement ``_batches`` and ``describe``."""

    paths: list[Path] = field(default_factory=list)
    batch_size: int = DEFAULT_BATCH_SIZE
    limit: int | None = None
    key: str | None = None
    kind = "arrays"

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise DataError(f"batch_size={self.batch_size}: give at least 1 record per batch")
        if self.limit is not None and self.limit < 1:
            raise DataError(f"limit={self.limit}: read at least one record (or None for all)")
        self.paths = list(self.paths)
        self.batch_size = int(self.batch_size)

    def describe(self) -> str:
        """One line: what is read and how."""
        return f"{self.kind} data"

    def _files(self) -> str:
        more = f" (+{len(self.paths) - 1} files)" if len(self.paths) > 1 else ""
        return f"{self.paths[0]}{more}"

    def _file(self, where: str) -> str:
        """The file a row's ``where`` (``name#17``, ``name:19``) names."""
        name = where.rsplit("#", 1)[0] if "#" in where else where.rpartition(":")[0]
        return next((str(p) for p in self.paths if p.name == name), name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"

    def batches(
        self,
        specs: Mapping[str, TensorSpec],
        model: Any = None,
        *,
        required: Iterable[str] | None = None,
    ) -> Iterator[Batch]:
        """Batches of feeds for ``specs``, at most ``limit`` rows; ``model``: its parse ops say how
        TFRecords are read; ``required``: keys the data must give. DataError."""
        cap = self.limit
        seen, required = 0, None if required is None else list(required)
        for batch in self._batches(dict(specs), model, required):
            if cap is not None and seen + batch.rows > cap:
                n = cap - seen
                feeds = {k: take_rows(v, 0, n) for k, v in batch.feeds.items()}
                batch = Batch(feeds, batch.start, batch.where[:n], batch.summarise, batch.notes)
            seen += batch.rows
            if batch.rows:
                yield batch
            if cap is not None and seen >= cap:
                return
        if seen == 0:
            raise DataError(f"{self.describe()} holds no records: nothing to feed")

    def _batches(
        self, specs: dict[str, TensorSpec], model: Any, required: list[str] | None
    ) -> Iterator[Batch]:
        raise NotImplementedError


def chunks(items: Iterable[Any], size: int) -> Iterator[tuple[int, list[Any]]]:
    """``(start, up to size items)`` over ``items``, in order."""
    it, start = iter(items), 0
    while pending := list(itertools.islice(it, size)):
        yield start, pending
        start += len(pending)


def rows_of(value: Any) -> int:
    """Rows along the first axis of a dense array or a SparseValue (its dense_shape[0])."""
    if isinstance(value, SparseValue):
        return int(value.dense_shape[0]) if len(value.dense_shape) else 1
    arr = np.asarray(value)
    return int(arr.shape[0]) if arr.ndim else 1


def take_rows(value: Any, start: int, stop: int) -> Any:
    """Rows ``start:stop`` of a dense array or a SparseValue (indices renumbered from 0)."""
    if isinstance(value, SparseValue):
        keep = (value.indices[:, 0] >= start) & (value.indices[:, 0] < stop)
        idx = value.indices[keep].copy()
        idx[:, 0] -= start
        shape = value.dense_shape.copy()
        shape[0] = max(0, min(stop, int(shape[0])) - start)
        return SparseValue(idx, value.values[keep], shape)
    arr = np.asarray(value)
    return arr[start:stop] if arr.ndim else arr


def summarise_value(value: Any, row: int, width: int = 80) -> str:
    """One row of a value: the values when short, else dtype/shape/range."""
    if isinstance(value, SparseValue):
        v = take_rows(value, row, row + 1)
        return f"sparse {list(v.values[:4])}" + ("…" if len(v.values) > 4 else "")
    arr = np.asarray(value)
    x = np.asarray(arr[row] if arr.ndim else arr)
    if x.dtype == object or x.dtype.kind in "SU":
        flat = [v[:40] if isinstance(v, (bytes, str)) else v for v in x.reshape(-1)[:3]]
        text = ", ".join(repr(v) for v in flat) + (", …" if x.size > 3 else "")
    elif x.size <= 6:
        vals = ", ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in x.ravel().tolist())
        text = f"[{vals}]" if x.ndim else vals
    elif x.dtype.kind in "biuf":
        mean = x.astype(np.float64).mean()
        text = f"{x.dtype.name}{list(x.shape)} min {x.min():.4g} max {x.max():.4g} mean {mean:.4g}"
    else:
        text = f"{x.dtype.name}{list(x.shape)}"
    return clip(text, width)


def clip(text: str, width: int = SUMMARY_CHARS) -> str:
    """``text`` cut to ``width`` characters (ending in ``…``)."""
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass
class ParseSpec:
    """What a ``ParseExample``-like op of the graph reads, runnable on records eagerly."""

    op_type: str
    op_name: str
    feats: list[Feature]
    ragged_split_types: list[str]

    @property
    def label(self) -> str:
        return f"{self.op_type} {self.op_name!r}"

    def features(self) -> dict[str, tuple[str, str, tuple[int, ...] | None, bool]]:
        """Feature key -> (kind, dtype, dense shape, required: dense with an empty default)."""
        out = {}
        for f in self.feats:
            dense = f.kind == "dense"
            required = dense and f.default is not None and f.default.size == 0
            out[f.key] = (f.kind, f.dtype, f.shape if dense else None, required)
        return out

    def run(self, serialized: np.ndarray, names: list[str] | None = None) -> list[np.ndarray]:
        """The op's outputs (numpy, in output order) on a batch of serialized records."""
        kind = {k: [f for f in self.feats if f.kind == k] for k in ("sparse", "dense", "ragged")}
        outs = tf().raw_ops.ParseExampleV2(
            serialized=tf().constant(serialized, dtype=tf().string),
            names=tf().constant(names or [], dtype=tf().string),
            **{
                f"{k}_keys": tf().constant([f.key for f in v], dtype=tf().string)
                for k, v in kind.items()
            },
            dense_defaults=[tf().constant(f.default, dtype=f.dtype) for f in kind["dense"]],
            num_sparse=len(kind["sparse"]),
            sparse_types=[f.dtype for f in kind["sparse"]],
            ragged_value_types=[f.dtype for f in kind["ragged"]],
            ragged_split_types=self.ragged_split_types,
            dense_shapes=[list(f.shape) for f in kind["dense"]],
        )
        return [x.numpy() for g in outs for x in (g if isinstance(g, list) else [g])]

    def outputs_per_feature(self) -> dict[int, tuple[str, str]]:
        """Output index -> (feature key, ``indices``/``values``/``shape``/``dense``/...)."""
        ns = sum(f.kind == "sparse" for f in self.feats)
        nr = sum(f.kind == "ragged" for f in self.feats)
        out: dict[int, tuple[str, str]] = {}
        for f in self.feats:
            if f.kind == "sparse":
                out[f.output - ns], out[f.output + ns] = (f.key, "indices"), (f.key, "shape")
            part = {"sparse": "values", "dense": "dense"}.get(f.kind, "ragged_values")
            out[f.output] = (f.key, part)
            if f.kind == "ragged":
                out[f.output + nr] = (f.key, "row_splits")
        return out


def parse_spec(model: V1Model, node: NodeDef) -> ParseSpec:
    """The :class:`ParseSpec` of an example parse op (DataError: keys or defaults not constant)."""
    ctx = Context(model, graph_index(model.graph_def))
    t = node.op

    def const(inp: str) -> np.ndarray:
        if (v := ctx.const(inp)) is None:
            raise DataError(
                f"{t} {node.name!r} takes {inp!r}, which is not a constant of the graph: its "
                "records cannot be parsed outside the graph; feed the parse op's outputs"
            )
        return np.asarray(v)

    feats = parse_features(node, *example_keys(node, const)) if t in PARSE_EXAMPLE_OPS else None
    if feats is None:
        raise DataError(f"{t} {node.name!r} is not an example parse op explorer can run")
    # Where the dense defaults start among the inputs (ParseExample: after the keys; no ragged).
    first = {"ParseExampleV2": 5, "ParseSingleExample": 1}.get(t, 2 + len(feats))
    for i, f in enumerate(d for d in feats if d.kind == "dense"):
        f.default = const(node.input[first + i])
    return ParseSpec(t, node.name, feats, dtype_names(node, "ragged_split_types"))


def parser_of(model: V1Model, tensor: str) -> Any | None:
    """The parse op (NodeDef) that reads string tensor ``tensor``, through pass-through ops."""
    for node, index in graph_index(model.graph_def).readers(tensor, FEATURE_PASS_OPS):
        if node.op in PARSE_EXAMPLE_OPS | SEQUENCE_PARSE_OPS and index == 0:
            return node
    return None


def producer_of(model: V1Model, tensor: str) -> tuple[Any, int] | None:
    """``(parse op NodeDef, output index)`` when ``tensor`` is (an Identity of) its output."""
    nodes = graph_index(model.graph_def).nodes
    name = tensor_name(tensor)
    for _ in range(8):
        op, _, idx = name.rpartition(":")
        if (node := nodes.get(op)) is None:
            return None
        if node.op in PARSE_EXAMPLE_OPS - {"ParseSingleExample"}:
            return node, int(idx)
        if node.op not in FEATURE_PASS_OPS or not node.input or node.input[0].startswith("^"):
            return None
        name = tensor_name(node.input[0])
    return None


def diagnose(record: bytes, spec: ParseSpec | None, sequence: bool = False) -> str | None:
    """What is wrong with a record for ``spec`` (``None``: nothing found)."""
    from google.protobuf.message import DecodeError

    cls = tf().train.SequenceExample if sequence else tf().train.Example
    try:
        ex = cls.FromString(record)
    except DecodeError as e:
        what = "tf.SequenceExample" if sequence else "tf.Example"
        return f"does not parse as a {what} ({str(e)[:80] or 'DecodeError'})"
    if spec is None or sequence:
        return None
    feats = ex.features.feature
    for key, (kind, dtype, shape, required) in spec.features().items():
        f = feats.get(key)
        which = f.WhichOneof("kind") if f is not None else None
        if which is None and required:
            if f is None:
                return (
                    f"feature {key!r} is missing; {spec.label} needs it ({kind} {dtype}"
                    f"{list(shape or ())}, no default)"
                )
            return f"feature {key!r} is empty; {spec.label} needs {dtype}{list(shape or ())}"
        if which is None:
            continue
        if which != LIST_OF[dtype]:
            return f"feature {key!r} holds a {which}, {spec.label} reads {dtype} ({LIST_OF[dtype]})"
        if kind == "dense" and shape is not None and all(d >= 0 for d in shape):
            n = len(getattr(f, which).value)
            if n != (want := math.prod(shape)):
                return (
                    f"feature {key!r} has {n} values, {spec.label} reads {dtype}{list(shape)} "
                    f"({want} values)"
                )
    return None


def summarise_record(record: bytes, sequence: bool = False) -> str:
    """``key: values; ...`` of a serialized tf.Example, about SUMMARY_CHARS long."""
    try:
        if sequence:
            ex = tf().train.SequenceExample.FromString(record)
            ctx = _feature_text(ex.context.feature)
            fls = ex.feature_lists.feature_list
            lists = ", ".join(f"{k}[{len(v.feature)}]" for k, v in fls.items())
            text = f"{ctx}; lists: {lists}" if lists else ctx
        else:
            text = _feature_text(tf().train.Example.FromString(record).features.feature)
    except Exception:  # noqa: BLE001 - a summary never fails the report
        text = f"{len(record)} bytes (not a tf.Example)"
    return clip(text)


def _feature_text(feats: Any) -> str:
    parts = []
    for key in sorted(feats):
        f = feats[key]
        which = f.WhichOneof("kind")
        vals = list(getattr(f, which).value) if which else []
        shown = [
            v[:24] if isinstance(v, bytes) else (round(v, 4) if isinstance(v, float) else v)
            for v in vals[:3]
        ]
        text = ", ".join(repr(v) for v in shown) + (", …" if len(vals) > 3 else "")
        parts.append(f"{key}: {text or '-'}")
    return "; ".join(parts)


_FIX = "fix or drop the record"
COMPRESSED = {".gz": "GZIP", ".zlib": "ZLIB", ".zz": "ZLIB"}  # what ``auto`` reads


def compression_of(path: Path, compression: str | None) -> str:
    """``GZIP``, ``ZLIB`` or ``""`` for a file, ``auto`` decided by its extension."""
    if (c := (compression or "").upper()) == "AUTO":
        return COMPRESSED.get(path.suffix.lower(), "")
    if c not in ("", "NONE", "GZIP", "ZLIB"):
        raise DataError(f"compression={compression!r}: choose GZIP, ZLIB, None or auto")
    return "" if c == "NONE" else c


def read_records(path: Path, compression: str) -> Iterator[bytes]:
    """The records of a TFRecord file (DataError: the record where it is damaged)."""
    from tensorflow.python.lib.io import tf_record
    from tensorflow.python.util import deprecation

    options = tf_record.TFRecordOptions(compression) if compression else None
    n = 0
    try:
        with deprecation.silence():
            it = tf_record.tf_record_iterator(str(path), options=options)
        for rec in it:
            yield rec
            n += 1
    except (tf().errors.DataLossError, tf().errors.OpError) as e:
        guess = "" if compression else _guess_compression(path)
        hint = "the file is truncated or damaged; rewrite it or drop the damaged part"
        if guess:
            hint = f"it looks {guess}-compressed: pass compression={guess!r} (CLI: --compression)"
        raise DataError(f"{path}: record {n} cannot be read ({first_line(e)}): {hint}") from None


def _guess_compression(path: Path) -> str:
    """``GZIP`` or ``ZLIB`` when the file starts like one, else ``""``."""
    with open(path, "rb") as f:
        head = f.read(2)
    if head == b"\x1f\x8b":
        return "GZIP"
    if len(head) == 2 and head[0] == 0x78 and (head[0] * 256 + head[1]) % 31 == 0:
        return "ZLIB"
    return ""


@dataclass
class _Plan:
    """How each input key is read from the records (``checker``: checks serialized ones)."""

    serialized: dict[str, TensorSpec] = field(default_factory=dict)
    parsed: dict[str, tuple[ParseSpec, list[int]]] = field(default_factory=dict)
    features: dict[str, str] = field(default_factory=dict)
    checker: ParseSpec | None = None
    sequence: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass(eq=False, repr=False)
class TFRecordSource(DataSource):
    """Records of TFRecord files (the module docstring says how they reach the inputs)."""

    compression: str | None = "auto"
    kind = "tfrecord"

    def __post_init__(self) -> None:
        super().__post_init__()
        for p in self.paths:
            compression_of(p, self.compression)  # refuse a bad compression name now

    def describe(self) -> str:
        comp = sorted({compression_of(p, self.compression) or "uncompressed" for p in self.paths})
        return f"TFRecord {self._files()}, {'/'.join(comp)}"

    def records(self) -> Iterator[tuple[str, bytes]]:
        """``(where, record)`` over every file in order, ``where`` = ``name#number``."""
        for p in self.paths:
            for i, rec in enumerate(read_records(p, compression_of(p, self.compression))):
                yield f"{p.name}#{i}", rec

    def _plan(
        self, specs: dict[str, TensorSpec], model: V1Model, required: list[str] | None, first: bytes
    ) -> _Plan:
        if model is None:
            raise DataError(
                "TFRecord data needs the model (its parse ops say how records are read)"
            )
        plan = _Plan()
        try:
            names_in_record = set(tf().train.Example.FromString(first).features.feature)
        except Exception:  # noqa: BLE001 - not an Example: no feature names
            names_in_record = set()
        for key, spec in specs.items():
            string = spec.kind == "dense" and spec.dtype == "string"
            node = parser_of(model, spec.name) if string else None
            if string and (key == self.key or (self.key is None and node is not None)):
                if plan.serialized:
                    raise DataError(
                        f"inputs {next(iter(plan.serialized))!r} and {key!r} both take serialized "
                        "examples: pass key= (CLI: --data-key) naming the one the records feed"
                    )
                plan.serialized[key] = spec
                how = "as they are (no parse op reads it)"
                if node is not None and node.op in SEQUENCE_PARSE_OPS:
                    plan.sequence = True
                    how = f"as serialized tf.SequenceExample to {node.op} {node.name!r}"
                elif node is not None:
                    plan.checker = parse_spec(model, node)
                    how = "as serialized tf.Example, each batch checked with the spec of "
                    how += plan.checker.label
                plan.notes.append(f"{key}: records fed {how}")
                continue
            comps = [c for c in (spec.components if spec.kind == "sparse" else (spec.name,)) if c]
            prod = [producer_of(model, c) for c in comps]
            if comps and all(prod) and len({p[0].name for p in prod}) == 1:
                ps = parse_spec(model, prod[0][0])
                plan.parsed[key] = (ps, [p[1] for p in prod])
                feat = ps.outputs_per_feature().get(prod[0][1], ("?", ""))[0]
                plan.notes.append(
                    f"{key}: feature {feat!r} parsed from the records with the spec of {ps.label}"
                )
                continue
            for cand in (key, op_name(spec.name), op_name(spec.name).rsplit("/", 1)[-1]):
                if cand in names_in_record:
                    plan.features[key] = cand
                    plan.notes.append(
                        f"{key}: feature {cand!r} of the records, parsed as {fmt_spec(spec)}"
                    )
                    break
        read = set(plan.serialized) | set(plan.parsed) | set(plan.features)
        if missing := [k for k in (required or []) if k not in read]:
            k = missing[0]
            raise DataError(
                f"{self.paths[0]}: nothing in the records feeds input {k!r} ({specs[k].name} "
                f"{fmt_spec(specs[k])}): it is not a string input a parse op reads, not a parse "
                f"op output, and the records have no feature named {k!r} (they have "
                f"{', '.join(sorted(names_in_record)[:8]) or 'none'})"
            )
        if not read:
            raise DataError(
                f"{self.paths[0]}: the records feed none of the inputs ({', '.join(specs)}): "
                "choose the signature that takes serialized tf.Example, or inputs named like "
                "the records' features"
            )
        return plan

    def _batches(self, specs, model, required):  # noqa: ANN001 - see DataSource._batches
        it = self.records()
        if (first := next(it, None)) is None:
            return
        plan = self._plan(specs, model, required, first[1])
        scalar = any(s.shape == () for s in plan.serialized.values())
        size = 1 if scalar else self.batch_size
        for start, chunk in chunks(itertools.chain([first], it), size):
            notes = list(plan.notes) if start == 0 else []
            yield self._batch(chunk, start, plan, specs, notes, scalar)

    def _batch(self, items, start, plan: _Plan, specs, notes, scalar) -> Batch:  # noqa: ANN001
        where = [w for w, _ in items]
        recs = bytes_array(r for _, r in items)
        if plan.checker is not None:
            self._parse(recs, where, plan.checker)
        for w, r in zip(where, recs) if plan.sequence else ():
            if bad := diagnose(r, None, sequence=True):
                raise DataError(f"{self._file(w)}: record {w.rsplit('#', 1)[1]}: {bad}: {_FIX}")
        feeds: dict[str, Any] = {}
        for key, spec in plan.serialized.items():
            column = spec.shape is not None and len(spec.shape) == 2 and spec.shape[1] in (1, None)
            feeds[key] = recs.reshape(()) if scalar else recs.reshape(-1, 1) if column else recs
        cache: dict[str, list[np.ndarray]] = {}
        for key, (ps, index) in plan.parsed.items():
            if ps.op_name not in cache:
                cache[ps.op_name] = self._parse(recs, where, ps)
            outs = cache[ps.op_name]
            sparse = specs[key].kind == "sparse"
            feeds[key] = SparseValue(*(outs[i] for i in index)) if sparse else outs[index[0]]
        if plan.features:
            feeds.update(self._features(plan.features, specs, recs, where))
        seq = plan.sequence
        return Batch(feeds, start, where, lambda row: summarise_record(recs[row], seq), notes)

    def _parse(self, recs: np.ndarray, where: list[str], spec: ParseSpec) -> list[np.ndarray]:
        """``spec.run(recs)``; DataError naming the first bad record when TF refuses the batch."""
        refused = (tf().errors.OpError, UnicodeDecodeError)  # TF may fail to decode its message
        try:
            return spec.run(recs)
        except refused as e:
            batch_error = first_line(e)
        for w, r in zip(where, recs):
            if (bad := diagnose(r, spec)) is None:
                try:
                    spec.run(np.asarray([r], dtype=object))
                    continue
                except refused as e:
                    bad = f"is refused by {spec.label} ({first_line(e)})"
            raise DataError(f"{self._file(w)}: record {w.rsplit('#', 1)[1]}: {bad}: {_FIX}")
        raise DataError(
            f"{self._file(where[0])}: a record of the batch from here is refused by "
            f"{spec.label} ({batch_error})"
        )

    def _features(
        self, features: dict[str, str], specs: dict[str, TensorSpec], recs: Any, where: list[str]
    ) -> dict[str, Any]:
        """Features read by name (input key -> feature key), parsed by each input's spec."""
        by_name: dict[str, Feature] = {}
        for key, fk in features.items():
            spec, kind = specs[key], numpy_dtype(specs[key].dtype).kind
            dtype = "string" if kind == "O" else "float32" if kind in "fc" else "int64"
            if spec.kind == "sparse" or spec.shape is None:
                by_name[fk] = Feature(fk, "sparse", dtype)
            elif None in spec.shape[1:]:
                raise DataError(
                    f"input {key!r} is {fmt_spec(spec)}: a dense feature needs known dims "
                    "after the batch; feed the serialized examples instead"
                )
            else:
                required = np.zeros(0, numpy_dtype(dtype))  # an empty default: no default
                by_name[fk] = Feature(fk, "dense", dtype, tuple(spec.shape[1:]), default=required)
        feats = sorted(by_name.values(), key=lambda f: f.kind == "dense")  # the op's order
        ns = sum(f.kind == "sparse" for f in feats)
        for i, f in enumerate(feats):
            f.output = ns + i if f.kind == "sparse" else 2 * ns + i
        outs = self._parse(recs, where, ParseSpec("ParseExampleV2", "by input name", feats, []))
        out: dict[str, Any] = {}
        for key, fk in features.items():
            f, want = by_name[fk], numpy_dtype(specs[key].dtype)
            v = outs[f.output] if want.kind == "O" else outs[f.output].astype(want)
            if f.kind == "sparse":
                sv = SparseValue(outs[f.output - ns], v, outs[f.output + ns])
                dense = specs[key].kind != "sparse"
                v = sv.to_dense(b"" if want.kind == "O" else 0) if dense else sv
            out[key] = v
        return out


KINDS = ("tfrecord", "csv", "images", "npz", "npy", "arrays")
_TFRECORD_EXT = (".tfrecord", ".tfrecords", ".tfr", ".records", ".record")
DECODER = "TensorFlow (tf.io.decode_image, tf.image.resize bilinear)"
_INDEXED = re.compile(r"(.+?)(?:\[(\d+)\]|_(\d+))")
_BOOLS = dict.fromkeys(("1", "true", "t", "yes", "y"), True)
_BOOLS |= dict.fromkeys(("0", "false", "f", "no", "n"), False)


@dataclass(eq=False, repr=False)
class ArraySource(DataSource):
    """Arrays sliced along axis 0: a dict, an ``.npz`` or one ``.npy`` (memory-mapped)."""

    arrays: Mapping[str, Any] | None = None
    kind: str = "arrays"

    def describe(self) -> str:
        if self.paths:
            return f"{self.kind} {self.paths[0]}"
        return f"arrays {', '.join(sorted(self.arrays or {}))}"

    def _open(self, specs: Mapping[str, TensorSpec]) -> Mapping[str, Any]:
        if self.arrays is not None:
            return {str(k): v for k, v in self.arrays.items()}
        path = self.paths[0]
        if self.kind == "npy" and self.key is None and len(specs) != 1:
            raise DataError(
                f"{path}: one array for {len(specs)} inputs ({', '.join(sorted(specs))}): pass "
                "key= (CLI: --data-key) naming the input it feeds, or give an .npz with one "
                "array per input"
            )
        try:
            if self.kind == "npy":
                arr = np.load(path, mmap_mode="r", allow_pickle=False)
                return {self.key or next(iter(specs)): arr}
            return Feeds.load(path)
        except FeedError as e:
            raise DataError(str(e)) from None
        except (OSError, ValueError) as e:
            raise DataError(
                f"{path}: cannot read ({str(e).splitlines()[0][:160]}): give an .npy/.npz "
                "written by numpy (np.save/np.savez, no object arrays) or Feeds.save"
            ) from None

    def _batches(self, specs, model, required):  # noqa: ANN001 - see DataSource._batches
        arrays = self._open(specs)
        where0 = self.paths[0].name if self.paths else "arrays"
        keyed: dict[str, Any] = {}
        for k, v in arrays.items():
            if (rk := resolve_key(k, specs)) is None:
                known = ", ".join(sorted(specs)) or "none"
                raise DataError(
                    f"{where0}: {k!r} is not an input of this model run: inputs are {known}"
                )
            keyed[rk] = as_sparse(v) if is_sparse_like(v) else v
        if missing := [k for k in (required or []) if k not in keyed]:
            raise DataError(
                f"{where0}: no values for input {missing[0]!r} ({fmt_spec(specs[missing[0]])}): "
                f"add it (the data has {', '.join(sorted(keyed)) or 'nothing'})"
            )
        if not keyed:
            raise DataError(f"{where0}: no arrays to feed")
        (first, n), *rest = ((k, rows_of(v)) for k, v in keyed.items())
        for k, c in rest:
            if c != n:
                raise DataError(
                    f"{where0}: {k!r} has {c} rows but {first!r} has {n}: give every input the "
                    "same number of examples along the first axis"
                )
        for start in range(0, n, self.batch_size):
            stop = min(n, start + self.batch_size)
            rows = {k: take_rows(v, start, stop) for k, v in keyed.items()}
            # np.array: a memory-mapped slice, read now
            feeds = {k: v if isinstance(v, SparseValue) else np.array(v) for k, v in rows.items()}
            yield Batch(feeds, start, [f"{where0}[{i}]" for i in range(start, stop)])


@dataclass(eq=False, repr=False)
class ImageSource(DataSource):
    """Image files (a folder, a glob or a list) decoded for one image input."""

    image_size: tuple[int, int] | None = None
    value_range: tuple[float, float] | None = None
    kind = "images"

    def __post_init__(self) -> None:
        files: list[Path] = []
        for p in self.paths:
            if p.is_dir():
                files.extend(sorted(f for f in p.iterdir() if f.suffix.lower() in IMAGE_EXT))
            else:
                files.append(p)
        if not files:
            raise DataError(f"{self.paths[0]}: no image files ({', '.join(IMAGE_EXT)})")
        self.paths = files
        super().__post_init__()
        self.image_size = tuple(self.image_size) if self.image_size else None
        self.value_range = tuple(self.value_range) if self.value_range else None

    def describe(self) -> str:
        return f"{len(self.paths)} images in {self.paths[0].parent}, decoded by {DECODER}"

    def _target(self, specs: Mapping[str, TensorSpec]) -> tuple[str, TensorSpec]:
        if self.key is not None:
            if self.key not in specs:
                raise DataError(f"key={self.key!r} is not an input: inputs are {', '.join(specs)}")
            return self.key, specs[self.key]
        dense = [(k, s) for k, s in specs.items() if s.kind == "dense" and s.shape is not None]
        found = [(k, s) for k, s in dense if len(s.shape) in (3, 4)]
        flat = [(k, s) for k, s in dense if len(s.shape) == 2 and s.dtype != "string"]
        if len(found) == 1 or (not found and len(flat) == 1 and self.image_size):
            return (found or flat)[0]
        inputs = ", ".join(f"{k} {fmt_spec(s)}" for k, s in specs.items())
        raise DataError(
            f"cannot tell which input the images feed ({inputs}): pass key= (CLI: --data-key), "
            "and image_size=(H, W) for a flat input"
        )

    def _geometry(self, key: str, spec: TensorSpec) -> tuple[int, int, int, tuple[int, ...]]:
        """(height, width, channels, per-image feed shape)."""
        if len(shape := list(spec.shape or ())) not in (3, 4):
            if not self.image_size:
                raise DataError(f"input {key!r} is flat {fmt_spec(spec)}: pass image_size=(H, W)")
            h, w = self.image_size
            n = shape[1]
            c = (n // (h * w)) if n else 1
            if n is not None and h * w * c != n:
                raise DataError(
                    f"input {key!r} {fmt_spec(spec)} is not {h}x{w} pixels times 1, 3 or 4 "
                    "channels: check image_size"
                )
            return h, w, c, (h * w * c,)
        h, w = self.image_size or shape[1:3]
        c = (shape[3] or 3) if len(shape) == 4 else 1
        if h is None or w is None:
            raise DataError(
                f"input {key!r} is {fmt_spec(spec)} (height/width unknown): pass image_size=(H, W)"
            )
        if c not in (1, 3, 4):
            raise DataError(
                f"input {key!r} {fmt_spec(spec)} has {c} channels: images have 1, 3 or 4"
            )
        return h, w, c, ((h, w, c) if len(shape) == 4 else (h, w))

    def _batches(self, specs, model, required):  # noqa: ANN001 - see DataSource._batches
        key, spec = self._target(specs)
        if others := [k for k in (required or []) if k != key]:
            raise DataError(
                f"images feed only {key!r}; input {others[0]!r} ({fmt_spec(specs[others[0]])}) has "
                "no data: give it with an .npz or choose inputs without it"
            )
        raw = spec.dtype == "string"
        geometry = None if raw else self._geometry(key, spec)
        scaled = f"values scaled to {self.value_range}" if self.value_range else "values 0..255"
        size = "x".join(map(str, geometry[:3])) if geometry else ""
        how = "image file bytes, as they are" if raw else f"images decoded by {DECODER} to {size}"
        notes = [f"{key}: {how}" + ("" if raw else f", {scaled}")]
        for start, files in chunks(self.paths, self.batch_size):
            if raw:
                arr = bytes_array(f.read_bytes() for f in files)
                info = [f"{f.name}, {len(a)} bytes" for f, a in zip(files, arr)]
            else:
                arr, info = self._decode(files, spec, geometry)
            yield Batch({key: arr}, start, [f.name for f in files], info.__getitem__, notes)
            notes = []

    def _decode(
        self, files: list[Path], spec: TensorSpec, geometry: Any
    ) -> tuple[np.ndarray, list[str]]:
        h, w, c, per = geometry
        want = numpy_dtype(spec.dtype)
        out = np.empty((len(files), *per), dtype=want)
        info = []
        for i, f in enumerate(files):
            try:
                img = tf().io.decode_image(f.read_bytes(), channels=c, expand_animations=False)
            except (tf().errors.OpError, OSError) as e:
                raise DataError(
                    f"{f}: image {self.paths.index(f)} does not decode ({first_line(e)}): "
                    "replace or remove the file"
                ) from None
            src = tuple(int(d) for d in img.shape)
            x = tf().image.resize(tf().cast(img, tf().float32), (h, w), method="bilinear").numpy()
            if self.value_range is not None and want.kind in "fc":
                lo, hi = self.value_range
                x = lo + x * ((hi - lo) / 255.0)
            if want.kind in "iu":
                x = np.clip(np.rint(x), 0, 255)
            out[i] = x.reshape(per).astype(want)
            info.append(f"{f.name}: {src[1]}x{src[0]}x{src[2]} -> {w}x{h}x{c}, mean {x.mean():.4g}")
        return out, info


@dataclass(eq=False, repr=False)
class CsvSource(DataSource):
    """CSV rows (one header): a column feeds the input it names (or ``columns=``; ``key[0]``.. for
    ``[batch, k]``); a string input a parse op reads gets a tf.Example per row."""

    columns: Mapping[str, str] = field(default_factory=dict)
    kind = "csv"

    def describe(self) -> str:
        return f"CSV {self._files()}"

    def _layout(
        self,
        header: list[str],
        specs: Mapping[str, TensorSpec],
        path: Path,
        required: list[str] | None,
        model: Any = None,
    ) -> tuple[dict[str, Any], list[str]]:
        """Input key -> column positions (in element order); the columns left unused."""
        names = {self.columns.get(h, h).strip(): i for i, h in enumerate(header)}
        found = _named(names, lambda name: _resolve(name, specs))
        layout: dict[str, Any] = {}
        for key in (k for k in specs if k in found):
            spec = specs[key]
            two = spec.shape is not None and len(spec.shape) == 2 and spec.shape[1] is not None
            width = int(spec.shape[1]) if two else 1
            if spec.kind != "dense":
                raise DataError(
                    f"{path}: input {key!r} is sparse ({fmt_spec(spec)}): a CSV cannot hold it; "
                    "give it as TFRecord tf.Example or as .npz/arrays"
                )
            layout[key] = _columns(found[key], width)
            if layout[key] is None:
                raise DataError(
                    f"{path}: input {key!r} is {fmt_spec(spec)} ({width} values per row) but the "
                    f"header gives other columns for it: name them {key}[0] .. {key}[{width - 1}]"
                    if width > 1
                    else f"{path}: input {key!r} is {fmt_spec(spec)}: give it one column "
                    f"named {key!r}"
                )
        for key, spec in specs.items():
            if key not in layout and model is not None and spec.dtype == "string":
                node = parser_of(model, spec.name)
                if node is not None and node.op in PARSE_EXAMPLE_OPS:
                    built = _ExampleColumns.of(names, parse_spec(model, node), path)
                    if built is not None:
                        layout[key] = built
        for key in [k for k in required or [] if k not in layout]:
            raise DataError(
                f"{path}: no column for input {key!r} ({specs[key].name} {fmt_spec(specs[key])}): "
                f"the header has {', '.join(header) or 'nothing'}; name a column {key!r} or pass "
                "columns={'your column': key}"
            )
        if not layout:
            raise DataError(
                f"{path}: no column names an input ({', '.join(specs)}); the header has "
                f"{', '.join(header) or 'nothing'}: rename the columns or pass columns="
            )
        cols = [
            v.columns.values() if isinstance(v, _ExampleColumns) else [v] for v in layout.values()
        ]
        used = {p for ps in cols for c in ps for p in c}
        return layout, [h for i, h in enumerate(header) if i not in used]

    def _rows(
        self, specs: Mapping[str, TensorSpec], required: list[str] | None, model: Any = None
    ) -> Iterator[tuple[str, list[str], dict[str, Any], list[str]]]:
        layout0: dict[str, Any] | None = None
        for path in self.paths:
            try:
                f = open(path, newline="", encoding="utf-8")  # noqa: SIM115 - closed below
            except OSError as e:
                raise DataError(f"{path}: cannot read ({e.strerror})") from None
            with f:
                reader = csv.reader(f)
                try:
                    header = next(reader)
                except StopIteration:
                    raise DataError(
                        f"{path} is empty: a CSV needs a header row naming the inputs"
                    ) from None
                except (csv.Error, UnicodeDecodeError) as e:
                    raise DataError(f"{path}: line 1: not CSV text ({e})") from None
                layout, unused = self._layout(header, specs, path, required, model)
                if layout0 is not None and layout != layout0:
                    raise DataError(
                        f"{path}: its header differs from {self.paths[0].name}'s: give files "
                        "with one header"
                    )
                layout0 = layout
                line = 1
                try:
                    for row in reader:
                        line = reader.line_num
                        if not row:
                            continue
                        if len(row) != len(header):
                            raise DataError(
                                f"{path}: line {line}: {len(row)} cells, the header has "
                                f"{len(header)}: fix the row"
                            )
                        yield f"{path.name}:{line}", row, layout, unused
                except (csv.Error, UnicodeDecodeError) as e:
                    raise DataError(f"{path}: line {line + 1}: not CSV text ({e})") from None

    def _batches(self, specs, model, required):  # noqa: ANN001 - see DataSource._batches
        for start, chunk in chunks(self._rows(specs, required, model), self.batch_size):
            _, _, layout, unused = chunk[0]  # every file has the first one's layout
            built = [v.describe() for v in layout.values() if isinstance(v, _ExampleColumns)]
            notes = [f"CSV columns fed: {', '.join(layout)}", *built]
            notes += [f"CSV columns not fed: {', '.join(unused)}"] if unused else []
            items = [(where, row) for where, row, _, _ in chunk]
            yield self._batch(items, start, layout, specs, notes if start == 0 else [])

    def _batch(self, items, start, layout, specs, notes) -> Batch:  # noqa: ANN001
        feeds: dict[str, Any] = {}
        summaries = None
        for key, positions in layout.items():
            spec = specs[key]
            if isinstance(positions, _ExampleColumns):
                feeds[key] = positions.serialized(items, self._file)
                summaries = positions
                continue
            want = numpy_dtype(spec.dtype)
            out = np.empty((len(items), len(positions)), dtype=want)
            for r, (where, row) in enumerate(items):
                for c, pos in enumerate(positions):
                    out[r, c] = _cell(row[pos], want, self._file(where), where, key, spec)
            feeds[key] = out.reshape(_shape(spec, len(items)))
        summarise = None if summaries is None else (lambda r: summaries.summary(items[r][1]))
        return Batch(feeds, start, [w for w, _ in items], summarise, notes)


def _named(names: Mapping[str, int], resolve: Callable[[str], str | None]) -> dict[str, Any]:
    """Key -> {element index (``None``: the whole value) -> column} for the columns ``names``
    (name -> column) calls ``key``, ``key[i]`` or ``key_i`` (``resolve``: name -> key)."""
    out: dict[str, dict[int | None, int]] = {}
    for name, pos in names.items():
        key, idx = resolve(name), None
        m = _INDEXED.fullmatch(name) if key is None else None  # x[2] or x_2
        if m:
            key, idx = resolve(m.group(1)), int(m.group(2) or m.group(3))
        if key is not None:
            out.setdefault(key, {})[idx] = pos
    return out


def _columns(found: Mapping[int | None, int], width: int) -> list[int] | None:
    """The columns of a value of ``width`` elements (see :func:`_named`), or ``None``."""
    if width == 1 and None in found:
        return [found[None]]
    if width > 1 and all(i in found for i in range(width)):
        return [found[i] for i in range(width)]
    return None


def _resolve(name: str, specs: Mapping[str, TensorSpec]) -> str | None:
    """The input key a column names: a key, a tensor name (``x`` for ``x:0``), an op name."""
    ops = (k for k, s in specs.items() if s.name.endswith(":0") and op_name(s.name) == name)
    return resolve_key(name, specs) or next(ops, None)


def _shape(spec: TensorSpec, rows: int) -> tuple[int, ...]:
    if spec.shape is None or len(spec.shape) == 1:
        return (rows,)
    return (rows, *(d or 1 for d in spec.shape[1:])) if spec.shape else ()


def _cell(text: str, want: np.dtype, path: str, where: str, key: str, spec: TensorSpec) -> Any:
    if want.kind == "O":
        return text.encode("utf-8")
    s = text.strip()
    try:
        if want.kind == "b":
            return _BOOLS[s.lower()]
        return int(s) if want.kind in "iu" else float(s)
    except (KeyError, ValueError):
        line = where.rpartition(":")[2]
        what = "an empty cell" if not s else repr(text[:40])
        raise DataError(
            f"{path}: line {line}: column for {'feature' if spec.shape is None else 'input'} "
            f"{key!r}: {what} is not a {spec.dtype}"
            + (f" (input {fmt_spec(spec)})" if spec.shape is not None else "")
            + ": fix the cell"
        ) from None


@dataclass
class _ExampleColumns:
    """Columns making a serialized tf.Example per row for a parse op's features."""

    spec: ParseSpec = field(compare=False)
    columns: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, names: dict[str, int], spec: ParseSpec, path: Path) -> _ExampleColumns | None:
        feats = spec.features()
        found = _named(names, lambda name: name if name in feats else None)
        columns: dict[str, list[int]] = {}
        for key, (kind, _dtype, shape, _required) in feats.items():
            width = int(np.prod(shape)) if kind == "dense" and shape else 1
            if (cols := _columns(found.get(key, {}), width)) is not None:
                columns[key] = cols
        if not columns:
            return None
        for key, (kind, dtype, shape, required) in feats.items():
            if required and key not in columns:
                raise DataError(
                    f"{path}: no column for feature {key!r} ({kind} {dtype}{list(shape or ())}, "
                    f"no default), which {spec.label} needs: add it to the CSV"
                )
        return cls(spec, columns)

    def describe(self) -> str:
        return f"a tf.Example per row for {self.spec.label} from columns {', '.join(self.columns)}"

    def serialized(
        self, items: list[tuple[str, list[str]]], file_of: Callable[[str], str]
    ) -> np.ndarray:
        feats = self.spec.features()
        out = np.empty(len(items), dtype=object)
        for r, (where, row) in enumerate(items):
            ex = tf().train.Example()
            for key, positions in self.columns.items():
                kind, dtype, shape, required = feats[key]
                cells = [row[p].strip() for p in positions]
                if all(c == "" for c in cells) and not (required and kind == "dense"):
                    continue  # no value: empty var-len feature, or the dense default
                want = numpy_dtype(dtype)
                spec = TensorSpec(key, dtype, None)
                values = [_cell(c, want, file_of(where), where, key, spec) for c in cells]
                kind_list = LIST_OF.get(dtype, "float_list")
                getattr(ex.features.feature[key], kind_list).value.extend(values)
            out[r] = ex.SerializeToString()
        return out

    def summary(self, row: list[str]) -> str:
        return clip(
            "; ".join(f"{k}: {', '.join(row[p] for p in ps)}" for k, ps in self.columns.items())
        )


def data(
    source: Any,
    *,
    kind: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    limit: int | None = None,
    key: str | None = None,
    compression: str | None = "auto",
    columns: Mapping[str, str] | None = None,
    image_size: tuple[int, int] | None = None,
    value_range: tuple[float, float] | None = None,
) -> DataSource:
    """A lazy, batched source of feeds. ``source``: paths or a glob (TFRecord, ``.csv``, images,
    ``.npz``/``.npy``), a dict of arrays or a :class:`DataSource`. ``kind``: one of :data:`KINDS`
    (default: by extension). ``batch_size``: records per batch; ``limit``: at most this many;
    ``key``: the input fed (images, ``.npy``, serialized examples) when several could be;
    ``compression``: GZIP/ZLIB/None/``auto`` (by extension); ``columns``: CSV column -> input;
    ``image_size``: ``(height, width)`` when the input's shape does not say; ``value_range``: the
    range image floats are scaled to (default: 0..255). DataError: no file, no match, bad kind."""

    if isinstance(source, DataSource):
        return source
    common = {"batch_size": batch_size, "limit": limit, "key": key}
    if isinstance(source, Mapping):
        return ArraySource(arrays=dict(source), **common)
    paths = _expand(source)
    if (kind := kind or _kind_of(paths)) not in KINDS:
        raise DataError(f"kind={kind!r}: choose one of {', '.join(KINDS)}")
    if kind == "tfrecord":
        return TFRecordSource(paths, compression=compression, **common)
    if kind == "csv":
        return CsvSource(paths, columns=dict(columns or {}), **common)
    if kind == "images":
        return ImageSource(paths, image_size=image_size, value_range=value_range, **common)
    if len(paths) != 1:
        raise DataError(f"{kind} data is one file, given {len(paths)}: pass one path")
    return ArraySource(paths, kind=kind, **common)


def _expand(source: Any) -> list[Path]:
    items = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    out: list[Path] = []
    for item in items:
        text = os.path.expanduser(str(item))
        if any(c in text for c in "*?["):
            if not (found := sorted(glob.glob(text, recursive=True))):
                raise DataError(f"no files match {text}: check the pattern and the folder")
            out.extend(Path(f) for f in found)
            continue
        if not (p := Path(text)).exists():
            raise DataError(f"{p} does not exist: point at a data file, a glob or a folder")
        images = p.is_dir() and any(
            f.suffix.lower() in IMAGE_EXT and f.is_file() for f in p.iterdir()
        )
        if p.is_dir() and not images:
            records = sorted(f for f in p.iterdir() if f.is_file() and _looks_tfrecord(f.name))
            if not records:
                raise DataError(
                    f"{p} is a folder with neither images ({', '.join(IMAGE_EXT)}) nor TFRecord "
                    "files: point at the data files"
                )
            out.extend(records)
            continue
        out.append(p)
    if not out:
        raise DataError("no data files given: pass a path, a glob or a list of paths")
    return out


def _looks_tfrecord(name: str) -> bool:
    """A TFRecord extension (then maybe ``.gz``), or ``tfrecord`` in the name (as TFX writes)."""
    low = name.lower()
    for suffix in COMPRESSED:
        low = low.removesuffix(suffix)
    return low.endswith(_TFRECORD_EXT) or "tfrecord" in low


def _kind_of(paths: list[Path]) -> str:
    p = paths[0]
    name = p.name.lower()
    if p.is_dir() or name.endswith(IMAGE_EXT):
        return "images"
    if p.suffix.lower() in COMPRESSED and not name.removesuffix(p.suffix.lower()).endswith(".csv"):
        return "tfrecord"
    for ends in (_TFRECORD_EXT, ".csv", ".npz", ".npy"):
        if name.endswith(ends):
            return "tfrecord" if ends == _TFRECORD_EXT else ends[1:]
    raise DataError(
        f"{p}: cannot tell the kind of data from the name: pass kind= one of {', '.join(KINDS)} "
        "(CLI: --data-kind)"
    )
