"""Step "sample" of the flow: feeds for a model's inputs, generated or given, checked against specs.

:func:`sample` makes one array per input from its :class:`~explorer.records.TensorSpec`; a string
input that feeds a ``ParseExample``-like op gets serialized ``tf.Example`` protos built from that op
(see ``explorer/feeding/tf_example.py``, whose registry holds the per-op rules).
:func:`input_roles` says which inputs must be fed. Values, :class:`Feeds` and :func:`check_feeds`
live in ``explorer/feeding/feeds.py`` and are re-exported here.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from explorer._tf import tf
from explorer.errors import FeedError, TensorNotFoundError
from explorer.feeding import decoders, text_rules, tf_example  # noqa: F401 - rules register
from explorer.feeding.feeds import (
    DEFAULT_MAX_BYTES,
    Feeds,
    check_feeds,
    is_string_dtype,
    numpy_dtype,
    resolve_key,
    too_big_message,
)
from explorer.feeding.generators import random_sparse, random_values
from explorer.feeding.index_ranges import int_highs, length_highs
from explorer.feeding.shape_inference import (
    GIVEN,
    InferredShape,
    concrete_shape,
    infer_shapes,
    static_shapes,
)
from explorer.feeding.switches import setting_of, switch_of
from explorer.graph.index import graph_index
from explorer.graph.names import op_name, shape_text
from explorer.graph.op_families import (
    DEFAULT_PLACEHOLDER_OPS,
    PIPELINE_OUTPUT_OPS,
    PLACEHOLDER_OPS,
)
from explorer.graph.specs import Signature, TensorSpec
from explorer.inspection.gate import admit_import
from explorer.inspection.io_choice import default_io
from explorer.loading.graph_import import import_into
from explorer.loading.model import V1Model, as_model

if TYPE_CHECKING:
    import tensorflow as tf_types
    from tensorflow.core.framework.graph_pb2 import GraphDef

Inputs = str | Signature | Sequence[str] | Mapping[str, TensorSpec] | None
"""What to feed: a signature (by name or itself), tensor names, or key -> spec; ``None``: the
default signature, or the suggested inputs of a model without signatures."""

__all__ = ["input_roles", "input_specs_of", "sample", "tensor_specs"]

DEFAULT_DIM = 2  # size given to unknown non-batch dims
INT_HIGH = 8  # ints are drawn from [0, INT_HIGH) unless the graph indexes with them
STRING_ITEM_BYTES = 64  # size estimate of one generated (non tf.Example) string, object included
# -- which inputs to feed --------------------------------------------------------------------------

FEED, DEFAULT, COMPUTED, CONSTANT = "feed", "default", "computed", "constant"


def _spec_ops(spec: TensorSpec) -> list[str]:
    names = spec.components if spec.kind != "dense" and spec.components else (spec.name,)
    return [op_name(n) for n in names if n]


def input_roles(graph_def: GraphDef, specs: Mapping[str, TensorSpec]) -> dict[str, str]:
    """How each input is fed: ``feed`` (must be fed; :func:`sample` generates it), ``default``
    (a ``PlaceholderWithDefault``: optional), ``computed`` (another input of the set is upstream of
    it, e.g. TFMA's ``features/*`` from the serialized examples), ``constant`` (no placeholder
    upstream at all, e.g. a ``Const``). Works on the GraphDef's main graph alone.
    """
    nodes = {n.name: n for n in graph_def.node}
    spec_ops = {k: _spec_ops(s) for k, s in specs.items()}
    roles: dict[str, str] = {}
    for key, ops in spec_ops.items():
        types = {nodes[o].op if o in nodes else "" for o in ops}
        if types and types <= PIPELINE_OUTPUT_OPS:
            roles[key] = FEED  # an input pipeline's output: fed, the pipeline does not run
            continue
        if types & PLACEHOLDER_OPS and types <= PLACEHOLDER_OPS | DEFAULT_PLACEHOLDER_OPS:
            roles[key] = FEED  # a sparse placeholder's dense_shape may have a default
            continue
        if types and types <= DEFAULT_PLACEHOLDER_OPS:
            roles[key] = DEFAULT
            continue
        up = graph_index(graph_def).upstream(ops, control=False) - set(ops)
        others = {o for k2, o2 in spec_ops.items() if k2 != key for o in o2} - set(ops)
        if up & others:
            roles[key] = COMPUTED
        elif any(nodes[a].op in PLACEHOLDER_OPS | PIPELINE_OUTPUT_OPS for a in up if a in nodes):
            roles[key] = FEED
        else:
            roles[key] = CONSTANT
    return roles


# -- sample() --------------------------------------------------------------------------------------


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
    """Generate a value for every input of a model run that must be fed.

    Args:
        model: a :class:`~explorer.V1Model` or a path for ``explorer.load``.
        inputs: what to feed: ``None`` (the default signature, or the suggested inputs of a model
            without signatures), a signature name or :class:`~explorer.records.Signature`, a list
            of tensor names, or a mapping key -> ``TensorSpec`` (e.g. ``runner.input_specs``).
        batch: size of each input's first unknown dim (and the number of tf.Examples).
        seed: seeds the generator: same arguments, same feeds.
        overrides: input key -> array to use as given (checked against its spec).
        value_range: floats are drawn uniformly from ``[low, high)``; ints from ``[0, 8)``.
        ranges: input key or tf.Example feature key -> ``(low, high)`` for that one (ints are
            drawn from ``[low, high)`` too).
        default_dim: size of other unknown dims (and of unknown-rank inputs' single dim).
        max_bytes: refuse, before allocating, feeds estimated above this many bytes.
        shapes: input key -> shape to feed (``None``/``-1`` dims: the batch or ``default_dim``);
            other inputs take the shape :func:`~explorer.feeding.shape_inference.infer_shapes`
            reads from the graph (placeholder, TensorInfo, ``_output_shapes``, TensorFlow's
            inference, the ops that consume them), each inferred dim noted with its reason.

    Returns:
        :class:`Feeds` keyed like the specs (signature keys, or tensor names), with ``notes``
        and ``shapes`` (key -> the inferred shape and its reasons, for each generated input).
        Inputs computed in the graph from other inputs, ``PlaceholderWithDefault`` inputs and
        constants are left out (and noted): the graph computes them.

    Raises:
        FeedError: an override does not match its input, no value can be made for a dtype, or
            the estimate is over ``max_bytes``.
    """
    model = as_model(model)
    specs = input_specs_of(model, inputs)
    overrides = dict(overrides or {})
    checked = check_feeds(overrides, specs) if overrides else {}
    roles = input_roles(model.graph_def, specs)
    rng = np.random.default_rng(seed)
    ranges = {resolve_key(str(k), specs) or str(k): tuple(v) for k, v in (ranges or {}).items()}
    notes: list[str] = []
    fed = [k for k in specs if roles[k] == FEED and k not in checked]
    inferred, shape_notes = infer_shapes(
        model, specs, shapes=_keyed(shapes, specs, "shapes"), feed_keys=fed
    )
    notes.extend(
        n
        for n in shape_notes
        if not n.startswith(tuple(f"{k}: " for k in specs))
        or n.startswith(tuple(f"{k}: " for k in fed))
    )
    groups: dict[str, int] = {}
    plans: dict[str, tuple[tuple[int, ...], Any]] = {}
    skipped: dict[str, list[str]] = {}
    neutrals: dict[str, Any] = {}
    total = 0
    for key, spec in specs.items():
        if key in checked:
            continue
        if roles[key] != FEED:
            skipped.setdefault(roles[key], []).append(key)
            continue
        inf = inferred[key]
        if spec.kind == "dense":
            spec = dataclasses.replace(spec, shape=inf.shape)
        rule = tf_example.rule_for(model, spec) if spec.kind == "dense" else None
        args = (batch, default_dim, notes)
        if rule is not None:
            shape = _resolve_shape(key, inf, *args, rule.default_shape(batch), groups)
            notes.append(f"{key}: {rule.describe()}")
            total += int(np.prod(shape, dtype=np.int64)) * rule.bytes_per_item()
        elif (switch := _switch_of(key, spec)) is not None:  # keep_prob, is_training, ...
            shape = () if spec.shape is None else _resolve_shape(key, inf, batch, 1, notes, (), {})
            neutrals[key] = switch[0]
            notes.append(f"{key}: fed {switch[0]!r}, the neutral {switch[1]} (named like a switch)")
        else:
            if spec.kind == "sparse":
                shape = _resolve_shape(key, inf, *args, (batch, default_dim), groups)
                rule = _values_rule(model, spec)  # string values looked up in a vocabulary
                if rule is not None:
                    notes.append(f"{key}: values are {rule.describe()}")
            else:
                shape = _resolve_shape(key, inf, *args, (batch,), groups)
            total += math.prod(shape) * _item_bytes(key, spec)
        plans[key] = (shape, rule)
    for role, keys in skipped.items():
        notes.append(f"not fed, {_ROLE_NOTE[role]}: {', '.join(keys)}")
    for key in plans:
        setting = None if key in ranges else _setting_of(key, specs[key], inferred[key])
        if setting is not None:  # a factor, a minimum size, a threshold: its usual range
            ranges[key] = setting[0]
            notes.append(f"{key}: values in [{setting[0][0]}, {setting[0][1]}), {setting[1]}")
    if max_bytes is not None and total > max_bytes:
        raise FeedError(too_big_message(total, max_bytes, f"sampled feeds for {model.path.name}"))
    sampled = {k: p[0] for k, p in plans.items()}
    static = _sampled_graph(model, specs, sampled)
    highs = int_highs(model.graph_def, specs, sampled, INT_HIGH, static=static)
    highs.update(length_highs(specs, sampled, highs, INT_HIGH))
    notes.extend(note for _, note in highs.values())
    out = Feeds(notes=notes)
    out.shapes = {k: inferred[k].to_json() for k in plans}
    for key, spec in specs.items():
        if key in checked:
            out[key] = checked[key]
        elif key in plans:
            shape, rule = plans[key]
            if rule is not None and spec.kind != "sparse":
                out[key] = rule.generate(rng, shape, ranges.get(key, value_range), ranges)
            elif key in neutrals:
                out[key] = np.full(shape, neutrals[key], dtype=numpy_dtype(spec.dtype))
            elif spec.kind == "sparse":
                out[key] = random_sparse(rng, spec, shape, ranges.get(key, value_range), rule)
            elif key in ranges and numpy_dtype(spec.dtype).kind in "iu":
                lo, hi = (int(v) for v in ranges[key])
                out[key] = rng.integers(lo, max(hi, lo + 1), shape).astype(numpy_dtype(spec.dtype))
            else:
                high = highs[key][0] if key in highs else INT_HIGH
                value = ranges.get(key, value_range)
                out[key] = random_values(rng, spec.dtype, shape, value, key, int_high=high)
    return out


def _keyed(
    given: Mapping[str, Any] | None, specs: Mapping[str, TensorSpec], what: str
) -> dict[str, Any]:
    """``given`` keyed by spec key (``x`` accepted for ``x:0``); unknown keys are refused."""
    out = {}
    for k, v in (given or {}).items():
        key = resolve_key(str(k), specs)
        if key is None:
            raise FeedError(
                f"{what} names {k!r}, which is not an input of this run: inputs are "
                f"{', '.join(specs) or 'none'}"
            )
        out[key] = v
    return out


def _sampled_graph(
    model: V1Model, specs: Mapping[str, TensorSpec], sampled: Mapping[str, tuple[int, ...]]
) -> Any:
    """Static shapes of the graph imported with the sampled shapes (for the index ranges of
    integer inputs), or ``None`` when there are none or it does not import."""
    ints = [
        k
        for k in sampled
        if specs[k].kind == "dense" and specs[k].dtype.startswith(("int", "uint"))
    ]
    if not ints:
        return None
    return static_shapes(
        model, {op_name(specs[k].name): s for k, s in sampled.items() if specs[k].kind == "dense"}
    )


def _values_rule(model: V1Model, spec: TensorSpec) -> tf_example.Rule | None:
    """The sample rule for a sparse string input's values (vocabulary tokens), or ``None``."""
    if not is_string_dtype(spec.dtype) or len(spec.components) != 3:
        return None
    return tf_example.rule_for(model, TensorSpec(spec.components[1], spec.dtype, None))


_ROLE_NOTE = {
    DEFAULT: "PlaceholderWithDefault: its default is used",
    COMPUTED: "computed in the graph from the other inputs",
    CONSTANT: "a constant of the graph, no placeholder upstream",
}


def _switch_of(key: str, spec: TensorSpec) -> tuple[Any, str] | None:
    """(neutral value, label) for a dense non-string input named like keep_prob/is_training: a
    scalar knob of a training script, fed its inference value rather than a random one."""
    if spec.kind != "dense" or is_string_dtype(spec.dtype):
        return None
    if spec.shape is not None and any(d is None or d > 1 for d in spec.shape):
        return None  # a per-example tensor, not a knob
    return switch_of(spec.name) or switch_of(key)


def _setting_of(key: str, spec: TensorSpec, inferred: InferredShape) -> Any:
    """((low, high), label) for a small dense numeric input of fixed shape named like a setting
    (a loop's factor, a minimum size, a threshold), else ``None``."""
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
    groups: dict[str, int],
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


def _item_bytes(key: str, spec: TensorSpec) -> int:
    if is_string_dtype(spec.dtype):
        return STRING_ITEM_BYTES
    dt = numpy_dtype(spec.dtype)
    return int(dt.itemsize)


# -- specs of a model run --------------------------------------------------------------------------


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
    """Canonical tensor name (``op:idx``) -> :class:`TensorSpec` read from the imported graph.

    ``graph`` is a ``tf.Graph`` the model was imported into; a fresh one is made when omitted
    (the model admitted for import first, :func:`explorer.inspection.gate.admit_import`).
    """
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
