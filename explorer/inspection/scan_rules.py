"""What the scan gives (:class:`Findings`), how rules register (:func:`rule`), and the rules
``explorer.scan`` ships (the file-door rules: :mod:`.file_doors`), ``huge-tensor`` (memory bombs,
from constant shapes) among them."""

from __future__ import annotations

import dataclasses
import functools
import math
import struct
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from explorer.graph.index import graph_index
from explorer.graph.names import DTYPE_SIZES, data_inputs
from explorer.graph.op_defs import tf_version
from explorer.graph.op_families import (
    ASSIGN_OPS,
    PY_FUNC_OPS,
    QUEUE_OPS,
    RANDOM_OPS,
    REF_TYPED_OPS,
    V1_CONTROL_FLOW_OPS,
)
from explorer.graph.registry import OpRegistry
from explorer.graph.run_scope import RunScope
from explorer.graph.runtime import (
    absent_device_pins,
    device_type_of,
    env_number,
    remote_job_of,
    unregistered_op_types,
)
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
        super().__init__(
            sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), f.rule, f.nodes))
        )
        self.source = source

    def __repr__(self) -> str:
        return f"Findings({self.source!r}: {self.summary()})"

    def summary(self) -> str:
        counts = {s: len(self.of_severity(s)) for s in SEVERITIES}
        return ", ".join(
            f"{n} {s}{'s' if n != 1 and s != 'info' else ''}" for s, n in counts.items()
        )

    @property
    def rules(self) -> set[str]:
        return {f.rule for f in self}

    def by_rule(self, rule: str) -> list[Finding]:
        return [f for f in self if f.rule == rule]

    def of_severity(self, severity: str) -> list[Finding]:
        return [f for f in self if f.severity == severity]

    @property
    def errors(self) -> list[Finding]:
        return self.of_severity("error")

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
    unseeded = [
        r for r in live if all(r.node.attr[k].i == 0 for k in ("seed", "seed2") if k in r.node.attr)
    ]
    if live:
        seeds = f"{len(unseeded)} unseeded" if unseeded else "all seeded (op-level seeds)"
        message = (
            f"stateful random ops on the run path ({_listing(live)}; {seeds}): outputs differ "
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
            nodes = (
                index.function_nodes(ref.function.signature.name) if ref.function else index.nodes
            )
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
