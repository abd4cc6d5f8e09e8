"""What the ops consuming an input say about it: its shape (:data:`SHAPE_RULES`,
:data:`SPARSE_SHAPE_RULES`) and, for an integer input that indexes something, the exclusive upper
bound of its values (:data:`INDEX_RULES`, :func:`int_input_bounds`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from explorer.graph.index import GraphIndex, graph_index
from explorer.graph.names import data_inputs, op_name, shape_text, tensor_name
from explorer.graph.op_families import BROADCAST_OPS, IDENTITY_OPS, PLACEHOLDER_OPS
from explorer.graph.registry import OpRegistry
from explorer.inspection.scan_rules import attr_shape

if TYPE_CHECKING:
    from tensorflow.core.framework.graph_pb2 import GraphDef
    from tensorflow.core.framework.node_def_pb2 import NodeDef

Shape = tuple[int | None, ...] | None


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
        node = self.index.nodes.get(op_name(t)) if s is None else None
        return attr_shape(node, int(t.rpartition(":")[2])) if node is not None else s

    def const(self, tensor: str) -> Any:
        """The value of a ``Const`` (through ``Identity``), else ``None``."""
        t = tensor_name(tensor)
        if t not in self._consts:
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


def _fixed(size: int | None, reason: str) -> Dim:
    return Dim() if size is None or size < 0 else Dim(int(size), reason)


def _where(node: NodeDef) -> str:
    return f"{node.op} {node.name!r}"


_IMAGE_DECODERS = ("DecodeJpeg", "DecodeAndCropJpeg", "DecodePng", "DecodeImage", "DecodeBmp")
SCALAR_INPUTS: dict[str, tuple[int, str]] = {
    **dict.fromkeys((*_IMAGE_DECODERS, "DecodeGif", "ExtractJpegShape"), (0, "image contents")),
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
    value = ctx.const(node.input[1])
    if value is not None and value.ndim == 1:
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
    free = [i for i, d in enumerate(shape) if d is None]
    if len(free) != 1:
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


def _channels_axis(node: NodeDef, rank: int) -> int:
    fmt = node.attr["data_format"].s.decode() if "data_format" in node.attr else "NHWC"
    return 1 if fmt.startswith("NC") else rank - 1


@shape_rule("Conv2D", "DepthwiseConv2dNative", "Conv3D")
def _conv(ctx: ShapeContext, node: NodeDef, pos: int, shape: Shape) -> Proposal | None:
    if pos != 0:
        return None
    rank = 5 if node.op == "Conv3D" else 4
    filt = ctx.static_shape(node.input[1])
    if filt is None or len(filt) != rank:
        return Proposal(tuple(Dim() for _ in range(rank)), f"rank {rank}: {_where(node)}")
    ch = _channels_axis(node, rank)
    dil = list(node.attr["dilations"].list.i) if "dilations" in node.attr else []
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
    ksize = list(node.attr["ksize"].list.i) if pos == 0 and "ksize" in node.attr else []
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
    dims[_channels_axis(node, rank)] = Dim(bias[0], why)
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
        if j == pos or sib == values[pos]:
            continue
        s = ctx.static_shape(sib)
        if s is None:
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
    params = ctx.static_shape(node.input[0]) if pos == 1 else None
    if not params:
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
    out = ctx.static_shape(f"{node.name}:0") if pos == 0 else None
    if out is None:
        return None
    why = f"{_where(node)} densifies it to {shape_text(out)}"
    return Proposal(tuple(_fixed(d, why) for d in out), why)


@sparse_shape_rule("SparseTensorDenseMatMul")
def _sparse_matmul(ctx: ShapeContext, node: NodeDef, pos: int, shape: Shape) -> Proposal | None:
    b = ctx.static_shape(node.input[3]) if pos == 0 else None
    if b is None or len(b) != 2:
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


DIM_ORIGINS.add(_declared_origin, "Const", "VariableV2", "VarHandleOp", "Variable", name="declared")


def dim_origin(ctx: ShapeContext, tensor: str, axis: int, size: int, hops: int = 64) -> str:
    """Where dim ``axis`` = ``size`` of ``tensor`` is fixed (``"fixed by Tile 't' (multiples
    [128])"``): the first op up its inputs holding ``size`` that :data:`DIM_ORIGINS` names."""
    seen: set[str] = set()
    frontier = [tensor_name(tensor)]
    for _ in range(hops):
        if not frontier:
            return ""
        t = frontier.pop(0)
        node = ctx.index.nodes.get(op_name(t))
        if node is None or node.name in seen:
            continue
        seen.add(node.name)
        rule = DIM_ORIGINS.get(node.op)
        text = rule(ctx, node, size) if rule is not None else ""
        if text:
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
    "CTCGreedyDecoder": _LENGTHS,
    "CTCBeamSearchDecoder": _LENGTHS,
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
            t = stack.pop()
            if t in seen:
                continue
            seen.add(t)
            for node, pos in g.index.consumers.get(t, ()):
                rule = INDEX_RULES.get(node.op)
                b = rule(g, node, pos) if rule is not None else None
                if b is not None:
                    bounds.append((b, f"{node.op} {node.name!r}"))
                keep = VALUE_PRESERVING.get(node.op, ())
                if keep is None or pos in keep:
                    n_out = _PRESERVED_OUTPUTS.get(node.op, 1)
                    idxs = [pos] if n_out == -1 else range(n_out)
                    stack.extend(f"{node.name}:{i}" for i in idxs)
        out[key] = bounds
    return out


def resolve(bounds: list[Bound], sampled: Mapping[str, tuple[int, ...]]) -> int | None:
    """The tightest bound (``None``: none), a :class:`PlaceholderDim` read from ``sampled``."""
    values = []
    for b in bounds:
        if isinstance(b, PlaceholderDim):
            shape = sampled.get(b.op)
            if shape is not None and b.dim < len(shape):
                values.append(shape[b.dim] + b.plus)
        elif b is not None:
            values.append(b)
    return min(values) if values else None


def int_highs(
    graph_def: GraphDef,
    specs: Mapping[str, Any],
    shapes: Mapping[str, tuple[int, ...]],
    default: int,
    static: Callable[[str], Any] | None = None,
) -> dict[str, tuple[int, str]]:
    """Input key -> (exclusive high below ``default``, a note) for the dense integer inputs among
    ``shapes`` (key -> sampled shape) that index something."""
    ints = {k: specs[k].name for k in shapes if _is_int(specs[k])}
    sampled = {op_name(specs[k].name): shape for k, shape in shapes.items()}
    out = {}
    for key, found in int_input_bounds(graph_def, ints, static).items():
        high = resolve([b for b, _ in found], sampled)
        if high is not None and high < default:
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


_INT_DTYPES = frozenset({"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"})


def _is_int(spec: Any) -> bool:
    return spec.kind == "dense" and spec.dtype.removesuffix("_ref") in _INT_DTYPES
