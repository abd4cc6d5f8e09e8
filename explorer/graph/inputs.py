"""Facts about a model's inputs read off the graph (nothing imported or run): the pipeline
outputs a feed_dict feeds and their ``tf.Example`` features (:func:`pipeline_inputs`); whether an
input steers a loop (:func:`loop_predicate`); which image height and width every conv, pool, pad
and squeeze below it takes (:func:`image_size`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from explorer.graph.index import GraphIndex, graph_index
from explorer.graph.names import data_inputs, op_name, tensor_name
from explorer.graph.op_families import (
    BROADCAST_OPS,
    IMAGE_RESIZE_OPS,
    KEEP_OPS,
    LOOP_PASS_OPS,
    MAP_DATASET_OPS,
    PAD_OPS,
    PARSE_EXAMPLE_OPS,
    PIPELINE_OUTPUT_OPS,
    PIPELINE_PASS_OPS,
    PLACEHOLDER_OPS,
    RESIZE_OPS,
    SHAPE_KEEPING_OPS,
    SPATIAL_OPS,
    VARIABLE_OPS,
    WINDOW_OPS,
)
from explorer.graph.proto_reader import Shape
from explorer.graph.specs import shape_of

if TYPE_CHECKING:
    from tensorflow.core.framework.graph_pb2 import GraphDef
    from tensorflow.core.framework.node_def_pb2 import NodeDef


@dataclass(frozen=True)
class PipelineInput:
    """One pipeline output the model reads, its ``tf.Example`` ``feature`` and ``parse_op``."""

    tensor: str
    op_type: str
    feature: str | None = None
    parse_op: str | None = None


def pipeline_inputs(graph_def: GraphDef) -> list[PipelineInput]:
    """Every consumed output of every pipeline op, in graph order."""
    index = graph_index(graph_def)
    out = []
    for node in graph_def.node:
        if node.op not in PIPELINE_OUTPUT_OPS:
            continue
        find = _queue_feature if node.op.startswith("QueueDequeue") else _iterator_feature
        ins = [i for c in index.op_consumers.get(node.name, []) for i in data_inputs(c)]
        for k in sorted({int(i.partition(":")[2]) for i in ins if op_name(i) == node.name}):
            try:
                feature, parse = find(index, node, k)
            except (IndexError, KeyError, ValueError):
                feature, parse = None, None
            out.append(PipelineInput(f"{node.name}:{k}", node.op, feature, parse))
    return out


def _queue_feature(index: GraphIndex, node: NodeDef, k: int) -> tuple[str | None, str | None]:
    queue = op_name(node.input[0])
    for c in index.op_consumers.get(queue, []):
        if c.op.startswith("QueueEnqueue") and len(c.input) > k + 1:
            return _parsed_key(index.nodes, c.input[k + 1], None)
    return None, None


def _iterator_feature(index: GraphIndex, node: NodeDef, k: int) -> tuple[str | None, str | None]:
    iterator = index.nodes[op_name(node.input[0])]
    for scope_nodes, dataset in _datasets_of(index, iterator):
        if (mapped := _map_of(scope_nodes, dataset)) is not None:
            f = index.functions[mapped.attr["f"].func.name]
            ret = f.ret[f.signature.output_arg[k].name]
            return _parsed_key(index.function_nodes(f.signature.name), ret, f.signature.name)
    return None, None


def _datasets_of(index: GraphIndex, iterator: Any) -> Iterator[tuple[dict[str, Any], Any]]:
    if "dataset_factory" in iterator.attr:  # OneShotIterator: the dataset is built in a fn
        f = index.functions[iterator.attr["dataset_factory"].func.name]
        body = index.function_nodes(f.signature.name)
        ret = f.ret[f.signature.output_arg[0].name]
        yield body, body[op_name(ret)]
    for c in index.op_consumers.get(iterator.name, []):
        if c.op in ("MakeIterator", "MakeIteratorV2"):
            yield index.nodes, index.nodes[op_name(c.input[0])]


def _map_of(nodes: dict[str, Any], dataset: Any) -> Any:
    """The closest ``map`` dataset on the chain from ``dataset`` back to its sources."""
    for _ in range(50):
        if dataset is None or (dataset.op in MAP_DATASET_OPS and "f" in dataset.attr):
            return dataset
        dataset = nodes.get(op_name(dataset.input[0])) if dataset.input else None
    return None


def _parsed_key(nodes: dict[str, Any], ref: str, fn: str | None) -> tuple[str | None, str | None]:
    for _ in range(12):
        if (node := nodes.get(op_name(ref))) is None:
            return None, None
        if node.op in PARSE_EXAMPLE_OPS:
            key = _key_of_output(nodes, node, ref)
            where = f"{fn}::{node.name}" if fn else node.name
            return (key, where) if key else (None, None)
        if node.op not in PIPELINE_PASS_OPS or not node.input:
            return None, None
        ref = node.input[0]
    return None, None


def _key_of_output(nodes: dict[str, Any], node: NodeDef, ref: str) -> str | None:
    """The feature key of a parse op's output ``ref`` (``op:3``, or ``op:dense_values:1``)."""
    parts = ref.split(":")
    ns = int(node.attr["num_sparse"].i if "num_sparse" in node.attr else node.attr["Nsparse"].i)
    sparse, dense, _ = keys_in(nodes, node)
    if len(parts) == 3:  # function body: arg name (sparse_values, dense_values, ...) and index
        keys = dense if parts[1] == "dense_values" else sparse if "sparse_" in parts[1] else []
        j = int(parts[2])
    else:  # sparse indices, values and shapes (ns each), then the dense values
        i = int(parts[1]) if len(parts) == 2 else 0
        keys, j = (sparse, i % ns) if i < 3 * ns else (dense, i - 3 * ns)
    return keys[j] if j < len(keys) else None


def example_keys(
    node: NodeDef, const: Callable[[str], Any]
) -> tuple[list[str], list[str], list[str]]:
    """(sparse, dense, ragged) feature keys of a parse op; ``const(input)``: a key's constant."""

    def strings(ref: str) -> list[str]:
        v = const(ref)
        flat = [] if v is None else v.reshape(-1).tolist() if hasattr(v, "reshape") else list(v)
        return [k.decode() if isinstance(k, bytes) else str(k) for k in flat]

    if node.op == "ParseSingleExample":  # keys are attributes
        sparse, dense = (
            [k.decode() for k in node.attr[a].list.s] if a in node.attr else []
            for a in ("sparse_keys", "dense_keys")
        )
        return sparse, dense, []
    if node.op == "ParseExampleV2":
        return strings(node.input[2]), strings(node.input[3]), strings(node.input[4])
    ns, nd = (int(node.attr[a].i) if a in node.attr else 0 for a in ("Nsparse", "Ndense"))
    keys = [(strings(node.input[2 + i]) or [""])[0] for i in range(ns + nd)]  # one Const each
    return keys[:ns], keys[ns:], []


def keys_in(nodes: dict[str, NodeDef], node: NodeDef) -> tuple[list[str], list[str], list[str]]:
    """:func:`example_keys` of a parse op among ``nodes`` (a graph's or a function body's)."""

    def strings(ref: str) -> list[str]:  # a Const's strings, read through Identity ops
        const = nodes.get(op_name(ref))
        while const is not None and const.op == "Identity" and const.input:
            const = nodes.get(op_name(const.input[0]))
        if const is None or const.op != "Const" or "value" not in const.attr:
            return []
        return [s.decode() for s in const.attr["value"].tensor.string_val]

    return example_keys(node, strings)


COMMON_IMAGE_SIZE = 224  # height and width of an image input when nothing in the graph fixes one


def attr_shape(node: NodeDef, index: int = 0) -> Shape:
    """A node's declared shape of output ``index`` from its attributes, else ``None``."""
    attr, s = node.attr, None
    if node.op == "Const" and "value" in attr:
        s = attr["value"].tensor.tensor_shape
    elif node.op in VARIABLE_OPS | PLACEHOLDER_OPS and "shape" in attr:
        s = attr["shape"].shape
    elif "_output_shapes" in attr and len(attr["_output_shapes"].list.shape) > index:
        s = attr["_output_shapes"].list.shape[index]
    return None if s is None else shape_of(s)


def loop_predicate(index: GraphIndex, tensor: str, hops: int = 24) -> tuple[NodeDef, str] | None:
    """``(LoopCond or Switch, op types on the way)`` when ``tensor`` steers a loop (a scalar)."""
    frontier, seen = [(tensor_name(tensor), ())], {tensor_name(tensor)}
    for _ in range(hops):
        nxt = []
        for t, path in frontier:
            for node, pos in index.consumers.get(t, ()):
                if node.op == "LoopCond" or (node.op in ("Switch", "RefSwitch") and pos == 1):
                    return node, " -> ".join(dict.fromkeys(path))
                if node.op not in LOOP_PASS_OPS or (node.op in SHAPE_KEEPING_OPS and pos != 0):
                    continue
                for out in (f"{node.name}:0", f"{node.name}:1")[: 2 if node.op == "Switch" else 1]:
                    if out not in seen:
                        seen.add(out)
                        nxt.append((out, (*path, node.op)))
        frontier = nxt
    return None


def image_axes(shape: Shape, free: bool = True) -> tuple[int, int] | None:
    """Height and width axes of an image input of ``shape`` (NHWC, NCHW, HWC, CHW; channels last
    when known, ``free=False``: as 1, 3 or 4); ``None``: no image, or no free axis."""
    if shape is None or len(shape) not in (3, 4):
        return None
    first = len(shape) - 3
    if (shape[-1] is not None and (free or shape[-1] in (1, 3, 4))) or shape[first] is None:
        axes = (first, first + 1)
    elif free or shape[first] in (1, 3, 4):
        axes = (first + 1, first + 2)  # NCHW: channels known at dim 1
    else:
        return None
    return axes if not free or any(shape[a] is None for a in axes) else None


def attr_ints(node: NodeDef, name: str) -> list[int]:
    return list(node.attr[name].list.i) if name in node.attr else []


def channels_first(node: NodeDef) -> bool:
    """Whether the node's ``data_format`` puts channels before space (``NCHW``, ``NCDHW``)."""
    return "data_format" in node.attr and node.attr["data_format"].s.decode().startswith("NC")


def _window(index: GraphIndex, node: NodeDef, axes: dict[int, int]) -> dict[int, int] | str:
    """Height and width after a conv or pool (``axes``: axis -> size), or why they do not fit."""
    spatial = (2, 3) if channels_first(node) else (1, 2)
    if set(axes) != set(spatial):
        return {}
    if node.op in ("MaxPool", "AvgPool"):
        kernel = [attr_ints(node, "ksize")[a] for a in spatial]
    else:
        filt = index.source(node.input[1])
        fshape = attr_shape(filt) if filt is not None else None
        if fshape is None or len(fshape) != 4 or None in fshape[:2]:
            return {}
        kernel = list(fshape[:2])
    strides, dil = attr_ints(node, "strides"), attr_ints(node, "dilations")
    padding = node.attr["padding"].s.decode() if "padding" in node.attr else "VALID"
    pads = attr_ints(node, "explicit_paddings")
    out = {}
    for a, k in zip(spatial, kernel):
        size, stride = axes[a], strides[a] if len(strides) == 4 else 1
        need = (k - 1) * (dil[a] if len(dil) == 4 else 1) + 1
        if padding == "SAME":
            out[a] = -(-size // stride)
            continue
        if padding == "EXPLICIT" and len(pads) == 8:
            size += pads[2 * a] + pads[2 * a + 1]
        if size < need:
            return f"{node.op} {node.name!r} needs at least {need} (kernel {k}), gets {size}"
        out[a] = (size - need) // stride + 1
    return out


def _step(index: GraphIndex, node: NodeDef, pos: int, rank: int, axes: dict[int, int]):  # noqa: ANN202
    """``(rank, axes)`` of ``node``'s output 0 given its input ``pos`` (rank, axis -> size), a
    text saying why the sizes do not fit, or ``None``: not followed (a resize, a reshape, ...)."""
    op = node.op
    if op in KEEP_OPS and (pos == 0 or op in BROADCAST_OPS | {"Merge", "AddN"}):
        return rank, axes
    if op == "ExpandDims" and pos == 0 and (a := index.ints(node.input[1])):
        at = a[0] % (rank + 1)
        return rank + 1, {(x + 1 if x >= at else x): s for x, s in axes.items()}
    if op == "Transpose" and pos == 0 and (perm := index.ints(node.input[1])):
        return rank, {perm.index(x): s for x, s in axes.items()}
    if op == "Squeeze" and pos == 0:
        dims = {d % rank for d in attr_ints(node, "squeeze_dims")}
        for x, s in axes.items():
            if x in dims and s != 1:
                return f"Squeeze {node.name!r} squeezes dim {x}, which is {s} there (needs 1)"
        if not dims:
            return None
        return rank - len(dims), {x - sum(d < x for d in dims): s for x, s in axes.items()}
    if op in PAD_OPS and pos == 0 and (p := index.ints(node.input[1])) and len(p) == 2 * rank:
        out = {}
        for x, s in axes.items():
            before, after = p[2 * x], p[2 * x + 1]
            mode = node.attr["mode"].s.decode() if "mode" in node.attr else ""
            most = s - 1 if mode == "REFLECT" else s
            if mode and max(before, after) > most:
                return (
                    f"MirrorPad {node.name!r} ({mode}) pads dim {x} by {max(before, after)}, "
                    f"more than its size {s} allows"
                )
            out[x] = s + before + after
        return rank, out
    if op in WINDOW_OPS and pos == 0 and rank == 4:
        out = _window(index, node, axes)
        return out if isinstance(out, str) else (rank, out) if out else None
    return None


def survives(index: GraphIndex, tensor: str, rank: int, axes: dict[int, int]) -> tuple[str, int]:
    """Follow an image's height and width (``axes``: axis -> size) below ``tensor``: ``(why the
    first op does not fit them or "", how many convs, pools, pads, resizes took them)``."""
    todo, seen, met = [(tensor_name(tensor), rank, axes)], set(), 0
    while todo:
        t, r, a = todo.pop()
        if t in seen:
            continue
        seen.add(t)
        for node, pos in index.consumers.get(t, ()):
            if node.op in RESIZE_OPS and pos == 0 and r == 4 and set(a) == {1, 2}:
                met += 1
                continue
            out = _step(index, node, pos, r, a)
            if isinstance(out, str):
                return out, met
            if out is not None:
                met += node.op in WINDOW_OPS | PAD_OPS
                outs = (":0", ":1") if node.op == "Switch" else (":0",)
                todo.extend((node.name + o, *out) for o in outs)
    return "", met


def spatial_ops_below(index: GraphIndex, tensor: str) -> Iterator[NodeDef]:
    """The convs, pools, pads, resizes and squeezes downstream of ``tensor``, nearest first."""
    for name in sorted(index.downstream([op_name(tensor)], control=False), key=index.position.get):
        node = index.nodes[name]
        if node.op in SPATIAL_OPS:
            yield node


def image_size(index: GraphIndex, tensor: str, shape: Shape) -> tuple[dict[int, int], str] | None:
    """``(free axis -> size, why)`` to feed an image input ``tensor``: a resize's size below, else
    :data:`COMMON_IMAGE_SIZE`, or the nearest every op below takes; ``({}, why)``: none fits;
    ``None``: no image (rank 4 with 1, 3 or 4 channels, or sizes reaching a conv, pool, pad)."""
    axes = image_axes(shape)
    below = list(spatial_ops_below(index, tensor)) if axes else []
    if not axes or not below or shape is None:
        return None
    want, why = (COMMON_IMAGE_SIZE,) * 2, "a common image size (no resize below fixes one)"
    resize = next((n for n in below if n.op in IMAGE_RESIZE_OPS), None)
    size = index.ints(resize.input[1]) if resize is not None else None
    if resize is not None and size and len(size) == 2 and min(size) > 0:
        want, why = (size[0], size[1]), f"the size {resize.op} {resize.name!r} resizes it to"
    first_fail, image = "", len(shape) == 4 and shape[-1] in (1, 3, 4)
    for delta in range(max(want)):
        for sign in (1, -1) if delta else (1,):
            hw = [shape[a] or max(1, w + sign * delta) for a, w in zip(axes, want)]
            fail, met = survives(index, tensor, len(shape), dict(zip(axes, hw)))
            if not (image or met):
                return None
            if not fail:
                free = {a: s for a, s in zip(axes, hw) if shape[a] is None}
                if not delta:
                    return free, f"{why}; every conv, pool, pad and squeeze below takes it"
                return free, (
                    f"the nearest to {want[0]} ({why}) that every conv, pool, pad and squeeze "
                    f"below takes; {want[0]} fails: {first_fail}"
                )
            first_fail = first_fail or fail
    return {}, f"no size near {want[0]} fits: {first_fail}"
