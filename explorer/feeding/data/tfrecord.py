"""TFRecord files of serialized ``tf.Example``/``tf.SequenceExample`` as feeds, per input:
**serialized** (checked first by the parse op's spec), **parsed** (a parse op's output) or
**feature** (an input named like a feature). Read with TensorFlow's record reader (CRCs, GZIP).
:class:`ParseSpec` runs a parse op of the graph with its own kernel, so a record passes exactly
when the graph takes it; :func:`diagnose` names what is wrong with one record."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from explorer.errors import DataError, first_line
from explorer.feeding.data.base import Batch, DataSource, chunks, clip
from explorer.feeding.feeds import SparseValue, bytes_array, fmt_spec, numpy_dtype
from explorer.feeding.tf_example import Context, Feature, dtype_names, parse_features
from explorer.graph.index import graph_index
from explorer.graph.names import op_name, tensor_name
from explorer.graph.op_families import FEATURE_PASS_OPS, PARSE_EXAMPLE_OPS, SEQUENCE_PARSE_OPS
from explorer.graph.specs import TensorSpec
from explorer.inspection.suggestions import example_keys

if TYPE_CHECKING:
    from tensorflow.core.framework.node_def_pb2 import NodeDef

    from explorer.loading.model import V1Model

LIST_OF = {"float32": "float_list", "int64": "int64_list", "string": "bytes_list"}


@dataclass
class ParseSpec:
    """What one ``ParseExample``-like op of the graph reads (``feats``, defaults read),
    runnable on records eagerly."""

    op_type: str
    op_name: str
    feats: list[Feature]
    ragged_split_types: list[str]

    @property
    def label(self) -> str:
        return f"{self.op_type} {self.op_name!r}"

    def features(self) -> dict[str, tuple[str, str, tuple[int, ...] | None, bool]]:
        """Feature key -> (kind, dtype, dense shape, required)."""
        return {
            f.key: (f.kind, f.dtype, f.shape if f.kind == "dense" else None, _required(f))
            for f in self.feats
        }

    def run(self, serialized: np.ndarray, names: list[str] | None = None) -> list[np.ndarray]:
        """The op's outputs (numpy, in output order) on a batch of serialized records."""
        import tensorflow as tf

        kind = {k: [f for f in self.feats if f.kind == k] for k in ("sparse", "dense", "ragged")}
        outs = tf.raw_ops.ParseExampleV2(
            serialized=tf.constant(serialized, dtype=tf.string),
            names=tf.constant(names or [], dtype=tf.string),
            **{
                f"{k}_keys": tf.constant([f.key for f in v], dtype=tf.string)
                for k, v in kind.items()
            },
            dense_defaults=[tf.constant(f.default, dtype=f.dtype) for f in kind["dense"]],
            num_sparse=len(kind["sparse"]),
            sparse_types=[f.dtype for f in kind["sparse"]],
            ragged_value_types=[f.dtype for f in kind["ragged"]],
            ragged_split_types=self.ragged_split_types,
            dense_shapes=[list(f.shape) for f in kind["dense"]],
        )
        return [x.numpy() for g in outs for x in (g if isinstance(g, list) else [g])]

    def outputs_per_feature(self) -> dict[int, tuple[str, str]]:
        """Output index -> (feature key, part): ``indices``/``values``/``shape``/``dense``/
        ``ragged_values``/``row_splits`` (the op's output order; ParseExample has no ragged)."""
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


def _required(f: Feature) -> bool:
    return f.kind == "dense" and f.default is not None and f.default.size == 0


def parse_spec(model: V1Model, node: NodeDef) -> ParseSpec:
    """The :class:`ParseSpec` of an example parse op (``DataError`` if its keys or defaults are
    not constants of the graph)."""
    ctx = Context(model, graph_index(model.graph_def))
    t = node.op

    def const(inp: str) -> np.ndarray:
        v = ctx.const(inp)
        if v is None:
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
    """``(parse op NodeDef, output index)`` when ``tensor`` is (an Identity of) a parse op's
    output."""
    nodes = graph_index(model.graph_def).nodes
    name = tensor_name(tensor)
    for _ in range(8):
        op, _, idx = name.rpartition(":")
        node = nodes.get(op)
        if node is None:
            return None
        if node.op in PARSE_EXAMPLE_OPS - {"ParseSingleExample"}:
            return node, int(idx)
        if node.op not in FEATURE_PASS_OPS or not node.input or node.input[0].startswith("^"):
            return None
        name = tensor_name(node.input[0])
    return None


def diagnose(record: bytes, spec: ParseSpec | None, sequence: bool = False) -> str | None:
    """What is wrong with one record for ``spec`` (``None``: nothing found): it does not parse,
    a required feature is missing, a feature holds the wrong kind of list or count."""
    from google.protobuf.message import DecodeError
    from tensorflow.core.example import example_pb2

    cls = example_pb2.SequenceExample if sequence else example_pb2.Example
    try:
        ex = cls.FromString(record)
    except DecodeError as e:
        what = "tf.SequenceExample" if sequence else "tf.Example"
        return f"does not parse as a {what} ({str(e)[:80] or 'DecodeError'})"
    if spec is None or sequence:
        return None
    feats = ex.features.feature
    for key, (kind, dtype, shape, required) in spec.features().items():
        if key not in feats:
            if required:
                return (
                    f"feature {key!r} is missing; {spec.label} needs it ({kind} {dtype}"
                    f"{list(shape or ())}, no default)"
                )
            continue
        f = feats[key]
        which = f.WhichOneof("kind")
        if which is None:
            if required:
                return f"feature {key!r} is empty; {spec.label} needs {dtype}{list(shape or ())}"
            continue
        if which != LIST_OF[dtype]:
            return f"feature {key!r} holds a {which}, {spec.label} reads {dtype} ({LIST_OF[dtype]})"
        if kind == "dense" and shape is not None and all(d >= 0 for d in shape):
            n = len(getattr(f, which).value)
            want = math.prod(shape)
            if n != want:
                return (
                    f"feature {key!r} has {n} values, {spec.label} reads {dtype}{list(shape)} "
                    f"({want} values)"
                )
    return None


def summarise_record(record: bytes, sequence: bool = False) -> str:
    """``key: values; ...`` of a serialized tf.Example, about SUMMARY_CHARS long."""
    from tensorflow.core.example import example_pb2

    try:
        if sequence:
            ex = example_pb2.SequenceExample.FromString(record)
            ctx = _feature_text(ex.context.feature)
            fls = ex.feature_lists.feature_list
            lists = ", ".join(f"{k}[{len(v.feature)}]" for k, v in fls.items())
            text = f"{ctx}; lists: {lists}" if lists else ctx
        else:
            text = _feature_text(example_pb2.Example.FromString(record).features.feature)
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
COMPRESSED = {".gz": "GZIP", ".zlib": "ZLIB", ".zz": "ZLIB"}
"""File name ending -> the compression ``auto`` reads it with."""


def compression_of(path: Path, compression: str | None) -> str:
    """``GZIP``, ``ZLIB`` or ``""`` for a file, ``auto`` decided by its extension."""
    c = (compression or "").upper()
    if c == "AUTO":
        return COMPRESSED.get(path.suffix.lower(), "")
    if c not in ("", "NONE", "GZIP", "ZLIB"):
        raise DataError(f"compression={compression!r}: choose GZIP, ZLIB, None or auto")
    return "" if c == "NONE" else c


def read_records(path: Path, compression: str) -> Iterator[bytes]:
    """The records of one TFRecord file; ``DataError`` naming the file and the record number
    where it is damaged or truncated."""
    import tensorflow as tf
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
    except (tf.errors.DataLossError, tf.errors.OpError) as e:
        guess = "" if compression else _guess_compression(path)
        hint = "the file is truncated or damaged; rewrite it or drop the damaged part"
        if guess:
            hint = f"it looks {guess}-compressed: pass compression={guess!r} (CLI: --compression)"
        raise DataError(f"{path}: record {n} cannot be read ({first_line(e)}): {hint}") from None


def _guess_compression(path: Path) -> str:
    """``GZIP`` or ``ZLIB`` when the file starts like such a stream, else ``""``."""
    with open(path, "rb") as f:
        head = f.read(2)
    if head == b"\x1f\x8b":
        return "GZIP"
    if len(head) == 2 and head[0] == 0x78 and (head[0] * 256 + head[1]) % 31 == 0:
        return "ZLIB"
    return ""


@dataclass
class _Plan:
    """How each input key is read from the records: ``serialized`` (key -> spec of a string
    input fed them), ``parsed`` (key -> a parse op's spec, the output indices), ``features`` (key
    -> the feature read by name); ``checker`` checks serialized tf.Examples."""

    serialized: dict[str, TensorSpec] = field(default_factory=dict)
    parsed: dict[str, tuple[ParseSpec, list[int]]] = field(default_factory=dict)
    features: dict[str, str] = field(default_factory=dict)
    checker: ParseSpec | None = None
    sequence: bool = False
    notes: list[str] = field(default_factory=list)


class TFRecordSource(DataSource):
    """Records of TFRecord files (see the module docstring for how they reach the inputs)."""

    kind = "tfrecord"

    def __init__(self, paths: list[Path], *, compression: str | None = "auto", **kwargs: Any):
        super().__init__(paths, **kwargs)
        self.compression = compression
        for p in self.paths:
            compression_of(p, compression)  # refuse a bad compression name now

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
        names_in_record = _feature_names(first)
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
        missing = [k for k in (required if required is not None else []) if k not in read]
        if missing:
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
        for w, r in zip(where, recs):
            bad = diagnose(r, None, sequence=True) if plan.sequence else None
            if bad:
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
        """``spec.run(recs)``; when TensorFlow refuses the batch, DataError naming the first bad
        record and why: what :func:`diagnose` finds, else the error parsing it alone."""
        import tensorflow as tf

        refused = (tf.errors.OpError, UnicodeDecodeError)  # TF may fail to decode its message
        try:
            return spec.run(recs)
        except refused as e:
            batch_error = first_line(e)
        for w, r in zip(where, recs):
            bad = diagnose(r, spec)
            if bad is None:
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
        """Features read by name (input key -> feature key), parsed by each input's own spec."""
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


def _feature_names(record: bytes) -> set[str]:
    from tensorflow.core.example import example_pb2

    try:
        return set(example_pb2.Example.FromString(record).features.feature)
    except Exception:  # noqa: BLE001 - not an Example: no feature names
        return set()
