"""What the scan gives (:class:`Findings`), how rules register (:func:`rule`), and the rules
``explorer.scan`` ships (the file-door rules: :mod:`.file_doors`): ``huge-tensor`` (memory bombs,
from constant shapes), and what a fed input must be for the graph below it to run: a
loop-steering value is a scalar (:func:`loop_predicate`); an image's height and width survive the
convs below (:func:`image_size`)."""

from __future__ import annotations

import dataclasses
import functools
import math
import struct
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from explorer.graph.index import GraphIndex, RunScope, graph_index
from explorer.graph.names import DTYPE_SIZES, data_inputs, op_name, tensor_name
from explorer.graph.op_families import (
    ASSIGN_OPS,
    BROADCAST_OPS,
    PASS_THROUGH_OPS,
    PLACEHOLDER_OPS,
    PY_FUNC_OPS,
    QUEUE_OPS,
    RANDOM_OPS,
    REF_TYPED_OPS,
    SHAPE_KEEPING_OPS,
    V1_CONTROL_FLOW_OPS,
    VARIABLE_OPS,
)
from explorer.graph.proto_reader import Shape
from explorer.graph.registry import OpRegistry
from explorer.graph.runtime import (
    absent_device_pins,
    device_type_of,
    env_number,
    remote_job_of,
    tf_version,
    unregistered_op_types,
)
from explorer.graph.specs import shape_of
from explorer.inspection.catalog import Catalog
from explorer.loading.replacements import replacement_hint

if TYPE_CHECKING:
    from tensorflow.core.framework.function_pb2 import FunctionDef
    from tensorflow.core.framework.node_def_pb2 import NodeDef

    from explorer.loading.model import V1Model

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """One thing the scan found, with a one-line ``message`` (``unsafe``: a safety finding)."""

    rule: str
    severity: str
    nodes: tuple[str, ...]
    message: str
    replacement: str | None = None
    unsafe: bool = False

    def to_json(self) -> dict[str, Any]:
        out = {k: v for k, v in dataclasses.asdict(self).items() if k != "unsafe" and v is not None}
        return {**out, "nodes": list(self.nodes)}  # a replacement only when known


class Findings(list[Finding]):
    """The findings of a scan, errors first; a list of :class:`Finding`."""

    def __init__(self, findings: Iterable[Finding], source: str = "") -> None:
        order = sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), f.rule, f.nodes))
        super().__init__(order)
        self.source = source

    def __repr__(self) -> str:
        return f"Findings({self.source!r}: {self.summary()})"

    def summary(self) -> str:
        counts = dict.fromkeys(SEVERITIES, 0) | Counter(f.severity for f in self)
        words = (f"{n} {s}{'s' if n != 1 and s != 'info' else ''}" for s, n in counts.items())
        return ", ".join(words)

    @property
    def rules(self) -> set[str]:
        return {f.rule for f in self}

    def by_rule(self, rule: str) -> list[Finding]:
        return [f for f in self if f.rule == rule]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self if f.severity == "error"]

    @property
    def unsafe(self) -> list[Finding]:
        """Safety findings (file-system access, Python calls)."""
        return [f for f in self if f.unsafe]

    def to_json(self) -> dict[str, Any]:
        return {"findings": [f.to_json() for f in self]}


class NodeRef(NamedTuple):
    """A node found by the scan: qualified name, its NodeDef, its FunctionDef (or ``None``)."""

    name: str
    node: NodeDef
    function: FunctionDef | None


RuleFn = Callable[["ScanContext", list[NodeRef]], Iterable[Finding]]
RULES: OpRegistry[RuleFn] = OpRegistry("scan rule", many=True)


def rule(*op_types: str, name: str, unsafe: bool = False) -> Callable[[RuleFn], RuleFn]:
    """Register ``fn(ctx, nodes) -> findings`` for the nodes of ``op_types`` (none: all)."""
    return RULES.register(*op_types, name=name, unsafe=unsafe)


class ScanContext:
    """What rules see: the model, what will run (``scope``), its nodes by type, its catalog."""

    def __init__(self, model: V1Model, scope: RunScope | None = None) -> None:
        self.model = model
        self.scope = scope
        self.graph_def = model.graph_def
        self.path = str(model.path)
        self.by_type: dict[str, list[NodeRef]] = {}
        self._shared: dict[str, Any] = {}
        refs = [NodeRef(n.name, n, None) for n in self.graph_def.node]
        for fn in self.graph_def.library.function:
            refs += [NodeRef(f"{fn.signature.name}::{n.name}", n, fn) for n in fn.node_def]
        for ref in refs:
            self.by_type.setdefault(ref.node.op, []).append(ref)

    @functools.cached_property
    def catalog(self) -> Catalog:
        return Catalog.from_model(self.model)

    def once(self, key: str, make: Callable[[ScanContext], Any]) -> Any:
        """``make(self)``, computed once per scan (what several rules share)."""
        if key not in self._shared:
            self._shared[key] = make(self)
        return self._shared[key]

    def nodes(self, op_types: frozenset[str]) -> list[NodeRef]:
        if not op_types:
            return [ref for refs in self.by_type.values() for ref in refs]
        return [ref for t in sorted(op_types & self.by_type.keys()) for ref in self.by_type[t]]


def _listing(refs: Sequence[NodeRef] | Sequence[str], n: int = 3) -> str:
    names = [r.name if isinstance(r, NodeRef) else r for r in refs]
    more = f", ... ({len(names)} in all)" if len(names) > n else ""
    return ", ".join(names[:n]) + more


def _finding(
    rule: str, severity: str, refs: Sequence[NodeRef] | Sequence[str], message: str, **extra: Any
) -> Finding:
    """A :class:`Finding` of ``rule`` about ``refs`` (node refs or op names, in that order)."""
    names = tuple(r.name if isinstance(r, NodeRef) else r for r in refs)
    return Finding(rule, severity, names, message, **extra)


def _kinds(counts: Mapping[str, int]) -> str:
    """``"Merge×2, Switch×2"``: how many ops of each type, types sorted."""
    return ", ".join(f"{t}×{n}" for t, n in sorted(counts.items()))


@rule(name="load-note")
def _load_notes(ctx: ScanContext, refs: list[NodeRef]) -> Iterator[Finding]:
    """What loading repaired in memory (:attr:`V1Model.notes`), as info."""
    for note in ctx.model.notes:
        yield Finding("load-note", "info", (), note)


@rule(name="unregistered-op")
def _unregistered(ctx: ScanContext, refs: list[NodeRef]) -> Iterator[Finding]:
    for op_type in unregistered_op_types(ctx.graph_def):
        nodes = ctx.by_type.get(op_type, [])
        hint = replacement_hint(op_type)
        missing = f"op type {op_type} is not registered in TensorFlow {tf_version()}"
        if op_type in ctx.model.replacements:
            severity = "info"
            message = (
                f"{missing}; replaced on import by the function given to "
                "explorer.load(replacements=...)"
            )
        else:
            severity = "error"
            fix = f"known replacement: {hint}; " if hint else ""
            message = (
                f"{missing} ({_listing(nodes)}): {fix}pass explorer.load(..., replacements="
                f"{{{op_type!r}: fn}}) with a TF function computing it"
            )
        yield _finding("unregistered-op", severity, nodes, message, replacement=hint)


@rule(*PY_FUNC_OPS, name="py-func", unsafe=True)
def _py_func(ctx: ScanContext, refs: list[NodeRef]) -> Iterator[Finding]:
    tokens = sorted({r.node.attr["token"].s.decode() for r in refs if "token" in r.node.attr})
    message = (
        "call Python functions not stored in the model: "
        f"{_listing(refs)} (tokens {', '.join(tokens) or '?'}) cannot run after loading and "
        "would run code of this process; replace them with TF ops "
        "(explorer.load(..., replacements={'PyFunc': fn}))"
    )
    yield _finding("py-func", "error", refs, message, unsafe=True)


@rule(*REF_TYPED_OPS, name="ref-variable")
def _ref_variables(ctx: ScanContext, refs: list[NodeRef]) -> Iterator[Finding]:
    message = (
        f"{len(refs)} reference variable{'s' if len(refs) > 1 else ''} ({_listing(refs)}): "
        "on TF 2.21 plain tf.saved_model.load opens a TF1 SavedModel whose signatures only read "
        "them (and runs those), but fails on one whose signatures assign them (stateful: 'has a "
        "reference type float_ref'), and a re-saved wrapped function loses their values "
        "('uninitialized value'); explorer.convert rewrites them to resource variables"
    )
    yield _finding("ref-variable", "warning", refs, message)


@rule(name="ref-edge")
def _ref_edges(ctx: ScanContext, refs: list[NodeRef]) -> Iterator[Finding]:
    catalog = ctx.catalog
    readers: dict[str, set[str]] = {}
    for var in catalog.search(op_type=REF_TYPED_OPS):
        for t in var.outputs:  # always a *_ref tensor
            for consumer in catalog.tensor(t).consumers:
                op_type = catalog.op(consumer).type
                if op_type != "Identity":
                    readers.setdefault(op_type, set()).add(consumer)
    if not readers:
        return
    nodes = sorted(n for names in readers.values() for n in names)
    kinds = _kinds({t: len(names) for t, names in readers.items()})
    message = (
        f"ops taking variables by reference ({kinds}): in TF2 each needs its resource "
        "counterpart (AssignVariableOp, ResourceApply*, ReadVariableOp for saves)"
    )
    yield _finding("ref-edge", "info", nodes, message)


@rule(*V1_CONTROL_FLOW_OPS, name="v1-control-flow")
def _control_flow(ctx: ScanContext, refs: list[NodeRef]) -> Iterator[Finding]:
    kinds = _kinds(Counter(r.node.op for r in refs))
    message = (
        f"v1 control flow ({kinds}) from tf.cond/tf.while_loop without control flow v2: runs in "
        "the v1 session and wrapped functions, but tensors inside an untaken branch are dead "
        "(fetching them fails) and TF2 tooling (XLA, TFLite, grappler rewrites) handles it poorly"
    )
    yield _finding("v1-control-flow", "warning", refs, message)


@rule(*QUEUE_OPS, name="queue")
def _queues(ctx: ScanContext, refs: list[NodeRef]) -> Iterator[Finding]:
    dequeues = [r.name for r in refs if r.node.op.startswith("QueueDequeue")]
    feed = "feed the tensors after the reader instead"
    if dequeues:
        feed = f"feed the dequeued tensors instead ({_listing(dequeues)}:0, ...)"
    kinds = _kinds(Counter(r.node.op for r in refs))
    message = (
        f"input-pipeline queues/readers ({kinds}): session.run blocks until queue runners fill "
        f"them, and readers read files; {feed}"
    )
    yield _finding("queue", "warning", refs, message)


@rule(*RANDOM_OPS, name="stateful-random")
def _random(ctx: ScanContext, refs: list[NodeRef]) -> Iterator[Finding]:
    top = [r for r in refs if r.function is None]
    in_fns = [r for r in refs if r.function is not None]
    init_only = [r for r in top if _feeds_only_initializers(ctx, r.name)]
    live = [r for r in top if r not in init_only] + in_fns
    seeds = ("seed", "seed2")
    unseeded = [r for r in live if all(r.node.attr[k].i == 0 for k in seeds if k in r.node.attr)]
    if live:
        seeded = f"{len(unseeded)} unseeded" if unseeded else "all seeded (op-level seeds)"
        message = (
            f"stateful random ops on the run path ({_listing(live)}; {seeded}): outputs differ "
            "run to run; for parity feed them, set seeds, or turn them off (e.g. a keep_prob or "
            "is_training switch)"
        )
        yield _finding("stateful-random", "warning", live, message)
    if init_only:
        message = (
            f"random ops that only initialise variables ({_listing(init_only)}): restored "
            "from the checkpoint instead, they do not change outputs"
        )
        yield _finding("stateful-random", "info", init_only, message)


def _feeds_only_initializers(ctx: ScanContext, name: str) -> bool:
    """Whether everything downstream of ``name`` ends in variable initialisation (Assign)."""
    index = graph_index(ctx.graph_def)
    assigns = {n for n, t in zip(index.names, index.types) if t in ASSIGN_OPS}
    after = index.downstream([name], control=False, excluded=assigns)
    return len(after) <= 200 and all(index.data_consumers.get(n) for n in after)


@rule(name="device-pin")
def _device_pins(ctx: ScanContext, refs: list[NodeRef]) -> Iterator[Finding]:
    absent = set(absent_device_pins(ctx.graph_def))
    by_device: dict[str, list[NodeRef]] = {}
    for ref in refs:
        device = ref.node.device
        if device and (device_type_of(device) or remote_job_of(device)):
            by_device.setdefault(device, []).append(ref)
    for device, pinned in sorted(by_device.items()):
        job = remote_job_of(device)
        kind = f"cluster job {job}" if job else f"a {device_type_of(device)}"
        if any(r.node.name in absent for r in pinned):
            message = (
                f"{len(pinned)} ops pinned to {device}, {kind} this machine lacks "
                f"({_listing(pinned)}): explorer clears these pins and uses soft placement "
                "(a plain v1 loader fails with 'Restoring from checkpoint failed')"
            )
            yield _finding("device-pin", "warning", pinned, message)
        else:
            message = f"{len(pinned)} ops pinned to {device} ({_listing(pinned)}); present here"
            yield _finding("device-pin", "info", pinned, message)


_SHAPE_AT_0 = (
    "Fill Empty RandomUniform RandomStandardNormal TruncatedNormal RandomUniformInt "
    "StatelessRandomUniform StatelessRandomNormal StatelessTruncatedNormal "
    "StatelessRandomUniformV2 StatelessRandomNormalV2 StatelessTruncatedNormalV2 "
    "StatelessRandomUniformIntV2 RandomGamma RandomPoissonV2"
)
_SHAPE_AT_1 = "BroadcastTo ResizeBilinear ResizeNearestNeighbor ResizeBicubic ResizeArea"
SHAPE_INPUT: dict[str, int] = {
    **dict.fromkeys(_SHAPE_AT_0.split(), 0),
    **dict.fromkeys(_SHAPE_AT_1.split(), 1),
    "ScatterNd": 2,
}
"""Op type -> the input holding its output shape (a resize: its new height and width)."""
SIZED_OPS = frozenset({*SHAPE_INPUT, "Tile", "OneHot", "Range", "Pad", "PadV2", "MirrorPad"})


def max_tensor_bytes() -> int:
    """The largest tensor a constant shape may ask for (default 4 GiB)."""
    return int(env_number("TF1_EXPLORER_MAX_TENSOR_MB", 4096) * 2**20)


def const_ints(node: NodeDef) -> list[int] | None:
    """The values of an int32/int64 ``Const`` node (``None``: not one)."""
    if node is None or node.op != "Const" or "value" not in node.attr:
        return None
    t = node.attr["value"].tensor
    count = math.prod(max(int(d.size), 0) for d in t.tensor_shape.dim)
    if t.tensor_content:  # packed little-endian int32/int64, as TensorFlow writes them
        kind = {3: "<i", 9: "<q"}.get(t.dtype)  # struct, not numpy: the scan stays numpy-free
        if kind is None or len(t.tensor_content) % struct.calcsize(kind):
            return None
        values = [v for (v,) in struct.iter_unpack(kind, t.tensor_content)]
    else:
        values = [int(v) for v in (t.int_val if t.dtype == 3 else t.int64_val)]
        if t.dtype not in (3, 9):
            return None
    if values and len(values) < count:  # a splat: the last value fills the rest
        values += [values[-1]] * (count - len(values))
    return values if len(values) == count else None


def _size(n: int) -> str:
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def _shape(node: NodeDef, ins: list[str], nodes: dict[str, NodeDef]) -> list[int] | None:
    """The output shape of ``node`` from its constant inputs (a lower bound), else ``None``."""
    const = [const_ints(nodes.get(i.partition(":")[0])) for i in ins]
    if node.op in SHAPE_INPUT:
        return const[SHAPE_INPUT[node.op]] if len(const) > SHAPE_INPUT[node.op] else None
    if len(const) < 2 or const[1] is None:
        return None
    src = nodes.get(ins[0].partition(":")[0])
    known = src is not None and src.op == "Const" and "value" in src.attr
    base = [d.size for d in src.attr["value"].tensor.tensor_shape.dim] if known else None
    if node.op == "Tile":
        return [b * m for b, m in zip(base or [1] * len(const[1]), const[1], strict=False)]
    if node.op == "OneHot":
        return [*(base or []), *const[1][:1]]
    if node.op == "Range":
        start, stop, step = [(c or [0])[0] for c in [*const, None][:3]]
        return [max(0, math.ceil((stop - start) / step))] if const[0] and step else None
    pads = const[1]  # Pad, PadV2, MirrorPad: [[before, after], ...]
    base = base or [1] * (len(pads) // 2)
    return [b + pads[2 * i] + pads[2 * i + 1] for i, b in enumerate(base[: len(pads) // 2])]


def _dtype(node: NodeDef) -> int:
    return next((node.attr[k].type for k in ("dtype", "Tout", "T", "Tidx") if k in node.attr), 1)


@rule(*SIZED_OPS, "Const", name="huge-tensor", unsafe=True)
def _huge_tensors(ctx: ScanContext, refs: list[NodeRef]) -> Iterator[Finding]:
    limit = max_tensor_bytes()
    index = graph_index(ctx.graph_def)
    for ref in refs:
        node = ref.node
        if node.op == "Const":
            t = node.attr["value"].tensor if "value" in node.attr else None
            if t is None or t.tensor_content or not t.tensor_shape.dim:
                continue  # real data: validation checks it against its shape
            shape = [d.size for d in t.tensor_shape.dim]
        else:
            scope = ref.function.signature.name if ref.function else None
            nodes = index.nodes if scope is None else index.function_nodes(scope)
            shape = _shape(node, data_inputs(node), nodes)
        if not shape or any(d < 0 for d in shape):
            continue
        enum = t.dtype if node.op == "Const" else _dtype(node)
        # 1 byte for string, resource, variant and sub-byte types
        nbytes = math.prod(shape) * DTYPE_SIZES.get(enum - 100 if enum > 100 else enum, 1)
        if nbytes > limit:
            message = (
                f"allocate {_size(nbytes)} in {node.op} {ref.name!r} (shape {shape}), over the "
                f"{_size(limit)} limit: running it would exhaust memory; the file is corrupt or "
                "hostile (raise TF1_EXPLORER_MAX_TENSOR_MB if the tensor is meant to be that big)"
            )
            yield Finding("huge-tensor", "error", (ref.name,), message, unsafe=True)


COMMON_IMAGE_SIZE = 224  # height and width of an image input when nothing in the graph fixes one
LOOP_PASS_OPS = SHAPE_KEEPING_OPS | BROADCAST_OPS | {"Merge", "NextIteration", "Switch", "Exit"}
"""A value keeps steering what it reaches through these (element-wise math, loop plumbing)."""
KEEP_OPS = LOOP_PASS_OPS | {"BiasAdd", "FusedBatchNorm", "FusedBatchNormV3", "LRN", "AddN"}
"""Ops whose output 0 has input 0's height and width."""
WINDOW_OPS = frozenset({"Conv2D", "DepthwiseConv2dNative", "MaxPool", "AvgPool"})
PAD_OPS = frozenset({"Pad", "PadV2", "MirrorPad"})
RESIZE_OPS = frozenset(
    {"ResizeBilinear", "ResizeNearestNeighbor", "ResizeBicubic", "ResizeArea", "CropAndResize"}
)
SPATIAL_OPS = WINDOW_OPS | PAD_OPS | RESIZE_OPS | {"Squeeze", "ExtractImagePatches"}
"""Ops below an input that make it an image whose size matters."""


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
    """``(LoopCond or Switch, the op types on the way)`` when ``tensor``'s value reaches a loop
    condition or a ``Switch`` predicate through element-wise math and loop plumbing (a scalar)."""
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


def _ints(index: GraphIndex, ref: str) -> list[int] | None:
    return const_ints(index.source(ref, PASS_THROUGH_OPS))  # no TensorFlow: the scan reads protos


def _attr_ints(node: NodeDef, name: str) -> list[int]:
    return list(node.attr[name].list.i) if name in node.attr else []


def _window(index: GraphIndex, node: NodeDef, axes: dict[int, int]) -> dict[int, int] | str:
    """Height and width after a conv or pool (``axes``: axis -> size), or why they do not fit."""
    fmt = node.attr["data_format"].s.decode() if "data_format" in node.attr else "NHWC"
    spatial = (2, 3) if fmt.startswith("NC") else (1, 2)
    if set(axes) != set(spatial):
        return {}
    if node.op in ("MaxPool", "AvgPool"):
        kernel = [_attr_ints(node, "ksize")[a] for a in spatial]
    else:
        filt = index.source(node.input[1])
        fshape = attr_shape(filt) if filt is not None else None
        if fshape is None or len(fshape) != 4 or None in fshape[:2]:
            return {}
        kernel = list(fshape[:2])
    strides, dil = _attr_ints(node, "strides"), _attr_ints(node, "dilations")
    padding = node.attr["padding"].s.decode() if "padding" in node.attr else "VALID"
    pads = _attr_ints(node, "explicit_paddings")
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
    if op == "ExpandDims" and pos == 0 and (a := _ints(index, node.input[1])):
        at = a[0] % (rank + 1)
        return rank + 1, {(x + 1 if x >= at else x): s for x, s in axes.items()}
    if op == "Transpose" and pos == 0 and (perm := _ints(index, node.input[1])):
        return rank, {perm.index(x): s for x, s in axes.items()}
    if op == "Squeeze" and pos == 0:
        dims = {d % rank for d in _attr_ints(node, "squeeze_dims")}
        for x, s in axes.items():
            if x in dims and s != 1:
                return f"Squeeze {node.name!r} squeezes dim {x}, which is {s} there (needs 1)"
        if not dims:
            return None
        return rank - len(dims), {x - sum(d < x for d in dims): s for x, s in axes.items()}
    if op in PAD_OPS and pos == 0 and (p := _ints(index, node.input[1])) and len(p) == 2 * rank:
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
    """Follow an image's height and width (``axes``: axis -> size) down every conv, pool, pad,
    transpose and squeeze below ``tensor``: ``(why the first op they do not fit or "", how many
    convs, pools, pads and resizes took them)``."""
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
    """``(free axis -> size, why)`` to feed an image input ``tensor`` of ``shape``: the size a
    resize below makes, else :data:`COMMON_IMAGE_SIZE`, or the nearest that every op below takes;
    ``({}, why)`` when none fits; ``None`` when the input is no image (an image: rank 4 with 1, 3
    or 4 channels and such ops below, or height and width that reach a conv, pool, pad, resize)."""
    axes = image_axes(shape)
    below = list(spatial_ops_below(index, tensor)) if axes else []
    if not axes or not below or shape is None:
        return None
    want, why = (COMMON_IMAGE_SIZE,) * 2, "a common image size (no resize below fixes one)"
    resize = next((n for n in below if n.op in RESIZE_OPS - {"CropAndResize"}), None)
    size = _ints(index, resize.input[1]) if resize is not None else None
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


@rule(*PLACEHOLDER_OPS, name="loop-scalar")
def _loop_scalars(ctx: ScanContext, refs: list[NodeRef]) -> Iterator[Finding]:
    index = graph_index(ctx.graph_def)
    for ref in refs:
        found = None if ref.function is not None else loop_predicate(index, f"{ref.name}:0")
        if found is None:
            continue
        declared = attr_shape(ref.node)
        shape = "[]" if declared == () else "with no scalar shape: feed it a scalar (rank 0)"
        message = (
            f"input {ref.name!r} steers {found[0].op} {found[0].name!r} (through {found[1]}); "
            f"its value decides how often the loop runs and it is declared {shape}: feed a "
            "value the loop ends on (sampled feeds pick one from its name: a factor in (0, 1), "
            "a minimum size, a threshold)"
        )
        yield Finding("loop-scalar", "warning", (ref.name,), message)


@rule(*PLACEHOLDER_OPS, name="image-size")
def _image_sizes(ctx: ScanContext, refs: list[NodeRef]) -> Iterator[Finding]:
    index = graph_index(ctx.graph_def)
    for ref in refs:
        if ref.function is not None:
            continue
        shape = attr_shape(ref.node)
        shape = (None,) * 4 if shape is None else shape  # unknown rank: as the convs below need
        size = image_size(index, ref.name, shape)
        if size is None:
            continue
        strided = [n for n in spatial_ops_below(index, ref.name) if n.op != "Squeeze"]
        feed = f"sampled feeds use {'x'.join(map(str, size[0].values()))} " if size[0] else ""
        message = (
            f"input {ref.name!r} has an unknown height or width and {len(strided)} ops below "
            f"({', '.join(sorted({n.op for n in strided}))}) that need enough of it; {feed}"
            f"({size[1]}): pass --shape for the size the model was made for"
        )
        yield Finding("image-size", "warning", (ref.name,), message)
