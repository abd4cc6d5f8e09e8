"""Step "sample": :func:`sample` makes a value per input that must be fed (:func:`input_roles`),
string inputs by the op reading them (:mod:`.tf_example`)."""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from explorer._tf import tf
from explorer.errors import FeedError, TensorNotFoundError
from explorer.feeding import tf_example
from explorer.feeding.feeds import (
    DEFAULT_MAX_BYTES,
    INT_HIGH,
    Feeds,
    check_feeds,
    is_string_dtype,
    numpy_dtype,
    random_sparse,
    random_values,
    resolve_key,
    too_big_message,
)
from explorer.feeding.shape_inference import (
    GIVEN,
    InferredShape,
    concrete_shape,
    infer_shapes,
    static_shapes,
)
from explorer.feeding.shape_rules import int_highs, length_highs
from explorer.feeding.switches import setting_of, switch_of
from explorer.graph.index import graph_index
from explorer.graph.names import op_name, shape_text
from explorer.graph.op_families import DEFAULT_PLACEHOLDER_OPS, PIPELINE_OUTPUT_OPS, PLACEHOLDER_OPS
from explorer.graph.specs import Signature, TensorSpec
from explorer.inspection.gate import admit_import
from explorer.inspection.scan_rules import image_axes
from explorer.inspection.suggestions import default_io
from explorer.loading.isolation import import_into
from explorer.loading.model import V1Model, as_model

if TYPE_CHECKING:
    import tensorflow as tf_types
    from tensorflow.core.framework.graph_pb2 import GraphDef

Inputs = str | Signature | Sequence[str] | Mapping[str, TensorSpec] | None
"""What to feed: a signature (by name or itself), tensor names, or key -> spec; ``None``: the
default signature, or the suggested inputs of a model without signatures."""

__all__ = ["input_roles", "input_specs_of", "sample", "tensor_specs"]

DEFAULT_DIM = 2  # size given to unknown non-batch dims
STRING_ITEM_BYTES = 64  # size estimate of one generated (non tf.Example) string, object included
FEED, DEFAULT, COMPUTED, CONSTANT = "feed", "default", "computed", "constant"


def _spec_ops(spec: TensorSpec) -> list[str]:
    names = spec.components if spec.kind != "dense" and spec.components else (spec.name,)
    return [op_name(n) for n in names if n]


def input_roles(graph_def: GraphDef, specs: Mapping[str, TensorSpec]) -> dict[str, str]:
    """How each input is fed: ``feed`` (must be), ``default`` (``PlaceholderWithDefault``),
    ``computed`` (another input is upstream, e.g. TFMA's ``features/*``), ``constant`` (no
    placeholder upstream). Reads the GraphDef's main graph alone."""
    nodes = graph_index(graph_def).nodes
    spec_ops = {k: _spec_ops(s) for k, s in specs.items()}
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

    ``model``: a :class:`~explorer.V1Model` or a path. ``inputs``: ``None`` (the default
    signature, or the suggested inputs), a signature (name), tensor names, or key ->
    ``TensorSpec``. ``batch``: size of each free dim 0 (and of tf.Example batches); ``seed``:
    same arguments, same feeds; ``overrides``: key -> array used as given (checked);
    ``value_range``: floats uniform in ``[low, high)`` (ints in ``[0, 8)``); ``ranges``: input or
    tf.Example feature key -> ``(low, high)`` (ints too); ``default_dim``: other free dims (and
    an unknown rank's one dim); ``max_bytes``: refuse feeds estimated above it; ``shapes``: key
    -> shape to feed (``None``/``-1``: batch or ``default_dim``), others from
    :func:`~explorer.feeding.shape_inference.infer_shapes`. Raises FeedError: an override does
    not fit, a dtype has no generator, or the estimate is over ``max_bytes``."""
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
    neutrals: dict[str, Any] = {}
    total = 0
    for key in fed:
        spec, inf = specs[key], inferred[key]
        dense = spec.kind == "dense"
        spec = dataclasses.replace(spec, shape=inf.shape) if dense else spec
        rule = tf_example.rule_for(model, spec) if dense else None
        switch = _switch_of(key, spec) if rule is None else None
        if switch is not None:  # keep_prob, is_training, ...: the neutral value
            shape = () if spec.shape is None else _resolve_shape(key, inf, batch, 1, notes, ())
            neutrals[key] = switch[0]
            notes.append(f"{key}: fed {switch[0]!r}, the neutral {switch[1]} (named like a switch)")
            plans[key] = (shape, None)
            continue
        unknown = (batch,) if dense else (batch, default_dim)
        if rule is not None and rule.shape is not None:  # the rule's feed shape
            unknown = rule.shape
        shape = _resolve_shape(key, inf, batch, default_dim, notes, unknown, groups)
        if rule is not None:
            notes.append(f"{key}: {rule.text}")
        elif not dense and (rule := _values_rule(model, spec)) is not None:
            notes.append(f"{key}: values are {rule.text}")  # vocabulary tokens
        per = rule.item_bytes if rule and dense else _item_bytes(spec)
        total += math.prod(shape) * per
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
        elif key in neutrals:
            values[key] = np.full(shape, neutrals[key], dtype=dtype)
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


def _values_rule(model: V1Model, spec: TensorSpec) -> tf_example.Rule | None:
    """The rule for a sparse string input's values (vocabulary tokens), or ``None``."""
    if not is_string_dtype(spec.dtype) or len(spec.components) != 3:
        return None
    return tf_example.rule_for(model, TensorSpec(spec.components[1], spec.dtype, None))


_ROLE_NOTE = {
    DEFAULT: "PlaceholderWithDefault: its default is used",
    COMPUTED: "computed in the graph from the other inputs",
    CONSTANT: "a constant of the graph, no placeholder upstream",
}


def _switch_of(key: str, spec: TensorSpec) -> tuple[Any, str] | None:
    """(neutral value, label) for a scalar dense non-string input named like keep_prob."""
    if spec.kind != "dense" or is_string_dtype(spec.dtype):
        return None
    if spec.shape is not None and any(d is None or d > 1 for d in spec.shape):
        return None  # a per-example tensor, not a knob
    return switch_of(spec.name) or switch_of(key)


def _setting_of(key: str, spec: TensorSpec, inferred: InferredShape) -> Any:
    """((low, high), label) for a small fixed-shape numeric input named like a setting."""
    shape = inferred.shape
    if spec.kind != "dense" or is_string_dtype(spec.dtype) or shape is None or None in shape:
        return None
    if math.prod(shape) > 16 or _switch_of(key, spec) is not None:
        return None
    found = setting_of(spec.name) or setting_of(key)
    return None if found is None else (found[0], f"{found[1]} (named like one)")


def _resolve_shape(
    key: str,
    inferred: InferredShape,
    batch: int,
    default_dim: int,
    notes: list[str],
    unknown_rank_shape: tuple[int, ...],
    groups: dict[str, int] | None = None,
) -> tuple[int, ...]:
    shape, filled = concrete_shape(inferred, batch, default_dim, unknown_rank_shape, groups)
    if inferred.dims is None:
        notes.append(f"{key}: unknown rank, fed with shape {list(unknown_rank_shape)}")
        return shape
    reasons = inferred.reasons()
    if reasons == [GIVEN]:
        notes.append(f"{key}: shape {shape_text(shape)} as {GIVEN}")
    elif reasons:
        notes.append(f"{key}: shape {shape_text(shape)} from the graph ({'; '.join(reasons)})")
    if filled:
        notes.append(f"{key}: unknown {', '.join(filled)}")
    return shape


def _item_bytes(spec: TensorSpec) -> int:
    return STRING_ITEM_BYTES if is_string_dtype(spec.dtype) else numpy_dtype(spec.dtype).itemsize


def input_specs_of(
    model: V1Model, inputs: Inputs = None, graph: tf_types.Graph | None = None
) -> dict[str, TensorSpec]:
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
    return tensor_specs(model, list(inputs), graph)


def tensor_specs(
    model: V1Model, names: Sequence[str], graph: tf_types.Graph | None = None
) -> dict[str, TensorSpec]:
    """``op:idx`` -> :class:`TensorSpec` read from ``graph`` (default: a gated fresh import)."""

    if graph is None:
        graph = tf().Graph()
        import_into(admit_import(model), graph)
    out = {}
    for name in names:
        canon = name if ":" in name else f"{name}:0"
        try:
            t = graph.get_tensor_by_name(canon)
        except (KeyError, ValueError):
            raise TensorNotFoundError(
                f"tensor {name!r} is not in {model.path}: browse "
                "explorer.Catalog.from_model(model) or explorer.suggest(model) for names"
            ) from None
        shape = None if t.shape.rank is None else tuple(t.shape.as_list())
        out[canon] = TensorSpec(canon, t.dtype.name, shape)
    return out
