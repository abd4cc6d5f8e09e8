"""TFRecord files of serialized ``tf.Example``/``tf.SequenceExample`` as feeds, per input:
**serialized** (checked first by the parse op's spec), **parsed** (a parse op's output) or
**feature** (an input named like a feature). Read with TensorFlow's record reader (CRCs, GZIP)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from explorer.errors import DataError, first_line
from explorer.feeding.data.base import Batch, DataSource, chunks
from explorer.feeding.data.examples import (
    ParseSpec,
    diagnose,
    parse_spec,
    parser_of,
    producer_of,
    summarise_record,
)
from explorer.feeding.feeds import SparseValue, fmt_spec, numpy_dtype
from explorer.graph.names import op_name
from explorer.graph.op_families import SEQUENCE_PARSE_OPS
from explorer.graph.specs import TensorSpec

if TYPE_CHECKING:
    from explorer.loading.model import V1Model


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
        hint = (
            f"it looks {guess}-compressed: pass compression={guess!r} (CLI: --compression)"
            if guess
            else "the file is truncated or damaged; rewrite it or drop the damaged part"
        )
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
        try:
            first = next(it)
        except StopIteration:
            return
        plan = self._plan(specs, model, required, first[1])
        scalar = any(s.shape == () for s in plan.serialized.values())
        size = 1 if scalar else self.batch_size
        for start, chunk in chunks(itertools.chain([first], it), size):
            notes = list(plan.notes) if start == 0 else []
            yield self._batch(chunk, start, plan, specs, notes, scalar)

    def _batch(self, items, start, plan: _Plan, specs, notes, scalar) -> Batch:  # noqa: ANN001
        where = [w for w, _ in items]
        recs = np.empty(len(items), dtype=object)
        recs[:] = [r for _, r in items]
        if plan.checker is not None:
            self._parse(recs, where, plan.checker.run, plan.checker)
        for w, r in zip(where, recs):
            bad = diagnose(r, None, sequence=True) if plan.sequence else None
            if bad:
                raise DataError(f"{self._file(w)}: record {w.rsplit('#', 1)[1]}: {bad}: {_FIX}")
        feeds: dict[str, Any] = {}
        for key, spec in plan.serialized.items():
            feeds[key] = recs.reshape(()) if scalar else _fit_rank(recs, spec)
        cache: dict[str, list[np.ndarray]] = {}
        for key, (ps, index) in plan.parsed.items():
            if ps.op_name not in cache:
                cache[ps.op_name] = self._parse(recs, where, ps.run, ps)
            outs = cache[ps.op_name]
            if specs[key].kind == "sparse":
                feeds[key] = SparseValue(*(outs[i] for i in index))
            else:
                feeds[key] = outs[index[0]]
        if plan.features:
            feeds.update(self._features(plan.features, specs, recs, where))
        seq = plan.sequence
        return Batch(feeds, start, where, lambda row: summarise_record(recs[row], seq), notes)

    def _parse(self, recs: np.ndarray, where: list[str], parse: Any, spec: Any) -> Any:
        """``parse(recs)``; when TensorFlow refuses the batch, DataError naming the first bad
        record and why: what :func:`diagnose` finds against a ParseSpec ``spec``, else the error
        parsing it alone (the feature of a ``tf.io.parse_example`` config ``spec`` named)."""
        import tensorflow as tf

        refused = (tf.errors.OpError, UnicodeDecodeError)  # TF may fail to decode its message
        checks = isinstance(spec, ParseSpec)
        label = spec.label if checks else "tf.io.parse_example"
        try:
            return parse(recs)
        except refused as e:
            batch_error = first_line(e)
        for w, r in zip(where, recs):
            bad = diagnose(r, spec) if checks else None
            if bad is None:
                try:
                    parse(np.asarray([r], dtype=object))
                    continue
                except refused as e:
                    bad = f"is refused by {label} ({first_line(e)})" if checks else None
                    bad = bad or _feature_error(e, spec)
            raise DataError(f"{self._file(w)}: record {w.rsplit('#', 1)[1]}: {bad}: {_FIX}")
        raise DataError(
            f"{self._file(where[0])}: a record of the batch from here is refused by "
            f"{label} ({batch_error})"
        )

    def _features(
        self, features: dict[str, str], specs: dict[str, TensorSpec], recs: Any, where: list[str]
    ) -> dict[str, Any]:
        """Features read by name (input key -> feature key), parsed by each input's own spec."""
        import tensorflow as tf

        conf, casts = {}, {k: numpy_dtype(specs[k].dtype) for k in features}
        for key, fk in features.items():
            spec, kind = specs[key], casts[key].kind
            ftype = tf.string if kind == "O" else tf.float32 if kind in "fc" else tf.int64
            if spec.kind == "sparse" or spec.shape is None:
                conf[fk] = tf.io.VarLenFeature(ftype)
            else:
                dims = list(spec.shape[1:])
                if any(d is None for d in dims):
                    raise DataError(
                        f"input {key!r} is {fmt_spec(spec)}: a dense feature needs known dims "
                        "after the batch; feed the serialized examples instead"
                    )
                conf[fk] = tf.io.FixedLenFeature(dims, ftype)

        def parse(batch: np.ndarray) -> Any:
            return tf.io.parse_example(tf.constant(batch, dtype=tf.string), conf)

        parsed = self._parse(recs, where, parse, conf)
        out: dict[str, Any] = {}
        for key, fk in features.items():
            v, want = parsed[fk], casts[key]
            cast = (lambda a: a) if want.kind == "O" else (lambda a: a.astype(want))  # noqa: B023
            if isinstance(v, tf.SparseTensor):
                sv = SparseValue(v.indices.numpy(), cast(v.values.numpy()), v.dense_shape.numpy())
                dense = specs[key].kind != "sparse"
                out[key] = sv.to_dense(b"" if want.kind == "O" else 0) if dense else sv
            else:
                out[key] = cast(v.numpy())
        return out


def _fit_rank(recs: np.ndarray, spec: TensorSpec) -> np.ndarray:
    if spec.shape is not None and len(spec.shape) == 2 and spec.shape[1] in (1, None):
        return recs.reshape(-1, 1)
    return recs


def _feature_names(record: bytes) -> set[str]:
    from tensorflow.core.example import example_pb2

    try:
        return set(example_pb2.Example.FromString(record).features.feature)
    except Exception:  # noqa: BLE001 - not an Example: no feature names
        return set()


def _feature_error(e: Exception, conf: dict[str, Any]) -> str:
    text = first_line(e)
    for key in conf:
        if f"Feature: {key} " in text or f"feature {key}" in text.lower() or f"Key: {key}" in text:
            return f"feature {key!r}: {text}"
    return text
