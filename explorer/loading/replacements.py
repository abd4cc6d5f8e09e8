"""Custom op types this TensorFlow does not register, and the three ways on: built-in or own
replacements computing them with TF ops (``replacements=``), or the library defining them."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from explorer._tf import tf
from explorer.errors import ModelNotFoundError, SessionError, UnsupportedOpError, first_line
from explorer.graph.index import graph_index
from explorer.graph.names import data_inputs, op_name, tensor_name
from explorer.graph.registry import OpRegistry
from explorer.graph.runtime import unregistered_op_types

if TYPE_CHECKING:
    import tensorflow as tf_types
    from tensorflow.core.framework.attr_value_pb2 import AttrValue
    from tensorflow.core.framework.graph_pb2 import GraphDef
    from tensorflow.core.framework.node_def_pb2 import NodeDef

    from explorer.loading.model import V1Model

Replacement = Callable[[list[Any], dict[str, Any]], Any]

BUILTIN_REPLACEMENTS: OpRegistry[Replacement] = OpRegistry("built-in replacement")
builtin_replacement = BUILTIN_REPLACEMENTS.register
"""Decorator ``@builtin_replacement(op_type, hint=...)``: ``fn(inputs, attrs)`` replaces
``op_type``; ``hint``: in one phrase what it computes with (the scan shows it)."""

REPLACEMENT_HINTS: OpRegistry[str] = OpRegistry("replacement hint")
"""Op type -> how to compute it on current TensorFlow, where no built-in replacement exists."""


def replacement_hint(op_type: str) -> str | None:
    """What the scan says of an unregistered ``op_type`` (``None``: nothing known)."""
    if op_type in BUILTIN_REPLACEMENTS:
        hint = BUILTIN_REPLACEMENTS.matching(op_type)[0].meta.get("hint")
        how = "built-in replacement explorer.loading.replacements.replacements_for(model)"
        return f"{how} ({hint})" if hint else how
    return REPLACEMENT_HINTS.get(op_type)


# Checked against TF 2.21's op registry: op types it no longer registers, and a way to compute each.
for _op_type, _hint in {
    "FusedConv2DBiasActivation": "tf.nn.conv2d + tf.nn.bias_add + tf.nn.relu "
    "(side_input_scale=0, conv_input_scale=1)",
    "SparseFeatureCross": "SparseCross (tf.sparse.cross / tf.sparse.cross_hashed)",
    "SparseFeatureCrossV2": "SparseCrossHashed (tf.sparse.cross_hashed)",
    "BucketizeWithInputBoundaries": "tf.searchsorted(boundaries, x, side='right') "
    "(or Bucketize when the boundaries are constant)",
    "Resampler": "bilinear sampling with tf.gather_nd (tfa.image.resampler in TF Addons)",
    "DecodeAudio": "tf.audio.decode_wav (WAV input only)",
    "EncodeAudio": "tf.audio.encode_wav",
    "TRTEngineOp": "the engine's native segment (function named in its segment_func attr)",
}.items():
    REPLACEMENT_HINTS.add(_hint, _op_type)


def replacements_for(model: V1Model) -> dict[str, Replacement]:
    """Built-in replacements for the op types of ``model`` this TensorFlow lacks."""
    missing = unregistered_op_types(model.graph_def)
    return {t: BUILTIN_REPLACEMENTS[t] for t in missing if t in BUILTIN_REPLACEMENTS}


def check_libraries(paths: Iterable[str | os.PathLike[str]]) -> tuple[str, ...]:
    """The resolved ``paths``; ``ModelNotFoundError`` when one is not an existing file."""
    out = []
    for p in paths:
        if not (path := Path(p).expanduser()).is_file():
            raise ModelNotFoundError(
                f"op library {path} does not exist: pass the path of the package's compiled ops "
                "(a .so file, e.g. its libop_abi.so)"
            )
        out.append(str(path.resolve()))
    return tuple(out)


def load_libraries(paths: Iterable[str]) -> None:
    """``tf.load_op_library`` each path once per process (``UnsupportedOpError``)."""
    for p in paths:
        _load_one(p)


@functools.cache
def _load_one(path: str) -> None:
    try:
        tf().load_op_library(path)
    except Exception as e:  # noqa: BLE001 - NotFoundError, symbol errors: all one line
        raise UnsupportedOpError(
            f"op library {path} does not load into TensorFlow {tf().__version__} "
            f"({first_line(e)}): use a build of the library for this TensorFlow version"
        ) from None


def require_registered(model: V1Model) -> None:
    """Raise :class:`UnsupportedOpError` when ``model`` uses op types nothing defines."""
    load_libraries(model.op_libraries)
    missing = [t for t in unregistered_op_types(model.graph_def) if t not in model.replacements]
    if not missing:
        return
    builtin = [t for t in missing if t in BUILTIN_REPLACEMENTS]
    first = next((t for t in missing if t not in builtin), missing[0])
    way1 = (
        f"built-in replacements for {', '.join(builtin)}: "
        "replacements=explorer.replacements_for(model)"
        if builtin
        else "no built-in replacement is known for these"
    )
    raise UnsupportedOpError(
        f"{model.path} uses op types this TensorFlow ({tf().__version__}) does not register: "
        f"{', '.join(missing)}; ways on: (1) {way1}; (2) your own, "
        f"explorer.load(path, replacements={{{first!r}: fn, ...}}) computing each with TF ops "
        "(README: Custom ops); (3) the library that defines them, explorer.load(path, "
        "op_libraries=['lib.so']) (CLI: --op-library PATH; it runs native code: trust it as "
        "you would --allow-unsafe)"
    )


def attr_values(node: NodeDef) -> dict[str, Any]:
    """A NodeDef's attributes as Python values (str, int, DType, TensorShape, ndarray...)."""
    return {k: _attr_value(v) for k, v in sorted(node.attr.items())}


def _attr_value(a: AttrValue) -> Any:
    kind = a.WhichOneof("value")
    if kind == "list":
        for field in ("s", "i", "f", "b", "type", "shape", "tensor", "func"):
            if values := getattr(a.list, field):
                return [_scalar(field, v) for v in values]
        return []
    return None if kind is None else _scalar(kind, getattr(a, kind))


def _scalar(kind: str, v: Any) -> Any:
    if kind == "s":
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            return bytes(v)
    convert = {
        "type": tf().dtypes.as_dtype,
        "shape": tf().TensorShape,
        "tensor": tf().make_ndarray,
        "func": lambda f: f.name,
        "placeholder": str,
    }.get(kind)
    return convert(v) if convert else v


def apply_replacements(model: V1Model, graph_def: GraphDef, graph: tf_types.Graph) -> GraphDef:
    """Import ``graph_def`` into ``graph`` in waves around the replaced nodes; returns what is
    still to import."""
    replacements = model.replacements
    nodes = list(graph_def.node)
    if not (replaced := {n.name for n in nodes if n.op in replacements}):
        return graph_def
    for fn in graph_def.library.function:
        if used := sorted({n.op for n in fn.node_def if n.op in replacements}):
            raise UnsupportedOpError(
                f"{model.path}: {', '.join(used)} is used inside function "
                f"{fn.signature.name!r}; replacements apply to top-level nodes only: "
                "re-export the graph without that function or inline it"
            )
    levels = _levels(model, graph_def, replaced)
    n_outputs = _output_counts(model, nodes, replaced)
    all_names = {n.name for n in nodes}
    made: dict[str, Any] = {}  # "name:i" / "^name" -> tensor / op, for names already imported
    for level in range(max(levels.values()) + 1):
        wave = [n for n in nodes if levels[n.name] == level and n.name not in replaced]
        _import_wave(graph, graph_def, wave, made, first=level == 0)
        for n in nodes:
            if levels[n.name] == level and n.name in replaced:
                _replace_node(model, graph, n, made, n_outputs[n.name], all_names)
    rest = type(graph_def)()
    rest.versions.CopyFrom(graph_def.versions)
    return rest


def _levels(model: V1Model, graph_def: GraphDef, replaced: set[str]) -> dict[str, int]:
    """Wave of each node: the most replaced nodes on any path into it (back edges included)."""
    consumers = graph_index(graph_def).op_consumers
    inputs = {n.name: [op_name(i) for i in n.input] for n in graph_def.node}
    level = dict.fromkeys(inputs, 0)
    work = list(inputs)
    while work:
        name = work.pop()
        new = max((level.get(s, 0) + (1 if s in replaced else 0) for s in inputs[name]), default=0)
        if new > level[name]:
            if new > len(replaced):  # only a cycle through a replaced node climbs this high
                raise UnsupportedOpError(
                    f"{model.path}: a replaced op ({', '.join(sorted(replaced)[:3])}) sits "
                    "inside a tf.while_loop; replacements cannot split a loop: replace the "
                    "loop's ops outside the loop or re-export without it"
                )
            level[name] = new
            work.extend(c.name for c in consumers.get(name, []))
    return level


def _output_counts(model: V1Model, nodes: list[NodeDef], replaced: set[str]) -> dict[str, int]:
    """How many outputs of each replaced node are used (highest index read + 1, at least 1)."""
    counts = dict.fromkeys(replaced, 1)
    refs = [i for n in nodes for i in data_inputs(n)]
    for sig in model.signatures.values():
        for spec in [*sig.inputs.values(), *sig.outputs.values()]:
            refs.extend(spec.tensors)
    for ref in map(tensor_name, refs):
        name, _, idx = ref.rpartition(":")
        if name in counts:
            counts[name] = max(counts[name], int(idx) + 1)
    return counts


def _import_wave(
    graph: tf_types.Graph,
    graph_def: GraphDef,
    wave: list[NodeDef],
    made: dict[str, Any],
    first: bool,
) -> None:
    from tensorflow.python.framework import importer

    if not wave and not first:
        return
    names = {n.name for n in wave}
    gd = type(graph_def)()
    gd.versions.CopyFrom(graph_def.versions)
    if first:
        gd.library.CopyFrom(graph_def.library)
    input_map: dict[str, Any] = {}
    for n in wave:
        gd.node.add().CopyFrom(n)
        for ref in n.input:
            if op_name(ref) in names:
                continue
            key = ref if ref.startswith("^") else tensor_name(ref)
            input_map[key] = made[key]  # waves guarantee it was imported or made before
    with graph.as_default():
        importer.import_graph_def(gd, input_map=input_map or None, name="")
    for op in map(graph.get_operation_by_name, names):
        made |= {f"^{op.name}": op, **{f"{op.name}:{i}": t for i, t in enumerate(op.outputs)}}


def _replace_node(
    model: V1Model,
    graph: tf_types.Graph,
    node: NodeDef,
    made: dict[str, Any],
    n_outputs: int,
    all_names: set[str],
) -> None:
    data = [made[i] for i in data_inputs(node)]
    controls = [made[i] for i in node.input if i.startswith("^")]
    scope = f"{node.name}/replacement"
    while any(n == scope or n.startswith(scope + "/") for n in all_names):
        scope += "_"
    try:
        with graph.name_scope(scope + "/"), graph.control_dependencies(controls):
            result = model.replacements[node.op](data, attr_values(node))
        outs = list(result) if isinstance(result, (list, tuple)) else [result]
        outs = [tf().convert_to_tensor(o) for o in outs]
    except Exception as e:  # the user's function: report it against the node
        raise SessionError(
            f"{model.path}: the replacement for {node.op} failed at node {node.name!r} "
            f"({type(e).__name__}: {first_line(e)}): fix the function given in replacements="
        ) from None
    if len(outs) < n_outputs:
        raise SessionError(
            f"{model.path}: the replacement for {node.op} returned {len(outs)} output(s) at node "
            f"{node.name!r}, which has {n_outputs}: return a tensor per output"
        )
    with graph.name_scope(None):
        wired = tf().identity_n(outs, name=node.name)
    if (op := wired[0].op).name != node.name:
        raise SessionError(
            f"{model.path}: cannot name the replacement of {node.name!r} like the node "
            f"(got {op.name!r}): rename the node's clashing neighbours"
        )
    made |= {f"^{op.name}": op, **{f"{op.name}:{i}": t for i, t in enumerate(wired)}}


@builtin_replacement("ImageProjectiveTransform", hint="ImageProjectiveTransformV2, fill_value=0")
def image_projective_transform(inputs: list[Any], attrs: Mapping[str, Any]) -> Any:
    """``tf.contrib.image.transform``: images [B,H,W,C], transforms [B or 1, 8]."""
    t = tf()
    images, transforms = inputs[0], inputs[1]
    return t.raw_ops.ImageProjectiveTransformV2(
        images=images,
        transforms=t.cast(transforms, t.float32),
        output_shape=t.shape(images)[1:3],
        interpolation=attrs.get("interpolation", "NEAREST"),
        fill_mode="CONSTANT",
    )


@builtin_replacement("GatherTree", hint="a tf.scan back through the parent ids")
def gather_tree(inputs: list[Any], attrs: Mapping[str, Any]) -> Any:
    """``tf.contrib.seq2seq.gather_tree``: each beam's ids read back through the parent ids;
    steps past the length or after the first ``end_token`` are ``end_token``."""
    t = tf()
    step_ids, parent_ids, lengths, end_token = inputs
    end_token = t.cast(end_token, step_ids.dtype)
    max_time = t.shape(step_ids)[0]
    lengths = t.minimum(t.cast(lengths, t.int32), max_time)[:, None]  # [batch, 1]
    beams = t.range(t.shape(step_ids)[2], dtype=parent_ids.dtype)[None, :]  # [1, beam]
    times = t.range(max_time - 1, -1, -1)

    def back(carry: Any, elems: Any) -> Any:
        parent, _ = carry
        time, step, parents = elems
        active = time < lengths
        index = t.where(t.equal(time, lengths - 1), t.zeros_like(parent) + beams, parent)
        value = t.gather(step, index, axis=1, batch_dims=1)
        new_parent = t.gather(parents, index, axis=1, batch_dims=1)
        out = t.where(active, value, t.fill(t.shape(value), end_token))
        return t.where(active, new_parent, parent), out

    init = (t.zeros_like(parent_ids[0]), t.zeros_like(step_ids[0]))
    _, outs = t.scan(back, (times, step_ids[::-1], parent_ids[::-1]), initializer=init)
    outs = outs[::-1]
    is_end = t.cast(t.equal(outs, end_token), t.int32)
    after_end = t.cumsum(is_end, axis=0, exclusive=True) > 0
    return t.where(after_end, t.fill(t.shape(outs), end_token), outs)
