"""tf.Example records against a graph's parse ops: :class:`ParseSpec` (what a parse op reads)
runs the graph's own kernel, so a record passes exactly when the graph takes it; :func:`diagnose`
names what is wrong with one record; one-line record summaries."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from explorer.errors import DataError
from explorer.feeding.data.base import clip
from explorer.feeding.tf_example import Context, Feature, dtype_names, parse_features
from explorer.graph.index import graph_index
from explorer.graph.names import tensor_name
from explorer.graph.op_families import FEATURE_PASS_OPS, PARSE_EXAMPLE_OPS, SEQUENCE_PARSE_OPS
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
        flat: list[Any] = []
        for group in outs:
            flat.extend(group if isinstance(group, list) else [group])
        return [x.numpy() for x in flat]

    def outputs_per_feature(self) -> dict[int, tuple[str, str]]:
        """Output index -> (feature key, part): ``indices``/``values``/``shape``/``dense``/
        ``ragged_values``/``row_splits`` (the op's output order; ParseExample has no ragged)."""
        ns = sum(f.kind == "sparse" for f in self.feats)
        nr = sum(f.kind == "ragged" for f in self.feats)
        out: dict[int, tuple[str, str]] = {}
        for f in self.feats:
            if f.kind == "sparse":
                out[f.output - ns], out[f.output + ns] = (f.key, "indices"), (f.key, "shape")
            out[f.output] = (
                f.key,
                {"sparse": "values", "dense": "dense"}.get(f.kind, "ragged_values"),
            )
            if f.kind == "ragged":
                out[f.output + nr] = (f.key, "row_splits")
        return out


def _required(f: Feature) -> bool:
    return f.kind == "dense" and f.default is not None and f.default.size == 0


def parse_spec(model: V1Model, node: NodeDef) -> ParseSpec:
    """The :class:`ParseSpec` of an example parse op (``DataError`` if its keys or defaults are
    not constants of the graph)."""
    ctx = Context.of(model)
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
    dense = [f for f in feats if f.kind == "dense"]
    # Where the dense defaults start among the inputs (ParseExample: after the keys; no ragged).
    first = {"ParseExampleV2": 5, "ParseSingleExample": 1}.get(t, 2 + len(feats))
    for i, f in enumerate(dense):
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
            lists = ", ".join(
                f"{k}[{len(v.feature)}]" for k, v in ex.feature_lists.feature_list.items()
            )
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
