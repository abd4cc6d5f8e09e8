"""Integer inputs that index something (``Gather`` into a 5-row embedding fails on ``[0, 8)``):
:func:`int_input_bounds` finds the exclusive upper bound from the indexing ops' rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from explorer.feeding.shape_rules import ShapeContext, attr_shape
from explorer.graph.index import graph_index
from explorer.graph.names import op_name, tensor_name
from explorer.graph.op_families import PLACEHOLDER_OPS
from explorer.graph.registry import OpRegistry

if TYPE_CHECKING:
    from tensorflow.core.framework.graph_pb2 import GraphDef
    from tensorflow.core.framework.node_def_pb2 import NodeDef


@dataclass(frozen=True)
class PlaceholderDim:
    """Dim ``dim`` of placeholder op ``op``, unknown in the graph: the sampled size decides;
    ``plus`` is added to it (a length may equal the dim, so its exclusive bound is dim + 1)."""

    op: str
    dim: int
    plus: int = 0


Bound = int | PlaceholderDim | None  # an exclusive upper limit; None: the graph does not say
IndexRuleFn = Callable[["_Graph", Any, int], Bound]

INDEX_RULES: OpRegistry[IndexRuleFn] = OpRegistry("index rule")
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


class _Graph(ShapeContext):
    """A GraphDef's main graph; ``static``: tensor -> shape with the sampled shapes imported."""

    def const_int(self, inp: str) -> int | None:
        """The value of a scalar integer ``Const`` input, else ``None``."""
        value = self.index.const(inp)
        ok = value is not None and value.ndim == 0 and value.dtype.kind in "iu"
        return int(value) if ok else None

    def dim(self, inp: str, axis: int) -> Bound:
        """Static size of dim ``axis`` of the tensor ``inp`` names (negative axes count back)."""
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


_ROWS = (1, lambda g, n: g.dim(n.input[0], 0))  # input 1 indexes the rows of input 0
_LENGTHS = (1, lambda g, n: _plus_one(g.dim(n.input[0], 0)))  # at most max_time, input 0's dim 0
BOUND_AT: dict[str, tuple[int, Callable[[_Graph, Any], Bound]]] = {
    **dict.fromkeys(("Gather", "ResourceGather", "SparseSegmentSum", "SparseSegmentMean"), _ROWS),
    "SparseSegmentSqrtN": _ROWS,
    "GatherV2": (1, lambda g, n: _axis_dim(g, n.input[0], g.const_int(n.input[2]))),
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


def _axis_dim(g: _Graph, tensor: str, axis: int | None) -> Bound:
    return None if axis is None else g.dim(tensor, axis)


def _bound_at(g: _Graph, node: NodeDef, pos: int) -> Bound:
    want, bound = BOUND_AT[node.op]
    return bound(g, node) if pos == want else None


INDEX_RULES.add(_bound_at, *BOUND_AT, name="index input")


@index_rule("CTCLoss", "CTCLossV2")
def _ctc_loss(g: _Graph, node: NodeDef, pos: int) -> Bound:
    # inputs, labels_indices, labels_values, sequence_length
    if pos == 3:
        return _plus_one(g.dim(node.input[0], 0))
    if pos == 2:  # labels below the blank class (the last one)
        classes = g.dim(node.input[0], 2)
        return classes - 1 if isinstance(classes, int) and classes > 1 else None
    return None


@index_rule("GatherNd", "ResourceGatherNd")
def _gather_nd(g: _Graph, node: NodeDef, pos: int) -> Bound:
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
) -> dict[str, list[Bound]]:
    """Input key -> the exclusive bounds (an int, or a :class:`PlaceholderDim` of the sampled
    shapes) ops put on that integer input (``inputs``: key -> tensor name), its values followed
    forward through the main graph; ``static``: tensor -> shape with the sampled shapes."""
    return {k: [b for b, _ in v] for k, v in _bounds_by_op(graph_def, inputs, static).items()}


def _bounds_by_op(
    graph_def: GraphDef, inputs: Mapping[str, str], static: Callable[[str], Any] | None
) -> dict[str, list[tuple[Bound, str]]]:
    g = _Graph(graph_index(graph_def), static)
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
                if rule is not None:
                    b = rule(g, node, pos)
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
    """The tightest exclusive bound, :class:`PlaceholderDim` read from ``sampled`` (placeholder
    op name -> the shape the sampler chose); ``None`` when no bound is known."""
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
    """For :func:`explorer.sample`: input key -> (exclusive high below ``default``, a note) for
    the dense integer inputs among ``shapes`` (key -> sampled shape) that index something."""
    ints = {k: specs[k].name for k in shapes if _is_int(specs[k])}
    if not ints:
        return {}
    sampled = {op_name(specs[k].name): shape for k, shape in shapes.items()}
    out = {}
    for key, found in _bounds_by_op(graph_def, ints, static).items():
        high = resolve([b for b, _ in found], sampled)
        if high is not None and high < default:
            high = max(high, 1)
            ops = ", ".join(sorted({w for b, w in found if resolve([b], sampled) == high})[:3])
            out[key] = (
                high,
                f"{key}: ints in [0, {high}), the range the graph indexes with it ({ops})",
            )
    return out


LENGTH_WORDS = ("length", "seq_len", "lengths", "_len")
"""Words in the name of a sequence-length input (``source_sequence_length``, ``seq_len``)."""


def length_highs(
    specs: Mapping[str, Any],
    shapes: Mapping[str, tuple[int, ...]],
    known: Mapping[str, tuple[int, str]],
    default: int,
) -> dict[str, tuple[int, str]]:
    """Sequence lengths no op bounds directly (a seq2seq ``TrainingHelper`` reads its inputs up
    to ``target_sequence_length``, through a while loop): a rank-1 integer input named like a
    length, of the batch's size, takes values up to the time dim (dim 1) of the sequences fed
    with it, the shortest of them. Input key -> (exclusive high, note)."""
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
            out[key] = (
                time + 1,
                f"{key}: ints in [0, {time + 1}), a sequence length (named like one) of at most "
                f"{src}'s time dim {time}",
            )
    return out


_INT_DTYPES = frozenset({"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"})


def _is_int(spec: Any) -> bool:
    return spec.kind == "dense" and spec.dtype.removesuffix("_ref") in _INT_DTYPES
