"""The scan's :class:`Findings`, its rule registry (:func:`rule`) and the rules it ships: memory
bombs, inputs steering a loop or needing an image size (walks: :mod:`explorer.graph.inputs`),
file doors (paths traced off the graph by :class:`Tracer`: reads in the model folder and its own
Saver pass), ..."""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from explorer.graph.index import RunScope, const_ints, function_calls, graph_index
from explorer.graph.inputs import attr_shape, image_size, loop_predicate, spatial_ops_below
from explorer.graph.names import DTYPE_SIZES, data_inputs, op_name
from explorer.graph.op_families import (
    ANY_INPUT_OPS,
    ASSIGN_OPS,
    CALL_OPS,
    CHECKPOINT_OPS,
    DOORS,
    FILE_OPS,
    IF_OPS,
    INPUT_OPS,
    PATH_PASS_OPS,
    PLACEHOLDER_OPS,
    PY_FUNC_OPS,
    QUEUE_OPS,
    RANDOM_OPS,
    REF_TYPED_OPS,
    SHAPE_INPUT,
    SIZED_OPS,
    V1_CONTROL_FLOW_OPS,
    WHILE_OPS,
    Door,
)
from explorer.graph.registry import OpRegistry
from explorer.graph.runtime import (
    absent_device_pins,
    device_type_of,
    env_number,
    remote_job_of,
    tf_version,
    unregistered_op_types,
)
from explorer.inspection.catalog import Catalog
from explorer.loading.model import init_ops
from explorer.loading.replacements import replacement_hint
from explorer.loading.validation import outside, recursive_functions, special_kind

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
rule = RULES.register
"""``@rule(*op_types, name=..., unsafe=False)``: register ``fn(ctx, nodes) -> findings`` for the
nodes of ``op_types`` (none: all)."""


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
        for consumer in var.consumers:  # of its *_ref tensors
            if (op_type := catalog.op(consumer).type) != "Identity":
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
    init_only = [r for r in refs if r.function is None and _feeds_only_initializers(ctx, r.name)]
    live = sorted((r for r in refs if r not in init_only), key=lambda r: r.function is not None)
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


def max_tensor_bytes() -> int:
    """The largest tensor a constant shape may ask for (default 4 GiB)."""
    return int(env_number("TF1_EXPLORER_MAX_TENSOR_MB", 4096) * 2**20)


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
        found = [node.attr[k].type for k in ("dtype", "Tout", "T", "Tidx") if k in node.attr]
        enum = t.dtype if node.op == "Const" else (found or [1])[0]
        # 1 byte for string, resource, variant and sub-byte types
        nbytes = math.prod(shape) * DTYPE_SIZES.get(enum - 100 if enum > 100 else enum, 1)
        if nbytes > limit:
            message = (
                f"allocate {_size(nbytes)} in {node.op} {ref.name!r} (shape {shape}), over the "
                f"{_size(limit)} limit: running it would exhaust memory; the file is corrupt or "
                "hostile (raise TF1_EXPLORER_MAX_TENSOR_MB if the tensor is meant to be that big)"
            )
            yield Finding("huge-tensor", "error", (ref.name,), message, unsafe=True)


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


@dataclass(frozen=True)
class Source:
    """One value a path input can take: ``const``, ``asset`` (its file), ``saver`` (its filename
    tensor plus ``text``), ``unknown`` (``text``: why) or ``uncalled`` (never runs)."""

    kind: str
    text: str = ""


_MAX_STEPS = 200
_MAX_VALUES = 16


def _capped(values: list[Source]) -> list[Source]:
    """At most :data:`_MAX_VALUES` values, one ``unknown`` standing for any more."""
    if len(values) <= _MAX_VALUES:
        return values
    return [*values[: _MAX_VALUES - 1], Source("unknown", "among too many possible values")]


class Tracer:
    """Traces string tensors of the graph and its functions; one per scan context."""

    def __init__(self, ctx: ScanContext) -> None:
        self.ctx = ctx
        self.index = graph_index(ctx.graph_def)
        self.assets = {k.partition(":")[0]: v for k, v in ctx.model.assets.items()}
        self.filename_op = op_name(ctx.model.filename_tensor or "")
        self.gradients = {g.gradient_func for g in ctx.graph_def.library.gradient}
        self._fed = False  # tracing for an op only init runs: asset tensors hold their files

    @functools.cached_property
    def init_only(self) -> set[str]:
        """The ops that run only with the init ops (assets fed), never for an output."""
        model = self.ctx.model
        outputs = [t.name for s in model.signatures.values() for t in s.outputs.values()]
        fed = [model.filename_tensor] if model.filename_tensor else []
        init = self.index.upstream(init_ops(model), fed=fed)
        return init - self.index.upstream([op_name(t) for t in outputs])

    @functools.cached_property
    def callers(self) -> dict[str, list[tuple[NodeDef, str | None, int]]]:
        """Function -> (calling node, its function or None, offset of the first argument)."""
        out: dict[str, list[tuple[NodeDef, str | None, int]]] = {}
        scopes: list[tuple[str | None, NodeDef]] = [(None, n) for n in self.index.node_list]
        for f in self.ctx.graph_def.library.function:
            scopes.extend((f.signature.name, n) for n in f.node_def)
        for scope, node in scopes:
            for k, name in enumerate(function_calls(node, self.index.functions)):
                offset = 1 if node.op in IF_OPS else 0
                if k == 0 and name == node.op:
                    offset = 0  # a direct call: the node's inputs are the arguments
                elif node.op not in CALL_OPS | IF_OPS | WHILE_OPS:
                    offset = -1  # called by a dataset or other op: args unknown
                out.setdefault(name, []).append((node, scope, offset))
        return out

    def trace(self, ref: NodeRef, input_index: int) -> list[Source]:
        inputs = data_inputs(ref.node)
        if input_index >= len(inputs):
            return [Source("unknown", "from an input the op lacks")]
        fname = ref.function.signature.name if ref.function is not None else None
        return self.values(inputs[input_index], fname, ref.name)

    def values(self, tensor: str, fname: str | None, door: str) -> list[Source]:
        """The values ``tensor`` (in function ``fname`` or the graph) takes for the op ``door``."""
        self._fed = fname is None and door in self.init_only
        return _capped(self._values(tensor, fname, set()))

    def _values(self, tensor: str, fname: str | None, seen: set[tuple[str | None, str]]) -> list:
        name = tensor.lstrip("^").partition(":")[0]
        key = (fname, name)
        if key in seen or len(seen) > _MAX_STEPS:
            return [Source("unknown", "from a loop or a deep expression")]
        seen = seen | {key}
        nodes = self.index.nodes if fname is None else self.index.function_nodes(fname)
        if fname is not None and name not in nodes:
            return self._argument(fname, name, seen)
        if (node := nodes.get(name)) is None:
            return [Source("unknown", f"from {name!r}, not in the graph")]
        if fname is None and name == self.filename_op:
            return [Source("saver")]
        ins = data_inputs(node)
        value = node.attr["value"].tensor.string_val if "value" in node.attr else []
        strings = [s.decode("utf-8", "replace") for s in value]
        if fname is None and name in self.assets:  # fed its file on init; its own value else
            asset = [Source("asset", self.assets[name])]
            return asset if self._fed else [*asset, *(Source("const", s) for s in strings)]
        if node.op == "Const":
            unknown = [Source("unknown", "from a non-string constant")]
            return [Source("const", s) for s in strings] or unknown
        if node.op in PATH_PASS_OPS and ins:
            return self._values(ins[0], fname, seen)
        if node.op in ANY_INPUT_OPS:
            parts = ins[1:] if node.op in ("Select", "SelectV2") else ins
            return _capped([s for i in parts for s in self._values(i, fname, seen)])
        if node.op == "StringJoin":
            return self._join(node, ins, fname, seen)
        if node.op in INPUT_OPS:
            return [Source("unknown", f"fed through {name!r} at run time")]
        return [Source("unknown", f"computed by {node.op} {name!r} at run time")]

    def _join(self, node: NodeDef, ins: list[str], fname: str | None, seen: set) -> list[Source]:
        sep = node.attr["separator"].s.decode(errors="replace") if "separator" in node.attr else ""
        if not (parts := [self._values(i, fname, seen) for i in ins]):
            return [Source("const", "")]
        first, rest = parts[0], parts[1:]
        if any(s.kind != "const" for p in rest for s in p):
            return [Source("unknown", "joined at run time")]
        suffixes = [""]
        for p in rest:  # every combination (a Saver selects between two suffixes)
            suffixes = [a + sep + s.text for a in suffixes for s in p]
            if len(suffixes) > _MAX_VALUES:
                return [Source("unknown", "joined from too many possible values")]
        out = []
        for s in first:  # a joined asset is a path like any other
            joined = s.kind in ("const", "saver") or (s.kind == "asset" and suffixes != [""])
            kind = "const" if s.kind == "asset" else s.kind
            out.extend([Source(kind, s.text + x) for x in suffixes] if joined else [s])
        return _capped(out)

    def _elements(self, node: NodeDef, scope: str | None, seen: set) -> list[Source]:
        """What a dataset op passes its function: its input dataset's constant elements."""
        nodes = self.index.nodes if scope is None else self.index.function_nodes(scope)
        ins = data_inputs(node)
        src = nodes.get(ins[0].partition(":")[0]) if ins and node.op.endswith("Dataset") else None
        if src is not None and src.op in ("TensorSliceDataset", "TensorDataset"):
            return [s for i in data_inputs(src) for s in self._values(i, scope, seen)]
        return [Source("unknown", f"from an element of {node.op} {node.name!r}")]

    def _argument(self, fname: str, arg: str, seen: set) -> list[Source]:
        fn = self.index.functions[fname]
        names = [a.name for a in fn.signature.input_arg]
        if arg not in names:
            return [Source("unknown", f"from {arg!r}, not in function {fname}")]
        calls = self.callers.get(fname, [])
        if not calls and fname in self.gradients:  # called by the runtime, arguments unknown
            return [Source("unknown", f"from argument {arg!r} of gradient {fname}")]
        if not calls:
            return [Source("uncalled")]
        out: list[Source] = []
        for node, scope, offset in calls:
            if offset < 0:
                out.extend(self._elements(node, scope, seen))
                continue
            ins = data_inputs(node)
            k = names.index(arg) + offset
            if k >= len(ins):
                out.append(Source("unknown", f"from argument {arg!r} of {fname}"))
                continue
            fed = self._fed
            if scope is None:  # the top-level call decides whether the loader feeds assets
                self._fed = node.name in self.init_only
            out.extend(self._values(ins[k], scope, seen))
            self._fed = fed
        return _capped(out)


def tracer_of(ctx: ScanContext) -> Tracer:
    return ctx.once("tracer", Tracer)


def model_folder(model: V1Model) -> Path:
    """The folder a model may read from: a SavedModel's folder, else the file's folder."""
    p = Path(model.path)
    return p if p.is_dir() else p.parent


def tf_path(text: str) -> tuple[Path | None, str | None]:
    """The local file TensorFlow opens for ``text``, resolved; ``(None, scheme)`` for a URL."""
    m = re.match(r"([a-zA-Z][0-9a-zA-Z.]*)://", text)
    if m and m.group(1) != "file":
        return None, m.group(1)
    if m:
        rest = text[m.end() :]
        text = rest[rest.index("/") :] if "/" in rest else "/"
    return Path(os.path.realpath(os.path.normpath(os.path.join(os.getcwd(), text)))), None


@dataclass(frozen=True)
class Opening:
    """One file a door would open and why it is refused (``None``: allowed)."""

    ref: NodeRef
    mode: str
    path: str
    refused: str | None


_UNSEEN = {
    "network": "a network address",
    "graph": "what a serialized graph the scan cannot see into opens",
    "reader": "the files its ReaderRead ops dequeue",
    "process": "the process's file-system settings",
}


def openings(ctx: ScanContext, ref: NodeRef) -> list[Opening]:
    """What the door ``ref`` (an op of :data:`FILE_OPS`) would open, each path judged."""
    spec = DOORS[ref.node.op]
    if spec.source == "stream":
        return [Opening(ref, "write", "the process's stderr", _PRINTS)]
    if spec.source:
        return [Opening(ref, spec.mode, _UNSEEN[spec.source], "unknown before it runs")]
    trace, reader = tracer_of(ctx).trace, ref.node.op.startswith("ReaderRead")
    values = [s for k in spec.inputs for s in (_queued(ctx, ref) if reader else trace(ref, k))]
    for attr in spec.attrs:
        a = ref.node.attr.get(attr)
        for t in ([a.s] if a.s else list(a.list.s)) if a is not None else []:
            text = t.decode("utf-8", "replace")
            if ref.node.op in ("Copy", "CopyHost"):  # "DebugIdentity;file:///dir;0"
                text = text.split(";")[1] if text.count(";") >= 2 else text
            if attr == "output_stream" and not text.startswith("file://"):
                values.append(Source("stream", text))  # stderr, stdout, log(...)
            elif attr != "descriptor_source" or text not in ("", "local://", "global://"):
                values.append(Source("const", text))
    folder = model_folder(ctx.model)
    return [_judge(ctx, ref, spec, v, folder) for v in values]


_PRINTS = "a print to the process's own output, where it can pass for explorer's messages"


def _judge(ctx: ScanContext, ref: NodeRef, spec: Door, v: Source, folder: Path) -> Opening:
    op = ref.node.op
    if v.kind == "uncalled":
        return Opening(ref, spec.mode, "(in a function nothing calls)", None)
    if v.kind == "stream":
        return Opening(ref, spec.mode, f"the process's {v.text}", _PRINTS)
    runs = ctx.scope is not None and ref.name in ctx.scope
    if v.kind == "saver":
        path = f"<the checkpoint prefix>{v.text}"
        if spec.mode == "write" and runs:
            return Opening(ref, spec.mode, path, "a write over the model's own checkpoint")
        own = op in CHECKPOINT_OPS and ".." not in v.text and _saver_internal(ctx, ref)
        return Opening(ref, spec.mode, path, None if own else "the Saver's prefix used elsewhere")
    if v.kind == "unknown":
        return Opening(ref, spec.mode, f"a path {v.text}", "unknown before it runs")
    if v.kind == "const" and v.text == "" and op in ("CacheDataset", "CacheDatasetV2"):
        return Opening(ref, spec.mode, "(in memory)", None)
    path, scheme = tf_path(v.text)
    if path is None:
        return Opening(ref, spec.mode, v.text, f"a {scheme}:// URL, not a local file")
    shown = str(path) if v.kind == "const" else v.text
    if v.kind == "const" and not runs and _unused_saver(ctx, ref, v.text):
        return Opening(ref, spec.mode, shown, None)
    if spec.mode == "write":
        return Opening(ref, spec.mode, shown, "a write outside what explorer writes")
    if v.kind == "asset":
        return Opening(ref, spec.mode, shown, None)  # the asset-file rule judges the file
    base = [folder / "assets", folder / "assets.extra"] if spec.assets_only else [folder]
    if any(outside(path, b) is None for b in base):
        return Opening(ref, spec.mode, shown, None)
    where = "the model's assets/" if spec.assets_only else "the model folder"
    return Opening(ref, spec.mode, shown, f"outside {where}")


def _unused_saver(ctx: ScanContext, ref: NodeRef, text: str) -> bool:
    """A second ``tf.train.Saver`` left in the graph, used by nothing outside its scope."""
    named = text.split("_temp", 1)[0] == "model" and ".." not in text
    return ref.node.op in CHECKPOINT_OPS and named and _saver_internal(ctx, ref)


def _saver_internal(ctx: ScanContext, ref: NodeRef) -> bool:
    """Whether ``ref`` and all after it sit in its ``save*/`` scope (never run unasked)."""
    scope = ref.name.rpartition("/")[0]
    if ref.function is not None or not scope.rpartition("/")[2].startswith("save"):
        return False
    outputs = [t for sig in ctx.model.signatures.values() for t in sig.outputs.values()]
    runs = {*init_ops(ctx.model), *(op_name(t.name) for t in outputs)}
    after = graph_index(ctx.graph_def).downstream([ref.name])
    return all(n.startswith(scope + "/") and n not in runs for n in after)


def _queued(ctx: ScanContext, ref: NodeRef) -> list[Source]:
    """File names enqueued into the queue a ``ReaderRead*`` op reads (traced to constants)."""
    inputs = data_inputs(ref.node)
    if len(inputs) < 2 or ref.function is not None:
        return [Source("unknown", "from a queue")]
    queue = op_name(inputs[1])
    out: list[Source] = []
    for node in graph_index(ctx.graph_def).data_consumers.get(queue, []):
        if node.op.startswith("QueueEnqueue") and op_name(node.input[0]) == queue:
            for i in data_inputs(node)[1:]:
                out.extend(tracer_of(ctx).values(i, None, ref.name))
    return out or [Source("unknown", "from a queue filled at run time")]


@rule(*FILE_OPS, name="file-system", unsafe=True)
def _file_doors(ctx: ScanContext, refs: list[NodeRef]) -> Iterator[Finding]:
    for ref in refs:
        if not (refused := [o for o in openings(ctx, ref) if o.refused]):
            continue
        paths = "; ".join(f"{o.path} ({o.refused})" for o in refused[:3])
        more = f" and {len(refused) - 3} more" if len(refused) > 3 else ""
        verb = "read" if refused[0].mode == "read" else "write"
        message = (
            f"{verb} {paths}{more}: {ref.node.op} {ref.name!r} opens it when run, a path the "
            "model's author chose; check it, or pass allow_unsafe=True if you trust the file"
        )
        yield Finding("file-system", "warning", (ref.name,), message, unsafe=True)


@rule(*INPUT_OPS, "Const", name="asset-file", unsafe=True)
def _asset_files(ctx: ScanContext, refs: list[NodeRef]) -> Iterator[Finding]:
    if not (assets := ctx.model.assets):
        return
    folder = model_folder(ctx.model)
    by_op = {k.partition(":")[0]: (k, v) for k, v in assets.items()}
    for ref in refs:
        if ref.function is not None or ref.name not in by_op:
            continue
        tensor, path = by_op[ref.name]
        if problem := asset_problem(path, folder):
            message = (
                f"read asset {path} ({problem}): asset tensor {tensor} feeds that file to the "
                "tables and ops it initialises; re-export with the file inside assets/, or pass "
                "allow_unsafe=True if you trust the file"
            )
            yield Finding("asset-file", "warning", (ref.name,), message, unsafe=True)


def asset_problem(path: str, folder: Path) -> str | None:
    """Why the asset file ``path`` may not be read for a model in ``folder`` (``None``: fine)."""
    p = Path(path)
    lexical = Path(os.path.normpath(p))
    if not (lexical == folder or folder in lexical.parents) or ".." in p.parts:
        return "its recorded name leaves the model folder"
    real = outside(p, folder)
    if kind := special_kind(p):
        return f"a {kind}, not a regular file"
    return None if real is None else f"a symbolic link to {real}, outside the model folder"


@rule(name="function-recursion", unsafe=True)
def _recursion(ctx: ScanContext, refs: list[NodeRef]) -> Iterator[Finding]:
    if cycle := recursive_functions(ctx.graph_def):
        message = (
            f"recurse without end: library function {cycle[0]} calls itself "
            f"({' -> '.join([*cycle, cycle[0]])}), which overflows TensorFlow's stack when run (a "
            "crash, not an error); the file is corrupt or hostile, re-export it"
        )
        yield Finding("function-recursion", "error", tuple(cycle), message, unsafe=True)
