"""Input shape inference, each dim with a reason: :func:`infer_shapes` merges the placeholder's
``shape`` (which wins), the signature, ``_output_shapes``, TF's inference, the consumers' needs
(:data:`SHAPE_RULES`), probing and image sizes; ``shapes=`` overrides all. The exclusive bound of
an integer input's values that index something: :data:`INDEX_RULES`, :func:`int_input_bounds`."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from explorer._tf import tf, tf1
from explorer.errors import FeedError
from explorer.graph.index import GraphIndex, graph_index
from explorer.graph.inputs import attr_ints, attr_shape, channels_first, image_size, loop_predicate
from explorer.graph.names import data_inputs, op_name, shape_text, tensor_name
from explorer.graph.op_families import (
    BROADCAST_OPS,
    CTC_DECODER_OPS,
    IDENTITY_OPS,
    IMAGE_DECODE_OPS,
    PAD_OPS,
    PLACEHOLDER_OPS,
    SHAPE_KEEPING_OPS,
    VARIABLE_OPS,
)
from explorer.graph.proto_reader import Shape
from explorer.graph.registry import OpRegistry
from explorer.graph.specs import TensorSpec, static_shape
from explorer.loading.isolation import graph_element, prepare_graph_def

if TYPE_CHECKING:
    from tensorflow.core.framework.graph_pb2 import GraphDef
    from tensorflow.core.framework.node_def_pb2 import NodeDef

    from explorer.loading.model import V1Model

MAX_HOPS = 8  # consumers are followed this far through shape-keeping ops (and pads)
GIVEN = "given (shapes= / --shape)"
MAX_ROUNDS = 8  # imports while probing
_EQUAL = re.compile(r"but are (\d+) and (\d+)")
_NODE = re.compile(r"for '\{\{node ([^}]+)\}\} = (\w+)")
_INPUT_SHAPES = re.compile(r"with input shapes: (.*?)\.?$")


@dataclass(frozen=True)
class Dim:
    """One dim of an input's shape: ``size`` fixed by the graph (with ``reason``: the op and why,
    without the size), or free (``None``): the sampler picks it (dim 0: the batch), at least
    ``minimum`` and a multiple of ``scale`` (``Reshape`` of ``[?]`` to ``[-1, 784]``: 784 each)."""

    def describe(self) -> str:
        """``784: Reshape 'r' reshapes it to [-1, 784]`` (``at least 5: ...`` for a minimum)."""
        if self.size is not None:
            head = str(self.size)
        elif self.scale > 1:
            head = f"a multiple of {self.scale}"
        elif self.minimum > 1:
            head = f"at least {self.minimum}"
        else:
            return self.reason
        return f"{head}: {self.reason}" if self.reason else head

    size: int | None = None
    reason: str = ""
    minimum: int = 1
    scale: int = 1
    group: str = ""  # free dims of one group take one size (the graph ties them)


@dataclass(frozen=True)
class Proposal:
    """The shape one consumer needs (a ``Dim`` per axis; ``()``: a scalar) and why."""

    dims: tuple[Dim, ...]
    reason: str


@dataclass
class ShapeContext:
    """What a shape or index rule may look at: the graph index, and ``static`` (tensor name ->
    TensorFlow's static shape, when the graph imported; for index rules, with sampled shapes)."""

    index: GraphIndex
    static: Callable[[str], Shape] | None = None
    _consts: dict[str, Any] = field(default_factory=dict)

    def static_shape(self, tensor: str) -> Shape:
        """TensorFlow's static shape of ``tensor``, else its producer's shape attributes."""
        t = tensor_name(tensor)
        s = self.static(t) if self.static is not None else None
        node = self.index.producer(t) if s is None else None
        return attr_shape(node, int(t.rpartition(":")[2])) if node is not None else s

    def const(self, tensor: str) -> Any:
        """The value of a ``Const`` (through ``Identity``), else ``None``."""
        if (t := tensor_name(tensor)) not in self._consts:
            self._consts[t] = self.index.const(t, IDENTITY_OPS)
        return self._consts[t]

    def const_int(self, inp: str) -> int | None:
        """The value of a scalar integer ``Const`` input, else ``None``."""
        value = self.index.const(inp)
        ok = value is not None and value.ndim == 0 and value.dtype.kind in "iu"
        return int(value) if ok else None

    def dim(self, inp: str, axis: int | None) -> Bound:
        """Static size of dim ``axis`` of the tensor ``inp`` names (negative axes count back)."""
        if axis is None:
            return None
        s = self.static(tensor_name(inp)) if self.static is not None else None
        if s is not None and -len(s) <= axis < len(s) and s[axis] is not None:
            return int(s[axis])
        node = self.index.source(inp)
        shape = attr_shape(node) if node is not None else None
        if shape is None or not -len(shape) <= axis < len(shape):
            return None
        axis %= len(shape)
        if shape[axis] is None and node.op in PLACEHOLDER_OPS:
            return PlaceholderDim(node.name, axis)
        return shape[axis]


ShapeRuleFn = Callable[[ShapeContext, Any, int, Shape], "Proposal | None"]
"""``fn(ctx, node, pos, shape)``, ``pos``: the input's position among the node's data inputs."""
SHAPE_RULES: OpRegistry[ShapeRuleFn] = OpRegistry("shape rule")
shape_rule = SHAPE_RULES.register
SPARSE_SHAPE_RULES: OpRegistry[ShapeRuleFn] = OpRegistry("sparse shape rule")
"""Asked with ``(ctx, node, pos, dense_shape)`` for a sparse input's ``indices``' consumers."""
sparse_shape_rule = SPARSE_SHAPE_RULES.register


def shapes_agree(a: tuple[int | None, ...], b: tuple[int | None, ...]) -> bool:
    """One rank, and no dim that both know differs."""
    return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b))


def resolve_key(key: str, specs: Mapping[str, TensorSpec]) -> str | None:
    """The spec key a feed key means: itself, or ``name:0`` for a tensor name given as ``name``."""
    if key in specs or (":" not in key and f"{key}:0" in specs):
        return key if key in specs else f"{key}:0"
    return None


def _fixed(size: int | None, reason: str) -> Dim:
    return Dim() if size is None or size < 0 else Dim(int(size), reason)


def _where(node: NodeDef) -> str:
    return f"{node.op} {node.name!r}"


SCALAR_INPUTS: dict[str, tuple[int, str]] = {
    **dict.fromkeys((*IMAGE_DECODE_OPS, "DecodeGif", "ExtractJpegShape"), (0, "image contents")),
    "DecodeWav": (0, "WAV file contents"),
    "ParseTensor": (0, "a serialized TensorProto"),
    "ParseSingleExample": (0, "one serialized tf.Example"),
    "ReadFile": (0, "a file name"),
}
"""Op type -> (input position, what it reads) for inputs that must be one scalar string."""


def _scalar_rule(ctx: ShapeContext, node: NodeDef, pos: int, shape: Shape) -> Proposal | None:
    want, what = SCALAR_INPUTS[node.op]
    why = f"scalar: {_where(node)} reads it as {what} (one scalar string)"
    return Proposal((), why) if pos == want else None


SHAPE_RULES.add(_scalar_rule, *SCALAR_INPUTS, name="scalar contents")


@shape_rule("Reshape")
def _reshape(ctx: ShapeContext, node: NodeDef, pos: int, shape: Shape) -> Proposal | None:
    if pos != 0:
        return None
    target = ctx.static_shape(f"{node.name}:0")
    if (value := ctx.const(node.input[1])) is not None and value.ndim == 1:
        target = tuple(None if int(v) < 0 else int(v) for v in value)
        text = f"[{', '.join(str(int(v)) for v in value)}]"
    elif target is not None:
        text = shape_text(target)
    else:
        return None
    why = f"{_where(node)} reshapes it to {text}"
    per = math.prod(d for d in target if d is not None)
    if shape is None:  # take the target's shape; its -1 becomes the batch
        return Proposal(tuple(_fixed(d, why) for d in target), why)
    if len(free := [i for i, d in enumerate(shape) if d is None]) != 1:
        return None
    have = math.prod(d for d in shape if d is not None)
    scaled = None in target  # the element count is `per` times a free size
    if per % have or (scaled and per // have <= 1):
        return None
    dims = [Dim() if d is None else Dim(d) for d in shape]
    dims[free[0]] = Dim(scale=per // have, reason=why) if scaled else Dim(per // have, why)
    return Proposal(tuple(dims), why)


def _attr_b(node: NodeDef, name: str) -> bool:
    return bool(node.attr[name].b) if name in node.attr else False


@shape_rule("MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3")
def _matmul(ctx: ShapeContext, node: NodeDef, pos: int, shape: Shape) -> Proposal | None:
    if pos not in (0, 1):
        return None
    other = ctx.static_shape(node.input[1 - pos])
    batched = node.op != "MatMul"
    if other is None or len(other) < 2 or (not batched and len(other) != 2):
        return None if batched else Proposal((Dim(), Dim()), f"rank 2: {_where(node)}")
    names = ("adj_x", "adj_y") if batched else ("transpose_a", "transpose_b")
    ta, tb = _attr_b(node, names[0]), _attr_b(node, names[1])
    rank = max(len(other), len(shape) if shape is not None else 2) if batched else 2
    src = op_name(node.input[1 - pos])
    if pos == 0:
        k = other[-1] if tb else other[-2]
        why = f"{_where(node)} multiplies it by {src} {shape_text(other)}"
        inner_last = not ta
    else:
        k = other[-2] if ta else other[-1]
        why = f"{_where(node)} multiplies {src} {shape_text(other)} by it"
        inner_last = tb
    dims = [Dim() for _ in range(rank)]
    dims[-1 if inner_last else -2] = _fixed(k, why)
    if shape is not None and len(shape) != rank:
        return None
    return Proposal(tuple(dims), why)


@shape_rule("Conv2D", "DepthwiseConv2dNative", "Conv3D")
def _conv(ctx: ShapeContext, node: NodeDef, pos: int, shape: Shape) -> Proposal | None:
    if pos != 0:
        return None
    rank = 5 if node.op == "Conv3D" else 4
    if (filt := ctx.static_shape(node.input[1])) is None or len(filt) != rank:
        return Proposal(tuple(Dim() for _ in range(rank)), f"rank {rank}: {_where(node)}")
    ch = 1 if channels_first(node) else rank - 1
    dil = attr_ints(node, "dilations")
    dims = [Dim() for _ in range(rank)]
    why = f"{_where(node)} convolves it with {op_name(node.input[1])} {shape_text(filt)}"
    dims[ch] = _fixed(filt[rank - 2], f"the input channels: {why}")
    for k, axis in enumerate(i for i in range(1, rank) if i != ch):
        if filt[k] is not None and filt[k] > 1:
            d = dil[axis] if len(dil) == rank else 1
            dims[axis] = Dim(minimum=(filt[k] - 1) * d + 1, reason=why)
    return Proposal(tuple(dims), why)


@shape_rule("MaxPool", "AvgPool")
def _pool(ctx: ShapeContext, node: NodeDef, pos: int, shape: Shape) -> Proposal | None:
    ksize = attr_ints(node, "ksize") if pos == 0 else []
    if len(ksize) != 4:
        return None
    why = f"{_where(node)} pools it with ksize {ksize}"
    return Proposal(tuple(Dim(minimum=k, reason=why) if k > 1 else Dim() for k in ksize), why)


@shape_rule("BiasAdd", "BiasAddV1")
def _bias_add(ctx: ShapeContext, node: NodeDef, pos: int, shape: Shape) -> Proposal | None:
    bias = ctx.static_shape(node.input[1]) if pos == 0 else None
    rank = len(shape) if shape is not None else 2
    if bias is None or len(bias) != 1 or bias[0] is None or rank < 2:
        return None
    why = f"{_where(node)} adds a bias of {bias[0]}"
    dims = [Dim() for _ in range(rank)]
    dims[1 if channels_first(node) else rank - 1] = Dim(bias[0], why)
    return Proposal(tuple(dims), why)


def _broadcast(ctx: ShapeContext, node: NodeDef, pos: int, shape: Shape) -> Proposal | None:
    if pos not in (0, 1):
        return None
    other = ctx.static_shape(node.input[1 - pos])
    if not other or any(d is None for d in other) or all(d == 1 for d in other):
        return None  # a scalar (or unknown) other side says nothing
    src = ctx.index.source(node.input[1 - pos])
    what = "a constant" if src is not None and src.op == "Const" else op_name(node.input[1 - pos])
    why = f"{_where(node)} broadcasts it with {what} of shape {shape_text(other)}"
    if shape is None:
        dims = [Dim()] + [Dim() if d == 1 else Dim(d, why) for d in other]
        return Proposal(tuple(dims), why)
    if len(shape) < len(other):
        return None
    dims = [Dim() if d is None else Dim(d) for d in shape]
    off = len(shape) - len(other)
    for i, d in enumerate(other):
        if d != 1 and shape[off + i] is None:
            dims[off + i] = Dim(d, why)
    return Proposal(tuple(dims), why)


SHAPE_RULES.add(_broadcast, *sorted(BROADCAST_OPS), name="broadcast")


@shape_rule("ConcatV2", "Concat", "Pack")
def _concat(ctx: ShapeContext, node: NodeDef, pos: int, shape: Shape) -> Proposal | None:
    data = data_inputs(node)
    if node.op == "ConcatV2":
        values, axis_t = data[:-1], data[-1]
    elif node.op == "Concat":
        values, axis_t = data[1:], data[0]
        pos -= 1
    else:
        values, axis_t = data, None
    if not 0 <= pos < len(values):
        return None
    a = ctx.const(axis_t) if axis_t is not None else None
    if axis_t is not None and (a is None or a.ndim != 0):
        return None
    axis = None if a is None else int(a)
    for j, sib in enumerate(values):
        if j == pos or sib == values[pos] or (s := ctx.static_shape(sib)) is None:
            continue
        if axis is not None:
            axis %= max(len(s), 1)
        verb = "stacks" if node.op == "Pack" else "concatenates"
        why = f"{_where(node)} {verb} it with {op_name(sib)} {shape_text(s)}"
        origins = [dim_origin(ctx, sib, i, d) if d and i != axis else "" for i, d in enumerate(s)]
        dims = [
            Dim() if i == axis or d is None else Dim(d, f"{why}; {o}" if o else why)
            for i, (d, o) in enumerate(zip(s, origins))
        ]
        return Proposal(tuple(dims), why)
    return None


@shape_rule("GatherNd", "ResourceGatherNd")
def _gather_nd(ctx: ShapeContext, node: NodeDef, pos: int, shape: Shape) -> Proposal | None:
    if not (params := (ctx.static_shape(node.input[0]) if pos == 1 else None)):
        return None
    why = f"{_where(node)} indexes {op_name(node.input[0])} {shape_text(params)} with it"
    if shape is None:
        return Proposal((Dim(), Dim(len(params), why)), why)
    if not shape or shape[-1] is not None:
        return None
    dims = [Dim() if d is None else Dim(d) for d in shape]
    dims[-1] = Dim(len(params), why)
    return Proposal(tuple(dims), why)


@sparse_shape_rule("SparseToDense")
def _sparse_to_dense(ctx: ShapeContext, node: NodeDef, pos: int, shape: Shape) -> Proposal | None:
    if (out := (ctx.static_shape(f"{node.name}:0") if pos == 0 else None)) is None:
        return None
    why = f"{_where(node)} densifies it to {shape_text(out)}"
    return Proposal(tuple(_fixed(d, why) for d in out), why)


@sparse_shape_rule("SparseTensorDenseMatMul")
def _sparse_matmul(ctx: ShapeContext, node: NodeDef, pos: int, shape: Shape) -> Proposal | None:
    if (b := (ctx.static_shape(node.input[3]) if pos == 0 else None)) is None or len(b) != 2:
        return None
    k = b[1] if _attr_b(node, "adjoint_b") else b[0]
    why = f"{_where(node)} multiplies it by {op_name(node.input[3])} {shape_text(b)}"
    inner = _fixed(k, why)
    return Proposal((inner, Dim()) if _attr_b(node, "adjoint_a") else (Dim(), inner), why)


DIM_ORIGINS: OpRegistry[Callable[[ShapeContext, Any, int], str]] = OpRegistry("dim origin")
"""Op type -> ``fn(ctx, node, size) -> text`` for ops that fix a size (``Tile``, ``Fill``, a
constant, a variable), named in the reason of a dim fixed deep in the graph."""
dim_origin_rule = DIM_ORIGINS.register


@dim_origin_rule("Tile")
def _tile_origin(ctx: ShapeContext, node: NodeDef, size: int) -> str:
    m = ctx.const(node.input[1])
    multiples = [] if m is None else [int(v) for v in m.reshape(-1)]
    # not in the multiples: the size came through the tiled input
    return f"fixed by Tile {node.name!r} (multiples {multiples})" if size in multiples else ""


@dim_origin_rule("Fill")
def _fill_origin(ctx: ShapeContext, node: NodeDef, size: int) -> str:
    d = ctx.const(node.input[0])
    dims = "" if d is None else f" (dims {[int(v) for v in d.reshape(-1)]})"
    return f"fixed by Fill {node.name!r}{dims}"


def _declared_origin(ctx: ShapeContext, node: NodeDef, size: int) -> str:
    return f"fixed by {node.op} {node.name!r} {shape_text(attr_shape(node))}"


DIM_ORIGINS.add(_declared_origin, "Const", *VARIABLE_OPS, name="declared")


def dim_origin(ctx: ShapeContext, tensor: str, axis: int, size: int, hops: int = 64) -> str:
    """Where dim ``axis`` = ``size`` of ``tensor`` is fixed (``"fixed by Tile 't' (multiples
    [128])"``): the first op up its inputs holding ``size`` that :data:`DIM_ORIGINS` names."""
    seen: set[str] = set()
    frontier = [tensor_name(tensor)]
    for _ in range(hops):
        if not frontier:
            return ""
        if (node := ctx.index.producer(frontier.pop(0))) is None or node.name in seen:
            continue
        seen.add(node.name)
        rule = DIM_ORIGINS.get(node.op)
        if text := (rule(ctx, node, size) if rule is not None else ""):
            return text
        for inp in node.input:
            s = None if inp.startswith("^") else ctx.static_shape(inp)
            if s is not None and size in s:
                frontier.append(inp)
    return ""


@dataclass(frozen=True)
class PlaceholderDim:
    """Dim ``dim`` of placeholder ``op``, unknown in the graph: the sampled size (``+ plus``)."""

    op: str
    dim: int
    plus: int = 0


Bound = int | PlaceholderDim | None  # an exclusive upper limit; None: the graph does not say
INDEX_RULES: OpRegistry[Callable[[ShapeContext, Any, int], Bound]] = OpRegistry("index rule")
"""Op type -> ``fn(graph, node, input position)``: the exclusive bound for that input."""
index_rule = INDEX_RULES.register

# Op type -> the input positions whose values it passes on unchanged (None: every data input).
VALUE_PRESERVING: dict[str, tuple[int, ...] | None] = dict.fromkeys(
    ("Identity", "Snapshot", "StopGradient", "Cast", "Reshape", "ExpandDims", "Squeeze", "Tile")
    + ("Slice", "StridedSlice", "Unique", "Switch", "RefSwitch", "Enter", "RefEnter", "Exit")
    + ("NextIteration",),
    (0,),
) | dict.fromkeys(("IdentityN", "Pack", "Merge", "RefMerge"), None)
_PRESERVED_OUTPUTS = {"Switch": 2, "RefSwitch": 2, "IdentityN": -1}


_ROWS = (1, lambda g, n: g.dim(n.input[0], 0))  # input 1 indexes the rows of input 0
_LENGTHS = (1, lambda g, n: _plus_one(g.dim(n.input[0], 0)))  # at most max_time, input 0's dim 0
BOUND_AT: dict[str, tuple[int, Callable[[ShapeContext, Any], Bound]]] = {
    **dict.fromkeys(("Gather", "ResourceGather", "SparseSegmentSum", "SparseSegmentMean"), _ROWS),
    "SparseSegmentSqrtN": _ROWS,
    "GatherV2": (1, lambda g, n: g.dim(n.input[0], g.const_int(n.input[2]))),
    "ReverseSequence": (1, lambda g, n: _plus_one(g.dim(n.input[0], n.attr["seq_dim"].i))),
    **dict.fromkeys(
        ("UnsortedSegmentSum", "UnsortedSegmentMax", "UnsortedSegmentMin", "UnsortedSegmentProd"),
        (1, lambda g, n: g.const_int(n.input[2])),  # num_segments
    ),
    "DynamicPartition": (1, lambda g, n: n.attr["num_partitions"].i),
    **dict.fromkeys(CTC_DECODER_OPS, _LENGTHS),
    "OneHot": (0, lambda g, n: g.const_int(n.input[1])),  # depth
}
"""Op type -> (input position, ``fn(graph, node)``: the exclusive bound of that input)."""


def _bound_at(g: ShapeContext, node: NodeDef, pos: int) -> Bound:
    want, bound = BOUND_AT[node.op]
    return bound(g, node) if pos == want else None


INDEX_RULES.add(_bound_at, *BOUND_AT, name="index input")


@index_rule("CTCLoss", "CTCLossV2")
def _ctc_loss(g: ShapeContext, node: NodeDef, pos: int) -> Bound:
    # inputs, labels_indices, labels_values, sequence_length
    if pos == 3:
        return _plus_one(g.dim(node.input[0], 0))
    if pos == 2:  # labels below the blank class (the last one)
        classes = g.dim(node.input[0], 2)
        return classes - 1 if isinstance(classes, int) and classes > 1 else None
    return None


@index_rule("GatherNd", "ResourceGatherNd")
def _gather_nd_bound(g: ShapeContext, node: NodeDef, pos: int) -> Bound:
    # each index row points into the params' leading dims: below the smallest of them
    sizes = []
    while pos == 1 and len(sizes) < 8 and (d := g.dim(node.input[0], len(sizes))) is not None:
        sizes.append(d)
    ints = [d for d in sizes if isinstance(d, int)]
    return min(ints) if ints else (sizes[0] if sizes else None)


def _plus_one(size: Bound) -> Bound:
    if isinstance(size, PlaceholderDim):
        return PlaceholderDim(size.op, size.dim, plus=size.plus + 1)
    return None if size is None else size + 1  # a length may equal the time dim


def int_input_bounds(
    graph_def: GraphDef, inputs: Mapping[str, str], static: Callable[[str], Any] | None = None
) -> dict[str, list[tuple[Bound, str]]]:
    """Input key -> ``(exclusive bound, the op)`` for each op bounding that integer input's values
    (``inputs``: key -> tensor name), followed forward; ``static``: shapes with the sampled ones."""
    g = ShapeContext(graph_index(graph_def), static)
    out: dict[str, list[tuple[Bound, str]]] = {}
    for key, name in inputs.items():
        bounds: list[tuple[Bound, str]] = []
        seen: set[str] = set()
        stack = [tensor_name(name)]
        while stack:
            if (t := stack.pop()) in seen:
                continue
            seen.add(t)
            for node, pos in g.index.consumers.get(t, ()):
                rule = INDEX_RULES.get(node.op)
                if (b := (rule(g, node, pos) if rule is not None else None)) is not None:
                    bounds.append((b, f"{node.op} {node.name!r}"))
                if (keep := VALUE_PRESERVING.get(node.op, ())) is None or pos in keep:
                    n_out = _PRESERVED_OUTPUTS.get(node.op, 1)
                    idxs = [pos] if n_out == -1 else range(n_out)
                    stack.extend(f"{node.name}:{i}" for i in idxs)
        out[key] = bounds
    return out


def resolve(bounds: list[Bound], sampled: Mapping[str, tuple[int, ...]]) -> int | None:
    """The tightest bound (``None``: none), a :class:`PlaceholderDim` read from ``sampled``."""
    dims = [(sampled.get(b.op), b) for b in bounds if isinstance(b, PlaceholderDim)]
    values = [b for b in bounds if b is not None and not isinstance(b, PlaceholderDim)]
    values += [s[b.dim] + b.plus for s, b in dims if s is not None and b.dim < len(s)]
    return min(values) if values else None


def int_highs(
    graph_def: GraphDef,
    specs: Mapping[str, Any],
    shapes: Mapping[str, tuple[int, ...]],
    default: int,
    static: Callable[[str], Any] | None = None,
) -> dict[str, tuple[int, str]]:
    """Input key -> (exclusive high below ``default``, a note) for the int inputs that index."""
    ints = {k: specs[k].name for k in shapes if _is_int(specs[k])}
    sampled = {op_name(specs[k].name): shape for k, shape in shapes.items()}
    out = {}
    for key, found in int_input_bounds(graph_def, ints, static).items():
        if (high := resolve([b for b, _ in found], sampled)) is not None and high < default:
            high = max(high, 1)
            ops = ", ".join(sorted({w for b, w in found if resolve([b], sampled) == high})[:3])
            note = f"{key}: ints in [0, {high}), the range the graph indexes with it ({ops})"
            out[key] = (high, note)
    return out


LENGTH_WORDS = ("length", "seq_len", "lengths", "_len")
"""Words in the name of a sequence-length input (``source_sequence_length``, ``seq_len``)."""


def length_highs(
    specs: Mapping[str, Any],
    shapes: Mapping[str, tuple[int, ...]],
    known: Mapping[str, tuple[int, str]],
    default: int,
) -> dict[str, tuple[int, str]]:
    """Key -> (high, note) for sequence lengths no op bounds directly (a seq2seq while loop): a
    rank-1 int input named like a length stays within the shortest time dim (dim 1) fed with it."""
    seqs = {
        k: s
        for k, s in shapes.items()
        if specs[k].kind == "dense" and len(s) >= 2 and not specs[k].dtype.startswith("string")
    }
    out = {}
    for key, shape in shapes.items():
        named = any(w in f"{key} {specs[key].name}".lower() for w in LENGTH_WORDS)
        if key in known or len(shape) != 1 or not _is_int(specs[key]) or not named:
            continue
        times = [(s[1], k) for k, s in seqs.items() if s[0] == shape[0] and k != key]
        if not times:
            continue
        time, src = min(times)
        if time + 1 < default:
            why = f"a sequence length (named like one) of at most {src}'s time dim {time}"
            out[key] = (time + 1, f"{key}: ints in [0, {time + 1}), {why}")
    return out


def _is_int(spec: Any) -> bool:
    return spec.kind == "dense" and bool(re.fullmatch(r"u?int(8|16|32|64)(_ref)?", spec.dtype))


@dataclass(frozen=True)
class InferredShape:
    """One input's shape: ``dims`` (``None``: unknown rank), ``notes`` on how the sources were
    read, ``rank_reason`` why the rank was decided when the graph did not say."""

    key: str
    name: str
    dims: tuple[Dim, ...] | None
    notes: tuple[str, ...] = ()
    rank_reason: str = ""

    @property
    def shape(self) -> Shape:
        """Ints, ``None`` for the dims the sampler picks."""
        return None if self.dims is None else tuple(d.size for d in self.dims)

    def reasons(self) -> list[str]:
        """A line per dim with a reason: ``dim 1 = 784: Reshape 'r' reshapes ...``."""
        out = [self.rank_reason] if self.rank_reason else []
        for i, d in enumerate(self.dims or ()):
            if d.reason:
                out.append(f"dim {i}{' = ' if d.size is not None else ': '}{d.describe()}")
        return out

    def fixed(self, axis: int, dim: Dim) -> InferredShape:
        dims = tuple(dim if i == axis else d for i, d in enumerate(self.dims or ()))
        return dataclasses.replace(self, dims=dims)

    def to_json(self) -> dict[str, Any]:
        shape = None if self.dims is None else list(self.shape or ())
        return {"shape": shape, "reasons": self.reasons(), "notes": list(self.notes)}


class _Inference:
    """One model's graph index, static shapes (imported lazily) and probing."""

    def __init__(self, model: V1Model) -> None:
        self.model = model
        self.index = graph_index(model.graph_def)
        self.nodes = self.index.nodes
        self.probed: set[str] = set()  # keys whose dim 0 the probe fixed
        self.ctx = ShapeContext(self.index, self._static)

    def import_with(self, shapes: Mapping[str, tuple[int | None, ...]]) -> Any:
        """The prepared graph, placeholders of ``shapes`` set to those (ValueError: TF refuses)."""
        gd = prepare_graph_def(self.model, writable=True)
        for node in gd.node:
            if node.name in shapes and "shape" in node.attr:
                s = node.attr["shape"].shape
                s.unknown_rank = False
                del s.dim[:]
                for d in shapes[node.name]:
                    s.dim.add().size = -1 if d is None else int(d)
        g = tf().Graph()
        with g.as_default():
            tf1().import_graph_def(gd, name="")
        return g

    @cached_property
    def graph(self) -> Any:
        return self.try_import({})

    def try_import(self, shapes: Mapping[str, tuple[int | None, ...]]) -> Any:
        """:meth:`import_with`, or ``None`` (custom ops, a damaged graph, a refused shape)."""
        try:
            return None if self.model.replacements else self.import_with(shapes)
        except Exception:  # noqa: BLE001 - no static shapes, then
            return None

    def _static(self, tensor: str) -> Shape:
        return _graph_shape(self.graph, tensor)

    def infer(self, key: str, spec: Any, given: Any = None) -> InferredShape:
        if spec.kind != "dense":
            return self._infer_sparse(key, spec, given)
        name = tensor_name(spec.name)
        node = self.nodes.get(op_name(name))
        is_placeholder = node is not None and node.op in PLACEHOLDER_OPS
        # ambiguous: a TF 1.0-era `[]`, scalar or unknown (the consumers decide)
        declared, ambiguous = _declared(self.model, node) if is_placeholder else (None, False)
        if given is not None:
            return self._given(key, name, given, declared, spec)
        info = None if ambiguous and spec.shape == () else spec.shape
        has_outs = node is not None and "_output_shapes" in node.attr
        outs = attr_shape(node, int(name.rpartition(":")[2])) if has_outs else None
        outs = None if ambiguous and outs == () else outs
        shape, notes = declared, []
        for other, label in ((info, "the signature's TensorInfo"), (outs, "_output_shapes")):
            shape, note = _merge(shape, other, label, "the placeholder" if is_placeholder else "")
            notes += [note] if note else []
        if is_placeholder and declared is not None and info is None and spec.shape is None:
            notes.append(
                "the signature's TensorInfo has no shape; the placeholder's "
                f"{shape_text(declared)} is used"
            )
        if not is_placeholder and shape is None:
            shape = self._static(name)
        dims = None if shape is None else tuple(Dim(d) for d in shape)
        dims, rank_reason = _apply(dims, self._proposals(name, shape), rank_prefix=True)
        if ambiguous and dims == ():
            notes.append("the TF 1.0-era shape [] is read as a real scalar here")
        elif ambiguous and dims is None:
            notes.append(
                "the TF 1.0-era shape [] means unknown there and no consumer needs a scalar: "
                "read as unknown rank"
            )
        elif ambiguous:
            notes.append(
                "the TF 1.0-era shape [] means unknown there: read as "
                f"{shape_text(tuple(d.size for d in dims or ()))} from the graph"
            )
        return InferredShape(key, name, dims, tuple(notes), rank_reason)

    def _given(self, key: str, name: str, given: Any, declared: Shape, spec: Any) -> InferredShape:
        want = tuple(None if d is None or int(d) < 0 else int(d) for d in given)
        for ref, label in ((declared, "the placeholder"), (spec.shape, "the input's spec")):
            if ref is not None and not shapes_agree(ref, want):
                raise FeedError(
                    f"shape {shape_text(want)} given for input {key!r} ({name}) contradicts "
                    f"{label}'s {shape_text(ref)}: give a shape of that form (CLI: --shape "
                    f"{key}={','.join('-1' if d is None else str(d) for d in ref)})"
                )
        return InferredShape(key, name, tuple(Dim(d) for d in want), (), GIVEN)

    def _proposals(self, name: str, shape: Shape, sparse: bool = False) -> Iterable[Proposal]:
        """What the consumers of ``name`` need, nearest first (through shape-keeping ops and
        pads; sparse: the ``indices``' consumers); a value steering a loop first (a scalar)."""
        rules = SPARSE_SHAPE_RULES if sparse else SHAPE_RULES
        if not sparse and (found := loop_predicate(self.index, name)) is not None:
            yield Proposal(
                (), f"scalar: it steers {found[0].op} {found[0].name!r} (through {found[1]})"
            )
        through = IDENTITY_OPS if sparse else SHAPE_KEEPING_OPS | PAD_OPS
        for node, pos in self.index.readers(name, through, MAX_HOPS, input0_only=True):
            rule = rules.get(node.op)
            try:  # a rule failing on an odd node (a constant of an odd dtype) says nothing
                prop = rule(self.ctx, node, pos, shape) if rule is not None else None
            except Exception:  # noqa: BLE001
                prop = None
            if prop is not None:
                yield prop

    def _infer_sparse(self, key: str, spec: Any, given: Any) -> InferredShape:
        name = spec.name or key
        if given is not None:
            return self._given(key, name, given, None, spec)
        dims = None if spec.shape is None else tuple(Dim(d) for d in spec.shape)
        start = tensor_name(spec.components[0]) if spec.components else None
        props = self._proposals(start, spec.shape, sparse=True) if start else ()
        dims, rank_reason = _apply(dims, props, rank_prefix=False)
        return InferredShape(key, name, dims, (), rank_reason)

    def probe(self, inferred: dict[str, InferredShape], feed_keys: Iterable[str]) -> list[str]:
        """Bind free dims of fed placeholders that TensorFlow's inference fixes; returns notes."""
        if self.graph is None:
            return []
        ops: dict[str, str] = {}  # placeholder op -> input key
        shapes: dict[str, tuple[int | None, ...]] = {}
        for key in feed_keys:
            inf = inferred.get(key)
            node = self.nodes.get(op_name(inf.name)) if inf and inf.dims is not None else None
            if node is not None and node.op in PLACEHOLDER_OPS:
                ops[node.name] = key
                shapes[node.name] = tuple(inf.shape or ())
        if not any(None in s for s in shapes.values()):
            return []
        try:
            scales = {
                (op, i): d.scale
                for op, key in ops.items()
                for i, d in enumerate(inferred[key].dims or ())
                if d.size is None and d.scale > 1
            }
            known = {d for n in self.nodes.values() for d in attr_shape(n) or () if d is not None}
            result = probe(self.import_with, shapes, known, self._origin, scales)
        except Exception as e:  # noqa: BLE001 - probing is a refinement: never a failure
            return [f"shape inference could not probe the graph ({type(e).__name__})"]
        for (op, axis), (size, reason) in result.fixed.items():
            inferred[ops[op]] = inferred[ops[op]].fixed(axis, Dim(size, reason))
            if axis == 0:
                self.probed.add(ops[op])
        for (op, axis), ((op2, axis2), reason) in result.ties.items():
            key, key2 = ops[op], ops[op2]
            for k, a in ((key, axis), (key2, axis2)):
                inf = inferred[k]
                if (d := (inf.dims or ())[a]).size is None:
                    why = d.reason or (f"equal to {key2} dim {axis2}: {reason}" if k == key else "")
                    tied = dataclasses.replace(d, group=f"{key2}#{axis2}", reason=why)
                    inferred[k] = inf.fixed(a, tied)
        if result.stopped and result.fixed:
            return [f"shape inference stopped probing: {result.stopped}"]
        return []

    def _origin(self, node_name: str, size: int) -> str:
        node = self.nodes.get(node_name)
        for inp in node.input if node is not None else ():
            s = None if inp.startswith("^") else self._static(tensor_name(inp))
            origin = dim_origin(self.ctx, inp, s.index(size), size) if s and size in s else ""
            if origin:
                return origin
        return ""


def _graph_shape(g: Any, tensor: str) -> Shape:
    t = graph_element(g, tensor) if g is not None and ":" in tensor else None
    return None if t is None else static_shape(t.shape)


def _share_batch(inferred: dict[str, InferredShape], keys: list[str], probed: set[str]) -> None:
    """When probing fixed one fed input's dim 0 (a decoder tiled to 128), the others' take it."""
    fixed = {}
    for k in keys:
        dims = inferred[k].dims
        if k in probed and dims and dims[0].size is not None:
            fixed.setdefault(dims[0].size, k)
    if len(fixed) != 1:
        return
    ((size, src),) = fixed.items()
    for k in keys:
        inf = inferred[k]
        if inf.dims and inf.dims[0].size is None:
            inferred[k] = inf.fixed(0, Dim(size, f"the batch, as {src} dim 0 (fixed by the graph)"))


def _image_dims(index: GraphIndex, inf: InferredShape) -> InferredShape:
    """An image input's free height and width set to :func:`image_size`."""
    sizes, why = image_size(index, inf.name, inf.shape) or ({}, "")
    for a, size in sizes.items():
        if (d := (inf.dims or ())[a]).size is None and d.scale == 1 and not d.group:
            inf = inf.fixed(a, Dim(size, why))
    return inf


def _merge(a: Shape, b: Shape, label: str, first: str) -> tuple[Shape, str]:
    """``a`` completed by ``b`` (``a`` wins a disagreement, noted)."""
    if a is None or b is None:
        return (b if a is None else a), ""
    if not shapes_agree(a, b):
        who = first or "the graph"
        return a, f"{label} says {shape_text(b)} but {who} says {shape_text(a)}: {who}'s is used"
    return tuple(x if x is not None else y for x, y in zip(a, b)), ""


def _apply(
    dims: tuple[Dim, ...] | None, props: Iterable[Proposal], rank_prefix: bool
) -> tuple[tuple[Dim, ...] | None, str]:
    """``dims`` merged with each proposal of its rank; the first gives an unknown rank (and the
    rank reason, ``rank N: ...`` when ``rank_prefix`` and no dim says it)."""
    rank_reason = ""
    for prop in props:
        if dims is None:
            dims = tuple(prop.dims)
            if not (rank_prefix and any(d.reason == prop.reason for d in dims)):
                pre = rank_prefix and bool(dims)
                rank_reason = f"rank {len(dims)}: {prop.reason}" if pre else prop.reason
        elif len(prop.dims) == len(dims):
            dims = tuple(_merge_dim(a, b) for a, b in zip(dims, prop.dims))
    return dims, rank_reason


def _merge_dim(a: Dim, b: Dim) -> Dim:
    """A known dim stays; a free one takes a fixed proposal, or the tighter of two free ones."""
    if a.size is not None or b.size is not None:
        return a if a.size is not None else b
    if b.minimum > a.minimum or b.scale > a.scale:
        minimum, scale = max(a.minimum, b.minimum), max(a.scale, b.scale)
        return Dim(None, b.reason or a.reason, minimum, scale, a.group or b.group)
    return a


def infer_shapes(
    model: V1Model,
    specs: Mapping[str, Any],
    *,
    shapes: Mapping[str, Any] | None = None,
    feed_keys: Iterable[str] | None = None,
    probe: bool = True,
) -> tuple[dict[str, InferredShape], list[str]]:
    """``(key -> InferredShape, notes)``; ``shapes``: key -> shape as given (``None``/``-1``: free);
    ``feed_keys``: the fed inputs (default: all), probed. FeedError: a shape contradicts it."""
    given = {resolve_key(str(k), specs) or str(k): tuple(v) for k, v in (shapes or {}).items()}
    keys = list(specs) if feed_keys is None else list(feed_keys)
    spec_key = tuple(sorted((k, repr(s)) for k, s in specs.items()))
    cache = model.memo.setdefault("infer_shapes", {})  # per model, as the model lives
    cache_key = (spec_key, tuple(sorted(given.items())), tuple(keys), probe)
    if cache_key in cache:
        return dict(cache[cache_key][0]), list(cache[cache_key][1])
    if unknown := [k for k in given if k not in specs]:
        raise FeedError(
            f"shapes names {unknown[0]!r}, which is not an input of this run: inputs are "
            f"{', '.join(specs) or 'none'}"
        )

    inf = _Inference(model)
    out = {key: inf.infer(key, spec, given.get(key)) for key, spec in specs.items()}
    notes = [f"{k}: {n}" for k, v in out.items() for n in v.notes]
    free = [k for k in keys if k not in given]
    if probe:
        notes.extend(inf.probe(out, free))
    _share_batch(out, free, inf.probed)
    out.update({k: _image_dims(inf.index, out[k]) for k in free if out[k].dims})
    cache[cache_key] = (out, notes)
    return dict(out), list(notes)


def concrete_shape(
    inferred: InferredShape,
    batch: int,
    default_dim: int,
    unknown_rank: tuple[int, ...] = (),
    groups: dict[str, int] | None = None,
) -> tuple[tuple[int, ...], list[str]]:
    """The shape to sample (dim 0 the batch, other free dims ``default_dim``, times scale, at least
    minimum; a group's dims share ``groups[g]``) and notes on it (``key: unknown dim 0=1``)."""
    key = inferred.key
    if inferred.dims is None:
        return tuple(unknown_rank), [f"{key}: unknown rank, fed with shape {list(unknown_rank)}"]
    groups = groups if groups is not None else {}
    out, filled = [], []
    for i, d in enumerate(inferred.dims):
        if d.size is not None:
            out.append(int(d.size))
            continue
        if (size := groups.get(d.group) if d.group else None) is None:
            size = max((batch if i == 0 else default_dim) * d.scale, d.minimum)
            if d.group:
                groups[d.group] = size
        out.append(size)
        filled.append(f"dim {i}={size}")
    notes, shape = [], tuple(out)
    if (reasons := inferred.reasons()) == [GIVEN]:
        notes.append(f"{key}: shape {shape_text(shape)} as {GIVEN}")
    elif reasons:
        notes.append(f"{key}: shape {shape_text(shape)} from the graph ({'; '.join(reasons)})")
    return shape, notes + ([f"{key}: unknown {', '.join(filled)}"] if filled else [])


def needed_shape(model: V1Model, tensor: str, default_dim: int = 2) -> tuple[int, ...] | None:
    """The shape the consumers of ``tensor`` need (free dims: 1, then ``default_dim``) or None."""
    for prop in _Inference(model)._proposals(tensor_name(tensor), None):
        return concrete_shape(InferredShape("", tensor, prop.dims), 1, default_dim)[0]
    return None


def static_shapes(model: V1Model, shapes: Mapping[str, tuple[int, ...]]) -> Any:
    """``tensor name -> static shape`` with placeholders set to ``shapes`` (``None``: it does not
    import); the last 4 are kept per model (parity samples the same shapes each batch)."""
    cache = model.memo.setdefault("static_shapes", {})
    key = tuple(sorted((k, tuple(v)) for k, v in shapes.items()))
    if key not in cache:
        if len(cache) >= 4:
            cache.pop(next(iter(cache)))
        g = _Inference(model).try_import(shapes)
        cache[key] = None if g is None else (lambda t: _graph_shape(g, tensor_name(t)))
    return cache[key]


def feed_shapes(model: V1Model, candidates: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """Name -> ``{shape, reasons, notes}`` of suggest's candidates the graph shapes further."""
    specs = {c.name: TensorSpec(c.name, c.dtype, c.shape) for c in candidates if c.name}
    try:
        inferred, _ = infer_shapes(model, specs)
    except Exception:  # noqa: BLE001 - the suggestion stands without its feed shape
        return {}
    shown = {name: inf.to_json() for name, inf in inferred.items()}
    return {name: j for name, j in shown.items() if j["reasons"] or j["notes"]}


def with_placeholder_shapes(model: V1Model, specs: Mapping[str, Any]) -> dict[str, Any]:
    """``specs``, a dense one of unknown rank given its placeholder's declared shape."""
    out = dict(specs)
    for key, spec in specs.items():
        if spec.kind == "dense" and spec.shape is None and spec.name:
            node = graph_index(model.graph_def).nodes.get(op_name(spec.name))
            declared = _declared(model, node)[0] if node and node.op in PLACEHOLDER_OPS else None
            if declared is not None:
                out[key] = dataclasses.replace(spec, shape=declared)
    return out


def _declared(model: V1Model, node: NodeDef) -> tuple[Shape, bool]:
    """A placeholder's declared shape (``None``: a TF 1.0-era ``[]``), and whether it was ``[]``."""
    raw = attr_shape(node) if "shape" in node.attr else None
    old = raw == () and model.producer <= 21
    return (None if old else raw), old


def _primes(start: int, count: int, avoid: set[int]) -> list[int]:
    out: list[int] = []
    n = start
    while len(out) < count:
        if n not in avoid and all(n % p for p in range(2, int(n**0.5) + 1)):
            out.append(n)
        n += 1
    return out


@dataclass
class ProbeResult:
    """``fixed`` (op, axis) -> (size, reason); ``ties`` (op, axis) -> (the (op, axis) it must
    equal, reason); ``graph`` the last import that succeeded; ``rounds``; ``stopped``: why."""

    fixed: dict[tuple[str, int], tuple[int, str]] = field(default_factory=dict)
    ties: dict[tuple[str, int], tuple[tuple[str, int], str]] = field(default_factory=dict)
    graph: Any = None
    rounds: int = 0
    stopped: str = ""


def probe(
    import_graph: Callable[[Mapping[str, tuple[int | None, ...]]], Any],
    shapes: Mapping[str, tuple[int | None, ...]],
    avoid: set[int] | None = None,
    describe_origin: Callable[[str, int], str] | None = None,
    scales: Mapping[tuple[str, int], int] | None = None,
) -> ProbeResult:
    """Bind the free dims of ``shapes`` (placeholder op -> shape) the graph fixes or ties: import it
    with each a distinct prime (1009, ...); an error ``... but are 1009 and 128`` binds that dim.
    ``import_graph`` raises ValueError if TF refuses; ``avoid``: graph sizes; ``scales``: factor."""
    free = [(op, i) for op, s in shapes.items() for i, d in enumerate(s) if d is None]
    result = ProbeResult()
    if not free:
        return result
    scales = scales or {}
    primes = _primes(1009, len(free), set(avoid or ()))
    sizes = {k: p * max(1, scales.get(k, 1)) for k, p in zip(free, primes)}
    for _ in range(MAX_ROUNDS):
        result.rounds += 1
        try:
            result.graph = import_graph({op: _with(s, op, sizes) for op, s in shapes.items()})
            return result
        except ValueError as e:
            msg = " ".join(str(e).split())
        by_size: dict[int, tuple[tuple[str, int], int]] = {}  # probe size -> (dim, factor)
        for key, v in sizes.items():
            by_size.setdefault(v, (key, 1))
            s = max(1, scales.get(key, 1))
            if s > 1:  # seen after a Reshape: the prime, per `s` elements
                by_size.setdefault(v // s, (key, s))
        m, node = _EQUAL.search(msg), _NODE.search(msg)
        a, b = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
        where = f"{node.group(2)} {node.group(1)!r}" if node else "an op"
        shapes_m = _INPUT_SHAPES.search(msg)
        seen = f" (input shapes {_unprobed(shapes_m.group(1), by_size)})" if shapes_m else ""
        if a in by_size and b in by_size:  # two free dims that must be equal
            (ka, fa), (kb, fb) = by_size[a], by_size[b]
            if fa != fb or ka == kb:
                break
            keep, tie = sorted((ka, kb))
            result.ties[tie] = (keep, f"{where} needs them equal{seen}")
            sizes[tie] = sizes[keep]
            continue
        if a in by_size or b in by_size:
            (key, factor), other = (by_size[a], b) if a in by_size else (by_size[b], a)
            size = other * factor
            origin = describe_origin(node.group(1), other) if describe_origin and node else ""
            reason = f"{where} needs it{seen}" + (f"; {origin}" if origin else "")
            tied = [k for k, v in sizes.items() if v == sizes[key]]  # they share the binding
            for k in tied:
                result.fixed[k] = (size, reason)
                del sizes[k]
            shapes = {op: _with(s, op, dict.fromkeys(tied, size)) for op, s in shapes.items()}
            if not sizes:
                try:
                    result.graph = import_graph(shapes)
                except ValueError as e2:
                    result.stopped = " ".join(str(e2).split())[:200]
                return result
            continue
        break  # a conflict that binds nothing: stop here
    else:
        msg = f"still conflicting after {MAX_ROUNDS} probes"
    result.stopped = msg[:200]
    return result


def _unprobed(text: str, probes: Mapping[int, Any]) -> str:
    """``text`` with the probe sizes shown as ``?``."""
    return re.sub(r"\d+", lambda m: "?" if int(m.group()) in probes else m.group(), text)


def _with(
    shape: tuple[int | None, ...], op: str, sizes: Mapping[tuple[str, int], int]
) -> tuple[int | None, ...]:
    """``shape`` of placeholder ``op`` with ``sizes[(op, axis)]`` put in."""
    return tuple(sizes.get((op, i), d) for i, d in enumerate(shape))
