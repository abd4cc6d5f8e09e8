"""Step "sample": :func:`sample` makes a value per input that must be fed (:func:`input_roles`);
string inputs by the op reading them (``@sample_rule(*op_types)``: parse ops, vocabulary lookups,
decoders, ``StringToNumber``, ``Assign``), :func:`rule_for` asking the consumers."""

from __future__ import annotations

import dataclasses
import math
import os
import re
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from explorer._tf import tf
from explorer.errors import FeedError
from explorer.feeding.feeds import (
    DEFAULT_MAX_BYTES,
    INT_HIGH,
    Feeds,
    bytes_array,
    check_feeds,
    is_string_dtype,
    numpy_dtype,
    random_sparse,
    random_strings,
    random_values,
    too_big_message,
)
from explorer.feeding.shape_inference import (
    InferredShape,
    concrete_shape,
    infer_shapes,
    int_highs,
    length_highs,
    needed_shape,
    resolve_key,
    static_shapes,
)
from explorer.graph.index import GraphIndex, graph_index
from explorer.graph.inputs import example_keys, image_axes
from explorer.graph.names import data_inputs, dtype_name, op_name, tensor_name
from explorer.graph.op_families import (
    ASSIGN_OPS,
    CALL_OPS,
    DEFAULT_PLACEHOLDER_OPS,
    FEATURE_PASS_OPS,
    LOOKUP_OPS,
    PARSE_EXAMPLE_OPS,
    PIPELINE_OUTPUT_OPS,
    PLACEHOLDER_OPS,
)
from explorer.graph.registry import OpRegistry
from explorer.graph.specs import Signature, TensorSpec, spec_of
from explorer.inspection.gate import admit_import
from explorer.inspection.suggestions import default_io
from explorer.loading.isolation import graph_tensor, import_into
from explorer.loading.model import V1Model, as_model

if TYPE_CHECKING:
    from tensorflow.core.framework.graph_pb2 import GraphDef
    from tensorflow.core.framework.node_def_pb2 import NodeDef

Inputs = str | Signature | Sequence[str] | Mapping[str, TensorSpec] | None
"""A signature (by name or itself), tensor names, key -> spec, or ``None`` (see :func:`sample`)."""


DEFAULT_DIM = 2  # size given to unknown non-batch dims
STRING_ITEM_BYTES = 64  # size estimate of one generated (non tf.Example) string, object included
FEED, DEFAULT, COMPUTED, CONSTANT = "feed", "default", "computed", "constant"


def input_roles(graph_def: GraphDef, specs: Mapping[str, TensorSpec]) -> dict[str, str]:
    """How each input is fed: ``feed``, ``default`` (``PlaceholderWithDefault``), ``computed`` (from
    another input, e.g. TFMA's ``features/*``), ``constant`` (no placeholder upstream)."""
    nodes = graph_index(graph_def).nodes
    spec_ops = {k: [op_name(n) for n in s.tensors] for k, s in specs.items()}
    roles: dict[str, str] = {}
    for key, ops in spec_ops.items():
        types = {nodes[o].op if o in nodes else "" for o in ops}
        if types and types <= PIPELINE_OUTPUT_OPS:
            roles[key] = FEED  # an input pipeline's output: fed, the pipeline does not run
        elif types & PLACEHOLDER_OPS and types <= PLACEHOLDER_OPS | DEFAULT_PLACEHOLDER_OPS:
            roles[key] = FEED  # a sparse placeholder's dense_shape may have a default
        elif types and types <= DEFAULT_PLACEHOLDER_OPS:
            roles[key] = DEFAULT
        else:
            up = graph_index(graph_def).upstream(ops, control=False) - set(ops)
            others = {o for k2, o2 in spec_ops.items() if k2 != key for o in o2} - set(ops)
            fed = {nodes[a].op for a in up if a in nodes} & (PLACEHOLDER_OPS | PIPELINE_OUTPUT_OPS)
            roles[key] = COMPUTED if up & others else FEED if fed else CONSTANT
    return roles


def sample(
    model: V1Model | str | os.PathLike[str],
    inputs: Inputs = None,
    batch: int = 1,
    seed: int = 0,
    overrides: Mapping[str, Any] | None = None,
    *,
    value_range: tuple[float, float] = (-1.0, 1.0),
    ranges: Mapping[str, tuple[float, float]] | None = None,
    default_dim: int = DEFAULT_DIM,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    shapes: Mapping[str, Any] | None = None,
) -> Feeds:
    """A value for every input of a model run that must be fed, as :class:`Feeds` keyed like the
    specs, with ``notes`` (each choice and why) and ``shapes`` (key -> inferred shape and reasons);
    inputs the graph computes (from other inputs, defaults, constants) are left out, noted.

    ``inputs``: ``None`` (the default signature, or the suggested inputs), a signature (name),
    tensor names, or key -> ``TensorSpec``. ``batch``: each free dim 0 (and tf.Example batches);
    ``seed``: same arguments, same feeds; ``overrides``: key -> array used as given (checked);
    ``value_range``: floats uniform in ``[low, high)`` (ints in ``[0, 8)``); ``ranges``: input or
    feature key -> ``(low, high)``; ``default_dim``: other free dims (and an unknown rank's one);
    ``max_bytes``: refuse feeds estimated above it; ``shapes``: key -> shape to feed (``None``/
    ``-1``: free), others inferred. FeedError: an override does not fit, no generator for a
    dtype, or the estimate is over ``max_bytes``."""
    model = as_model(model)
    specs = input_specs_of(model, inputs)
    checked = check_feeds(overrides, specs) if overrides else {}
    roles = input_roles(model.graph_def, specs)
    rng = np.random.default_rng(seed)
    ranges = {resolve_key(str(k), specs) or str(k): tuple(v) for k, v in (ranges or {}).items()}
    fed = [k for k in specs if roles[k] == FEED and k not in checked]
    inferred, shape_notes = infer_shapes(model, specs, shapes=shapes, feed_keys=fed)
    unfed = tuple(f"{k}: " for k in specs if k not in fed)
    notes = [n for n in shape_notes if not n.startswith(unfed)]
    groups: dict[str, int] = {}
    plans: dict[str, tuple[tuple[int, ...], Any]] = {}  # key -> (shape, rule)
    total = 0
    for key in fed:
        spec, inf = specs[key], inferred[key]
        dense = spec.kind == "dense"
        spec = dataclasses.replace(spec, shape=inf.shape) if dense else spec
        rule = rule_for(model, spec) if dense else None
        switch = _switch_of(key, spec) if rule is None else None
        if switch is not None:  # keep_prob, is_training, ...: the neutral value
            shape, more = ((), []) if spec.shape is None else concrete_shape(inf, batch, 1)
            notes += more
            notes.append(f"{key}: fed {switch[0]!r}, the neutral {switch[1]} (named like a switch)")
            full = np.full(shape, switch[0], dtype=numpy_dtype(spec.dtype))
            plans[key] = (shape, Rule("", 0, lambda *_, v=full: v))
            continue
        unknown = (batch,) if dense else (batch, default_dim)
        if rule is not None and rule.shape is not None:  # the rule's feed shape
            unknown = rule.shape
        shape, more = concrete_shape(inf, batch, default_dim, unknown, groups)
        notes += more
        if rule is not None:
            notes.append(f"{key}: {rule.text}")
        elif is_string_dtype(spec.dtype) and len(spec.components) == 3:  # sparse: tokens?
            rule = rule_for(model, TensorSpec(spec.components[1], spec.dtype, None))
            notes += [f"{key}: values are {rule.text}"] if rule else []
        total += math.prod(shape) * (rule.item_bytes if rule and dense else _item_bytes(spec))
        plans[key] = (shape, rule)
    skipped = [k for k in specs if roles[k] != FEED and k not in checked]
    for role in dict.fromkeys(roles[k] for k in skipped):
        keys = ", ".join(k for k in skipped if roles[k] == role)
        notes.append(f"not fed, {_ROLE_NOTE[role]}: {keys}")
    for key in plans:
        setting = None if key in ranges else _setting_of(key, specs[key], inferred[key])
        if setting is not None:  # a factor, a minimum size, a threshold: its usual range
            ranges[key] = setting[0]
            notes.append(f"{key}: values in [{setting[0][0]}, {setting[0][1]}), {setting[1]}")
    if max_bytes is not None and total > max_bytes:
        raise FeedError(too_big_message(total, max_bytes, f"sampled feeds for {model.path.name}"))
    sampled = {k: p[0] for k, p in plans.items()}
    ints = [k for k in sampled if specs[k].kind == "dense" and "int" in specs[k].dtype]
    dense_ops = {op_name(specs[k].name): s for k, s in sampled.items() if specs[k].kind == "dense"}
    static = static_shapes(model, dense_ops) if ints else None  # for the ranges of indices
    highs = int_highs(model.graph_def, specs, sampled, INT_HIGH, static=static)
    highs.update(length_highs(specs, sampled, highs, INT_HIGH))
    for key in ints:
        byte_image = specs[key].dtype == "uint8" and image_axes(sampled[key], free=False)
        if key not in highs and key not in ranges and byte_image:  # not a black image
            highs[key] = (256, f"{key}: a uint8 image: pixels in [0, 256)")
    notes.extend(note for _, note in highs.values())
    values: dict[str, Any] = dict(checked)
    for key, (shape, rule) in plans.items():
        spec, dtype = specs[key], numpy_dtype(specs[key].dtype)
        value = ranges.get(key, value_range)
        if rule is not None and spec.kind != "sparse":
            values[key] = rule.generate(rng, shape, value, ranges)
        elif spec.kind == "sparse":
            values[key] = random_sparse(rng, spec, shape, value, rule)
        elif key in ranges and dtype.kind in "iu":
            lo, hi = (int(v) for v in ranges[key])
            values[key] = rng.integers(lo, max(hi, lo + 1), shape).astype(dtype)
        else:
            high = highs[key][0] if key in highs else INT_HIGH
            values[key] = random_values(rng, spec.dtype, shape, value, key, int_high=high)
    out = Feeds(notes=notes)
    out.update((k, values[k]) for k in specs if k in values)  # as made: no conversion
    out.shapes = {k: inferred[k].to_json() for k in plans}
    return out


_ROLE_NOTE = {
    DEFAULT: "PlaceholderWithDefault: its default is used",
    COMPUTED: "computed in the graph from the other inputs",
    CONSTANT: "a constant of the graph, no placeholder upstream",
}


SWITCHES: list[tuple[re.Pattern[str], float | bool, str]] = [
    (re.compile(pattern, re.IGNORECASE), neutral, label)
    for pattern, neutral, label in (
        (r"^(keep_?prob(ability)?|dropout_keep(_prob)?)$", 1.0, "keep probability"),
        (r"^(is_?training|training|is_?train|phase_?train|train_?phase)$", False, "training flag"),
        (r"^(dropout(_rate)?|drop_?rate)$", 0.0, "dropout rate"),
    )
]
"""Inputs named like a knob of the script that ran the model, fed their neutral value: (pattern
of the op name's last path component, case-insensitive; neutral value; label). Append to teach."""

SETTINGS: list[tuple[re.Pattern[str], tuple[float, float], str]] = [
    (re.compile(pattern, re.IGNORECASE), value_range, label)
    for pattern, value_range, label in (
        (r"factor|^scale$", (0.6, 0.8), "a scale factor, in (0, 1) so a loop it shrinks ends"),
        (r"min_?(imum_?)?(size|face|side|dim)", (20, 40), "a minimum size"),
        (r"thresh", (0.5, 0.7), "a threshold"),
    )
]
"""Inputs named like a setting, fed values in their usual range: (pattern of the last name
component; the range values are drawn from; label)."""


def switch_of(name: str, table: list[tuple[re.Pattern[str], Any, str]] = SWITCHES) -> Any:
    """``(neutral value, label)`` when an op name looks like a keep_prob-like switch (``table=
    SETTINGS``: ``((low, high), label)`` when it looks like a factor, a minimum, ...), or None."""
    last = op_name(name).rsplit("/", 1)[-1]
    return next(((v, label) for p, v, label in table if p.search(last)), None)


def _switch_of(key: str, spec: TensorSpec) -> tuple[Any, str] | None:
    """(neutral value, label) for a scalar dense non-string input named like keep_prob."""
    dense = spec.kind == "dense" and not is_string_dtype(spec.dtype)
    knob = spec.shape is None or all(d is not None and d <= 1 for d in spec.shape)  # a scalar
    return (switch_of(spec.name) or switch_of(key)) if dense and knob else None


def _setting_of(key: str, spec: TensorSpec, inferred: InferredShape) -> Any:
    """((low, high), label) for a small fixed-shape numeric input named like a setting."""
    shape = inferred.shape
    if spec.kind != "dense" or is_string_dtype(spec.dtype) or shape is None or None in shape:
        return None
    small = math.prod(shape) <= 16 and _switch_of(key, spec) is None
    found = (switch_of(spec.name, SETTINGS) or switch_of(key, SETTINGS)) if small else None
    return None if found is None else (found[0], f"{found[1]} (named like one)")


def _item_bytes(spec: TensorSpec) -> int:
    return STRING_ITEM_BYTES if is_string_dtype(spec.dtype) else numpy_dtype(spec.dtype).itemsize


def input_specs_of(model: V1Model, inputs: Inputs = None) -> dict[str, TensorSpec]:
    """The input specs ``inputs`` designates (see :func:`sample` for the forms it takes)."""
    if isinstance(inputs, Mapping):
        return {str(k): v for k, v in inputs.items()}
    if isinstance(inputs, Signature):
        return dict(inputs.inputs)
    if inputs is None:
        if model.signatures:
            return dict(model.signature(None).inputs)
        inputs = default_io(model)[0]
    if isinstance(inputs, str):
        if inputs in model.signatures:
            return dict(model.signature(inputs).inputs)
        inputs = [inputs]
    return tensor_specs(model, list(inputs))


def tensor_specs(model: V1Model, names: Sequence[str]) -> dict[str, TensorSpec]:
    """``op:idx`` -> :class:`TensorSpec` read from a gated fresh import of the graph."""
    graph = tf().Graph()
    import_into(admit_import(model), graph)
    return {tensor_name(n): spec_of(tensor_name(n), graph_tensor(graph, n, model)) for n in names}


MAX_VOCAB_LINES = 100_000
MAX_TOKENS = 4  # tokens per generated sentence: 1 to MAX_TOKENS
WAV_RATE = 16000  # samples per second written into generated WAV files
WAV_SAMPLES = 16000  # samples when DecodeWav does not ask for a number
IMAGE_SIZE = 32  # height and width of generated images when nothing downstream fixes them
VARLEN_COUNT = 1  # values per var-len feature: Estimator/tf.Transform densify to [batch, 1]


@dataclass
class Context:
    """What a rule may look at: the model and its graph index."""

    model: V1Model
    index: GraphIndex

    def const(self, tensor: str) -> np.ndarray | None:
        """The value of a ``Const`` (through pass-through ops), or ``None``."""
        return self.index.const(tensor, FEATURE_PASS_OPS)


Generate = Callable[[np.random.Generator, tuple[int, ...], Any, Mapping[str, Any]], np.ndarray]


@dataclass
class Rule:
    """How to make a string input's values: ``text`` (notes), ``item_bytes`` (the size check),
    ``generate(rng, shape, value_range, ranges)``, ``shape`` for an unknown rank (None: a batch)."""

    text: str
    item_bytes: int
    generate: Generate
    shape: tuple[int, ...] | None = None


def each(item: Callable[[np.random.Generator, Any, Mapping[str, Any]], bytes]) -> Generate:
    """A ``generate`` from ``item(rng, value_range, ranges)``, which makes one string."""

    def generate(rng, shape, value_range, ranges):  # noqa: ANN001, ANN202 - see Generate
        return bytes_array([item(rng, value_range, ranges) for _ in range(math.prod(shape))], shape)

    return generate


SAMPLE_RULES: OpRegistry[Callable[[Context, Any, int], Rule | None]] = OpRegistry("sample rule")
"""``fn(ctx, node, input position)``; registered with ``input=N``, asked for that input only."""
sample_rule = SAMPLE_RULES.register


def rule_for(model: V1Model, spec: Any) -> Rule | None:
    """The rule of the first consumer of ``spec`` (through pass-through ops) that has one."""
    ctx = Context(model, graph_index(model.graph_def))
    for node, index in ctx.index.readers(spec.name, FEATURE_PASS_OPS):
        for e in SAMPLE_RULES.matching(node.op):
            if e.meta.get("input", index) == index and (rule := e.value(ctx, node, index)):
                return rule
    return None


@dataclass
class Feature:
    """A feature a parse op reads: ``kind`` dense/sparse/ragged, ``dtype``, the dense ``shape``
    (``-1`` first: any length), the ``output`` of its values, a dense ``default`` (empty: none)."""

    key: str
    kind: str
    dtype: str
    shape: tuple[int, ...] = ()
    output: int = 0
    default: np.ndarray | None = None
    vocab: list[bytes] | None = None
    vocab_file: str | None = None

    @property
    def count(self) -> int:
        """Values generated for it (a ``-1`` dim counts 2)."""
        dense = self.kind == "dense"
        return math.prod(d if d >= 0 else 2 for d in self.shape) if dense else VARLEN_COUNT


def parse_features(
    node: NodeDef, sparse: list[str], dense: list[str], ragged: list[str]
) -> list[Feature] | None:
    """A parse op's features for these keys (output order); ``None``: its types do not match."""
    sparse_types, dense_types = dtype_names(node, "sparse_types"), dtype_names(node, "Tdense")
    if len(sparse) != len(sparse_types) or len(dense) != len(dense_types):
        return None
    ns, nd = len(sparse), len(dense)
    feats = [
        Feature(k, "sparse", t, (), ns + i) for i, (k, t) in enumerate(zip(sparse, sparse_types))
    ]
    shapes = [tuple(int(d.size) for d in s.dim) for s in list_attr(node, "dense_shapes").shape]
    for i, (k, t, s) in enumerate(zip(dense, dense_types, shapes)):
        feats.append(Feature(k, "dense", t, s, 3 * ns + i))
    for i, (k, t) in enumerate(zip(ragged, dtype_names(node, "ragged_value_types"))):
        feats.append(Feature(k, "ragged", t, (), 3 * ns + nd + i))
    return feats


LIST_OF = {"float32": "float_list", "int64": "int64_list", "string": "bytes_list"}


def _example(
    feats: list[Feature], rng: np.random.Generator, value_range: Any, ranges: Any
) -> bytes:
    ex = tf().train.Example()
    for f in feats:
        if f.dtype == "string":
            vals = random_strings(rng, (f.count,), f.vocab)
        else:
            vals = random_values(rng, f.dtype, (f.count,), ranges.get(f.key, value_range))
        getattr(ex.features.feature[f.key], LIST_OF[f.dtype]).value.extend(vals.tolist())
    return ex.SerializeToString()


def node_attr(node: NodeDef, name: str) -> Any:
    """``node.attr[name]`` or ``None`` (indexing would insert an empty value into the GraphDef)."""
    return node.attr[name] if name in node.attr else None  # noqa: SIM401 - .get() inserts


def list_attr(node: NodeDef, name: str) -> Any:
    """``node.attr[name].list``, or an empty list."""
    from tensorflow.core.framework.attr_value_pb2 import AttrValue

    return node.attr[name].list if name in node.attr else AttrValue.ListValue()


def dtype_names(node: NodeDef, attr: str) -> list[str]:
    return [dtype_name(t) for t in list_attr(node, attr).type]


@sample_rule(*sorted(PARSE_EXAMPLE_OPS), input=0)
def _parse_example(ctx: Context, node: NodeDef, index: int) -> Rule | None:
    """Serialized ``tf.Example`` protos (a scalar for ParseSingleExample) with every feature."""
    if (feats := parse_features(node, *example_keys(node, ctx.const))) is None:
        return None
    parts, size = [], 16
    for f in feats:
        found = find_vocabulary(ctx, f"{node.name}:{f.output}") if f.dtype == "string" else None
        if found is not None:
            f.vocab_file, f.vocab = found
        shape = f"[{','.join(str(d) for d in f.shape)}]" if f.kind == "dense" else ""
        vocab = f" from {f.vocab_file}" if f.vocab_file else ""
        parts.append(f"{f.key} {f.kind} {f.dtype}{shape}{vocab}")
        n = f.count if f.kind == "dense" else 3
        size += len(f.key) + 8 + n * (16 if f.dtype == "string" else 10)
    text = f"serialized tf.Example for {node.op} {node.name!r} with {len(feats)} features: "
    single = node.op == "ParseSingleExample"
    make = each(lambda *a: _example(feats, *a))
    return Rule(text + "; ".join(parts), size, make, () if single else None)


@sample_rule("StringToNumber")
def _string_to_number(ctx: Context, node: NodeDef, index: int) -> Rule:
    t = node_attr(node, "out_type")
    out_type = dtype_name(t.type) if t is not None else "float32"

    def generate(rng, shape, value_range, ranges):  # noqa: ANN001, ANN202 - see Generate
        n = math.prod(shape)
        if out_type.startswith("float"):
            vals = [f"{v:.6g}".encode() for v in rng.uniform(*value_range, n)]
        else:
            vals = [str(int(v)).encode() for v in rng.integers(0, INT_HIGH, n)]
        return bytes_array(vals, shape)

    return Rule(f"decimal strings for StringToNumber {node.name!r} ({out_type})", 64, generate)


@sample_rule(*ASSIGN_OPS, input=1)  # inputs: (variable ref or resource handle, value)
def _assign(ctx: Context, node: NodeDef, index: int) -> Rule | None:
    """Random values of the shape of the variable an ``Assign`` writes (its input 1)."""
    var = ctx.index.nodes.get(_through_identity(ctx, node.input[0]))
    shape, dtype = (node_attr(var, a) if var is not None else None for a in ("shape", "dtype"))
    dims = () if shape is None else tuple(int(d.size) for d in shape.shape.dim)
    if shape is None or dtype is None or shape.shape.unknown_rank or any(d < 0 for d in dims):
        return None
    name = dtype_name(dtype.type)
    text = f"shape {list(dims)} of the variable {node.op} {node.name!r} writes"
    size = int(numpy_dtype(name).itemsize) if name != "string" else 64
    return Rule(text, size, lambda rng, shape, vr, _: random_values(rng, name, shape, vr), dims)


def find_vocabulary(ctx: Context, tensor: str) -> tuple[str, list[bytes]] | None:
    """``(file, tokens)`` of the vocabulary a string tensor is looked up in (into functions too)."""
    if (table := _find_lookup(ctx, tensor)) is None:
        return None
    assets = {k.split(":")[0]: v for k, v in ctx.model.assets.items()}
    for node in ctx.index.nodes.values():
        srcs = [_through_identity(ctx, i) for i in data_inputs(node)]
        files = [assets[s] for s in srcs if s in assets] if table in srcs else []
        tokens = _read_vocab(files[0], *_text_file_attrs(ctx, node)) if files else []
        if tokens:
            return files[0], tokens
    return None


def _through_identity(ctx: Context, tensor: str) -> str:
    node = ctx.index.source(tensor.lstrip("^"), frozenset({"Identity"}))
    return node.name if node is not None else tensor.lstrip("^").split(":")[0]


def _find_lookup(ctx: Context, tensor: str) -> str | None:
    """Main-graph op name of the table a string tensor is looked up in."""

    def consumers_in(scope: str, src: str) -> list[tuple[NodeDef, int]]:
        if scope == "":
            return ctx.index.consumers.get(tensor_name(src), [])
        return ctx.index.function_consumers(scope).get(src.split(":")[0], [])

    # state: (scope, tensor name in that scope, call stack of (scope, call node))
    frontier: list[tuple[str, str, tuple]] = [("", tensor, ())]
    seen = {("", tensor)}
    for _ in range(24):
        nxt = []
        for scope, src, stack in frontier:
            for node, pos in consumers_in(scope, src):
                if node.op in LOOKUP_OPS and pos == 1:
                    return _resolve_table(ctx, scope, node.input[0], stack)
                if node.op in LOOKUP_OPS:
                    continue
                called = node.op in CALL_OPS and "f" in node.attr
                fn = ctx.index.functions.get(node.attr["f"].func.name) if called else None
                todo = [(scope, node.name, stack)]
                if fn is not None and pos < len(fn.signature.input_arg):
                    arg = (fn.signature.name, fn.signature.input_arg[pos].name)
                    todo.insert(0, (*arg, (*stack, (scope, node))))
                for step in todo:
                    if step[:2] not in seen:
                        seen.add(step[:2])
                        nxt.append(step)
        if not (frontier := nxt):
            break
    return None


def _resolve_table(ctx: Context, scope: str, handle: str, stack: tuple) -> str | None:
    """The main-graph op producing a table handle, followed out of function calls."""
    name = handle.split(":")[0]
    while scope != "":
        args = [a.name for a in ctx.index.functions[scope].signature.input_arg]
        if name not in args or not stack:
            return None  # the table is created inside the function: no asset to find
        (scope, call), stack = stack[-1], stack[:-1]
        name = call.input[args.index(name)].split(":")[0]
    return _through_identity(ctx, name)


def _text_file_attrs(ctx: Context, node: NodeDef, depth: int = 0) -> tuple[int, str]:
    """``(key_index, delimiter)`` of the text-file initializer ``node`` is or wraps."""
    if node.op.startswith("InitializeTableFromTextFile"):
        key, delim = node_attr(node, "key_index"), node_attr(node, "delimiter")
        text = delim.s.decode() if delim is not None else ""
        return (int(key.i) if key is not None else -2), text or "\t"
    if node.op in CALL_OPS and node_attr(node, "f") is not None and depth < 4:
        fn = ctx.index.functions.get(node.attr["f"].func.name)
        for inner in fn.node_def if fn is not None else []:
            if inner.op.startswith("InitializeTableFromTextFile") or inner.op in CALL_OPS:
                found = _text_file_attrs(ctx, inner, depth + 1)
                if found != (-2, "\t") or inner.op.startswith("InitializeTableFromTextFile"):
                    return found
    return -2, "\t"


def _read_vocab(path: str, key_index: int, delimiter: str) -> list[bytes]:
    """Tokens of a vocabulary file: whole lines (``key_index`` -2), or that column."""
    try:
        with open(path, "rb") as f:
            lines = [f.readline().rstrip(b"\r\n") for _ in range(MAX_VOCAB_LINES)]
    except OSError:
        return []
    if key_index < 0:  # -1: keys are line numbers, not strings
        return [line for line in lines if line] if key_index != -1 else []
    cols = [line.split(delimiter.encode()) for line in lines if line]
    return [c[key_index] for c in cols if key_index < len(c)]


def _separator(ctx: Context, node: NodeDef) -> bytes | None:
    """What a StringSplit(V2) splits on (``None``: characters or not a constant)."""
    if len(node.input) < 2:
        return b" "
    if (value := ctx.const(node.input[1])) is None:
        return None
    sep = value.item() if hasattr(value, "item") else value
    sep = sep if isinstance(sep, bytes) else str(sep).encode()
    if sep:
        return sep[:1] if node.op == "StringSplit" else sep
    return b" " if node.op == "StringSplitV2" else None  # V1 with "" splits characters


@sample_rule("StringSplit", "StringSplitV2", input=0)
def _string_split(ctx: Context, node: NodeDef, index: int) -> Rule | None:
    """Sentences of 1 to :data:`MAX_TOKENS` vocabulary tokens joined by the separator."""
    sep = _separator(ctx, node)
    found = find_vocabulary(ctx, f"{node.name}:1")  # the split's values go to the lookup
    if sep is None or found is None:
        return None
    tokens = found[1]

    def generate(rng, shape, value_range, ranges):  # noqa: ANN001, ANN202 - see Generate
        counts = rng.integers(1, MAX_TOKENS + 1, math.prod(shape))
        picks = [rng.integers(0, len(tokens), c) for c in counts]
        return bytes_array([sep.join(tokens[i] for i in p) for p in picks], shape)

    text = f"sentences of 1-{MAX_TOKENS} tokens from {Path(found[0]).name}"
    return Rule(text, MAX_TOKENS * (max(map(len, tokens)) + 16 + len(sep)), generate)


@sample_rule("LookupTableFindV2", "LookupTableFind", input=1)
def _lookup_keys(ctx: Context, node: NodeDef, index: int) -> Rule | None:
    """Vocabulary tokens, one per cell."""
    if (found := find_vocabulary(ctx, node.input[1])) is None:
        return None
    tokens = found[1]
    size = max(map(len, tokens)) + 16
    text = f"tokens from {Path(found[0]).name}"
    return Rule(text, size, lambda rng, shape, *_: random_strings(rng, shape, tokens))


def _int_attr(node: NodeDef, name: str, default: int) -> int:
    a = node_attr(node, name)
    return int(a.i) if a is not None and a.i > 0 else default


@sample_rule("DecodeWav", input=0)
def _decode_wav(ctx: Context, node: NodeDef, index: int) -> Rule | None:
    n, ch = _int_attr(node, "desired_samples", WAV_SAMPLES), _int_attr(node, "desired_channels", 1)
    text = (
        f"WAV files for DecodeWav {node.name!r}: {n} samples, {ch} channel(s), {WAV_RATE} Hz, "
        "16-bit PCM"
    )

    def wav(rng, value_range, ranges):  # noqa: ANN001, ANN202 - 16-bit PCM of quiet noise
        lo, hi = max(value_range[0], -1.0), min(value_range[1], 1.0)
        x = (rng.uniform(lo, hi, (n, ch)) * 0.5).astype(np.float32)
        return bytes(tf().audio.encode_wav(x, WAV_RATE).numpy())

    return Rule(text, 44 + 2 * n * ch, each(wav), ())


def _bmp(pixels: np.ndarray) -> bytes:
    """A 24-bit (3 channels) or 32-bit (4) uncompressed BMP; 1 channel is written as 3."""
    h, w, c = pixels.shape
    if c == 1:
        pixels, c = np.repeat(pixels, 3, axis=2), 3
    bgr = pixels[::-1, :, [2, 1, 0] + ([3] if c == 4 else [])].astype(np.uint8)
    pad = -(w * c) % 4  # rows end on 4 bytes
    data = b"".join(bgr[y].tobytes() + b"\0" * pad for y in range(h))
    header = struct.pack("<2sIHHI", b"BM", 54 + len(data), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 8 * c, 0, len(data), 2835, 2835, 0, 0)
    return header + info + data


_IMAGE_FORMATS = {"DecodeJpeg": "jpeg", "DecodeAndCropJpeg": "jpeg", "ExtractJpegShape": "jpeg"}
_IMAGE_FORMATS |= {"DecodePng": "png", "DecodeImage": "png", "DecodeBmp": "bmp"}


def _decode_image(ctx: Context, node: NodeDef, index: int) -> Rule | None:
    fmt = _IMAGE_FORMATS[node.op]
    channels = _int_attr(node, "channels", 3)
    if fmt == "jpeg" and channels not in (1, 3):
        channels = 3
    a = node_attr(node, "dtype")
    wide = node.op == "DecodePng" and a is not None and a.type == 17  # DT_UINT16
    shape = (IMAGE_SIZE, IMAGE_SIZE, channels)
    text = f"{fmt.upper()} images for {node.op} {node.name!r}: {'x'.join(map(str, shape))}"
    size = 128 + IMAGE_SIZE * IMAGE_SIZE * channels * (2 if wide else 1)
    dtype = np.uint16 if wide else np.uint8

    def image(rng, value_range, ranges):  # noqa: ANN001, ANN202 - random pixels, encoded
        pixels = rng.integers(0, np.iinfo(dtype).max + 1, shape).astype(dtype)
        if fmt == "bmp":
            return _bmp(pixels)
        encode = tf().io.encode_jpeg if fmt == "jpeg" else tf().io.encode_png
        return bytes(encode(pixels).numpy())

    return Rule(text, size, each(image), ())


SAMPLE_RULES.add(_decode_image, *_IMAGE_FORMATS, name="encoded image", input=0)


@sample_rule("DecodeCSV", input=0)
def _decode_csv(ctx: Context, node: NodeDef, index: int) -> Rule | None:
    types = dtype_names(node, "OUT_TYPE")
    cols = list(list_attr(node, "select_cols").i)
    if cols:  # the line holds every column up to the last selected; others are strings
        by_col = dict(zip(cols, types))
        types = [by_col.get(i, "string") for i in range(max(cols) + 1)]
    d = node_attr(node, "field_delim")
    delim = d.s.decode() if d is not None and d.s else ","
    text = f"CSV lines for DecodeCSV {node.name!r}: {', '.join(types)}"

    def line(rng, value_range, ranges):  # noqa: ANN001, ANN202 - see each
        fields = []
        for t in types:
            if t.startswith("float"):
                fields.append(f"{rng.uniform(*value_range):.6g}")
            elif t.startswith("int"):
                fields.append(str(int(rng.integers(0, INT_HIGH))))
            else:
                fields.append(random_strings(rng, ()).item().decode())
        return delim.join(fields).encode()

    return Rule(text, 16 + 12 * len(types), each(line))


@sample_rule("ParseTensor", input=0)
def _parse_tensor(ctx: Context, node: NodeDef, index: int) -> Rule | None:
    t = node_attr(node, "out_type")
    dtype = dtype_name(t.type) if t is not None else "float32"
    shape = needed_shape(ctx.model, f"{node.name}:0") or (2,)
    text = f"serialized {dtype}{list(shape)} TensorProto for ParseTensor {node.name!r}"

    def proto(rng, value_range, ranges):  # noqa: ANN001, ANN202 - see each
        value = random_values(rng, dtype, shape, value_range)
        return bytes(tf().io.serialize_tensor(tf().constant(value, dtype=dtype)).numpy())

    return Rule(text, 32 + 8 * math.prod(shape), each(proto), ())
