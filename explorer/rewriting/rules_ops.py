"""The rewrite's rules and what they read. :class:`GraphContext`: what the rewrite knows about the
TF1 graph (nodes, static shapes, constants, live branches: :meth:`~GraphContext.resolve` looks
through ``Identity`` and v1 conds with a fixed predicate). :class:`Step`: one line of the generated
``build_model``; pattern rules in :data:`KERAS_RULES` by the op type of the pattern's last op (the
wanted tensor's). Single TF1 ops as ``keras.ops`` calls: one translation per op type in
:data:`KERAS_OPS`. A translation ``fn(ctx, node, x) -> str | None`` gets ``x[i]``, the expression
of data input ``i`` (``None`` for a constant: read it with ``ctx.value``), and returns an
expression or ``None``. ``native=True`` entries become lines of ``build_model``; the others go
into fallback layers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from explorer._tf import tf
from explorer.graph.index import graph_index
from explorer.graph.names import data_inputs, op_name, tensor_name
from explorer.graph.op_families import IDENTITY_OPS, VARIABLE_OPS, VOLATILE_OPS
from explorer.graph.registry import OpRegistry

if TYPE_CHECKING:
    from tensorflow.core.framework.node_def_pb2 import NodeDef

    from explorer.loading.model import V1Model

DEAD = "<dead branch>"
_VARIABLE_READS = frozenset({"Identity", "ReadVariableOp"})


def out_index(tensor: str) -> int:
    return int(tensor.split(":")[1]) if ":" in tensor else 0


def scope_of(op: str) -> str:
    """``model/dense/BiasAdd`` -> ``model/dense``; a top-level op is its own scope."""
    return op.rsplit("/", 1)[0] if "/" in op else op


def py_name(text: str) -> str:
    """A Python identifier (and Keras layer name, which may not hold ``/``) for a TF1 name."""
    out = re.sub(r"[^0-9A-Za-z_]", "_", text).strip("_") or "t"
    return f"t_{out}" if out[0].isdigit() else out


class GraphContext:
    """The graph between chosen ``inputs`` and ``outputs`` (tensor names) of one model, with a
    ready ``session`` (a :class:`~explorer.running.session.ModelSession` the caller closes)."""

    def __init__(self, model: V1Model, inputs: list[str], outputs: list[str], session: Any) -> None:
        self.model = model
        self.inputs = [tensor_name(t) for t in inputs]
        self.outputs = [tensor_name(t) for t in outputs]
        self.session = session
        self.graph = session.graph
        self.index = graph_index(self.graph.as_graph_def())
        self.nodes = self.index.nodes
        self._values: dict[str, Any] = {}
        self._resolved: dict[str, str] = {}
        self.cache: dict[Any, Any] = {}  # for rules (e.g. one analysis per while loop)
        self.stop_at: Any = None  # Merge nodes resolve() must not look through (a rule's layer)

    def node(self, name: str) -> Any:
        return self.nodes[op_name(name)]

    def attr(self, node: NodeDef, key: str, default: Any = None) -> Any:
        if key not in node.attr:
            return default
        a = node.attr[key]
        kind = a.WhichOneof("value")
        if kind == "list":
            lst = a.list
            return list(lst.i) or list(lst.f) or [s.decode() for s in lst.s] or []
        if kind == "s":
            return a.s.decode()
        if kind == "shape":
            return None if a.shape.unknown_rank else [d.size for d in a.shape.dim]
        if kind == "type":
            return tf().dtypes.as_dtype(a.type).name
        return getattr(a, kind) if kind else default

    @cached_property
    def needed(self) -> frozenset[str]:
        """Ops the outputs depend on (data edges), stopping at (and keeping) the inputs' ops."""
        stops = {op_name(t) for t in self.inputs}
        ops = self.index.upstream(self.outputs, control=False, excluded=stops) & self.nodes.keys()
        reached = {op_name(i) for o in ops for i in data_inputs(self.nodes[o])}
        reached |= {op_name(t) for t in self.outputs}
        return frozenset(ops | (stops & reached & self.nodes.keys()))

    def single_use(self, tensor: str) -> bool:
        """At most one needed op reads ``tensor`` (an output counts as one; gradient ops none)."""
        t = tensor_name(tensor)
        readers = [n for n, _ in self.index.consumers.get(t, []) if n.name in self.needed]
        return len(readers) + (t in self.outputs) <= 1

    def _is_volatile(self, tensor: str) -> bool:
        """Whether ``tensor`` depends on an input, a placeholder without default or a random op,
        looking only at the branches of fixed conds that run."""
        r = self.resolve(tensor)
        key = ("volatile", r)
        if key in self.cache:
            return self.cache[key]
        self.cache[key] = False  # in progress: a cycle adds nothing
        node = self.nodes.get(op_name(r))
        if r in self.inputs or node is None or node.op in VOLATILE_OPS:
            out = True
        elif node.op in ("Rank", "Shape", "Size") and self._static_meta(node):
            out = False  # known statically (rank, or a fully known shape): run on dummy feeds
        else:
            ins = data_inputs(node)
            if node.op in ("Merge", "RefMerge"):
                ins = [i for i in ins if not self.is_dead(i)]
            out = any(self._is_volatile(i) for i in ins)
        self.cache[key] = out
        return out

    def _static_meta(self, node: NodeDef) -> bool:
        shape = self.shape(data_inputs(node)[0])
        return shape is not None and (node.op == "Rank" or None not in shape)

    def is_const(self, tensor: str) -> bool:
        """``tensor`` depends on no input and no random op (its value is fixed)."""
        t = self.resolve(tensor)
        return t != DEAD and not self._is_volatile(t)

    def value(self, tensor: str) -> np.ndarray | None:
        """The fixed value of ``tensor``, or ``None`` when it depends on an input or random op."""
        t = self.resolve(tensor)
        if t == DEAD or not self.is_const(t):
            return None
        if t in self._values:
            return self._values[t]
        node = self.node(t)
        if node.op == "Const":
            v = tf().make_ndarray(node.attr["value"].tensor)
        else:
            # Dead cond branches still run in TF: feed the input placeholders zeros.
            try:
                v = self.session.session.run(self.graph.get_tensor_by_name(t), self._dummy_feeds)
            except tf().errors.OpError:  # it needs real input values after all: not fixed
                v = None
        self._values[t] = None if v is None else np.asarray(v)
        return self._values[t]

    @cached_property
    def _dummy_feeds(self) -> dict[Any, np.ndarray]:
        feeds = {}
        for t in self.inputs:
            shape = self.shape(t)
            dims = (1,) if shape is None else tuple(1 if d is None else d for d in shape)
            dt = self.graph.get_tensor_by_name(t).dtype.base_dtype
            string = dt == tf().string
            feeds[t] = np.full(dims, b"", object) if string else np.zeros(dims, dt.as_numpy_dtype)
        return feeds

    def is_variable(self, tensor: str) -> bool:
        """``tensor`` reads a variable (a trainable weight in TF1) rather than a constant."""
        node = self.index.source(self.resolve(tensor))
        return node is not None and node.op in VARIABLE_OPS

    def shape(self, tensor: str) -> list[int | None] | None:
        """Static shape (``None`` dims unknown), ``None`` when the rank is unknown."""
        s = self.graph.get_tensor_by_name(tensor_name(tensor)).shape
        return None if s.rank is None else list(s.as_list())

    def dtype(self, tensor: str) -> str:
        return self.graph.get_tensor_by_name(tensor_name(tensor)).dtype.base_dtype.name

    def _predicate(self, switch: Any) -> bool | None:
        """The fixed predicate of a ``Switch`` (``None`` when it depends on an input)."""
        v = self.value(tensor_name(switch.input[1]))  # cached there
        return None if v is None else bool(v)

    def resolve(self, tensor: str) -> str:
        """The tensor that really produces ``tensor`` at inference (Identity and fixed switches
        looked through); :data:`DEAD` for the untaken side of a fixed switch."""
        t = tensor_name(tensor)
        if t in self._resolved:
            return self._resolved[t]
        seen = []
        cur = t
        while True:
            if cur in self.inputs or cur == DEAD:
                break
            if (node := self.nodes.get(op_name(cur))) is None:
                break
            if node.op in IDENTITY_OPS and node.input:
                seen.append(cur)
                cur = tensor_name(node.input[0])
                continue
            if node.op in ("Switch", "RefSwitch"):
                if (p := self._predicate(node)) is None:
                    break
                seen.append(cur)
                cur = tensor_name(node.input[0]) if out_index(cur) == int(p) else DEAD
                continue
            if node.op in ("Merge", "RefMerge") and out_index(cur) == 0:
                live = [self.resolve(i) for i in data_inputs(node) if not self.is_dead(i)]
                if len(live) != 1 or (self.stop_at is not None and self.stop_at(node)):
                    break
                seen.append(cur)
                cur = live[0]
                continue
            break
        for s in seen + [t]:
            self._resolved[s] = cur
        return cur

    def is_dead(self, tensor: str) -> bool:
        """Whether ``tensor`` lies on the untaken side of a fixed v1 cond (it never runs)."""
        t = tensor_name(tensor)
        key = ("dead", t)
        if key not in self.cache:
            self.cache[key] = False  # cycles (while loops) are not dead
            r = self.resolve(t)
            node = self.nodes.get(op_name(r))
            self.cache[key] = r == DEAD or (
                node is not None
                and node.op not in ("Merge", "RefMerge", "Enter", "RefEnter", "NextIteration")
                and r not in self.inputs
                and any(self.is_dead(i) for i in data_inputs(node))
            )
        return self.cache[key]

    def producer(self, tensor: str) -> Any:
        """The NodeDef producing ``resolve(tensor)``."""
        return self.node(self.resolve(tensor))

    def variable_name(self, tensor: str) -> str:
        """The op behind ``tensor`` through ``Identity``/``ReadVariableOp`` (the variable)."""
        return self.index.source(self.resolve(tensor), _VARIABLE_READS).name

    def ops_between(self, outputs: Iterable[str], stops: Iterable[str]) -> list[str]:
        """Op names on data paths from ``stops`` (exclusive) up to ``outputs`` (inclusive)."""
        stop_ops = {op_name(s) for s in stops}
        ops = self.index.upstream(outputs, control=False, excluded=stop_ops)
        return sorted(op for op in ops if op in self.nodes)


@dataclass
class Step:
    """One statement of the generated model."""

    code: str  # the right-hand side: "{i}" for the variable of inputs[i], "{name}" the layer name
    inputs: list[str]  # graph tensors (resolved) it reads
    outputs: list[str | None]  # graph tensors in the order the code returns them (None: unused)
    replaces: list[str]  # TF1 op names it stands for (written as a comment)
    name: str = ""  # Keras layer name / Python variable stem (the TF1 scope)
    weights: list[np.ndarray] | None = None  # arrays for set_weights
    rule: str = ""  # the registry entry that made it ("fallback" for leftovers)
    native: bool = True  # False for a marked fallback
    layer: str = ""  # the Keras class or call used
    note: str = ""  # a comment line
    helpers: list[str] = field(default_factory=list)  # names of prelude classes it uses
    suffixes: list[str] | None = None  # Python names of several returned values: name + suffix
    multi: bool = False  # returns a list, even of one value


# fn(ctx, node) -> Step | None; ctx is a GraphContext, node the NodeDef producing the wanted tensor.
Rule = Callable[[Any, Any], "Step | None"]

KERAS_RULES: OpRegistry[Rule] = OpRegistry("keras rewrite rule", many=True)
keras_rule = KERAS_RULES.register


def node_step(ctx: Any, node: Any, x: str, code: str, layer: str, **kw: Any) -> Step:
    """A Step reading ``x``, writing ``node``'s output (by default: replacing it, its scope)."""
    kw.setdefault("name", scope_of(node.name))
    kw.setdefault("replaces", [node.name])
    return Step(code, [ctx.resolve(x)], [tensor_name(node.name)], layer=layer, **kw)


def lit(value: Any) -> str:
    """A Python literal for an attribute value (ints, floats, strings, tuples, lists); model
    text (names, keys) enters generated code only through it."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, float):
        return repr(float(str(np.float32(value)))) if np.isfinite(value) else f'float("{value}")'
    if isinstance(value, tuple):
        inner = ", ".join(lit(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(lit(v) for v in value) + "]"
    text = repr(value)
    if isinstance(value, str) and text[0] == "'" and '"' not in value:  # as the formatter writes
        return f'"{text[1:-1]}"'  # no ' in value either (repr chose '...'): nothing to unescape
    return text


def kwargs_code(**kwargs: Any) -> str:
    """``a=1, b="x"`` for the keyword arguments that are not ``None``."""
    return ", ".join(f"{k}={lit(v)}" for k, v in kwargs.items() if v is not None)


def layer_code(cls: str, *args: Any, call: str = "{0}", **kwargs: Any) -> str:
    """``keras.layers.<cls>(args, kwargs, name="{name}")(<call>)``."""
    parts = [*(lit(a) for a in args), kwargs_code(**kwargs), 'name="{name}"']
    return f"keras.layers.{cls}({', '.join(p for p in parts if p)})({call})"


Translation = Callable[[Any, Any, list], "str | None"]
KERAS_OPS: OpRegistry[Translation] = OpRegistry("keras.ops translation")


def _scalar(ctx: Any, t: str) -> str | None:
    v = ctx.value(t)
    return None if v is None or v.size != 1 or v.dtype.kind not in "fiub" else lit(v.item())


def _static(ctx: Any, t: str) -> Any:
    v = ctx.value(t)
    return None if v is None else v.tolist()


def ops(*op_types: str, native: bool = True, static: tuple[int, ...] | None = None):
    """Register a translation. With ``static`` it runs only when ``x[0]`` is a tensor and the data
    inputs at those indices have fixed values, given to it (``tolist()``) after ``x``."""

    def deco(fn: Callable) -> Callable:
        tr = fn
        if static is not None:

            def tr(ctx, node, x):
                ins = data_inputs(node)
                values = [_static(ctx, ins[i]) for i in static]
                return None if x[0] is None or None in values else fn(ctx, node, x, *values)

        KERAS_OPS.add(tr, *op_types, native=native)
        return fn

    return deco


_RENAMED = {
    "AddV2": "add",
    "Sub": "subtract",
    "Mul": "multiply",
    "RealDiv": "divide",
    "Pow": "power",
    "FloorDiv": "floor_divide",
    "FloorMod": "mod",
    "Neg": "negative",
}


def _keras_names(op_types: str) -> dict[str, str]:
    """Op type -> ``keras.ops`` function: the op's snake-case name unless in ``_RENAMED``."""
    snake = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
    return {op: _RENAMED.get(op) or snake.sub("_", op).lower() for op in op_types.split()}


BINARY = _keras_names(
    "Add AddV2 Sub Mul RealDiv Maximum Minimum Pow FloorDiv FloorMod Greater GreaterEqual Less "
    "LessEqual Equal NotEqual LogicalAnd LogicalOr"
)
NATIVE_BINARY = ("Add", "AddV2", "Sub", "Mul", "RealDiv", "Maximum", "Minimum")
UNARY = _keras_names(
    "Neg Abs Exp Log Log1p Sqrt Rsqrt Square Sin Cos Floor Ceil Round Sign Reciprocal Erf "
    "LogicalNot Tanh Sigmoid Relu Softplus LogSoftmax ZerosLike OnesLike"
)

CALLS = {**BINARY, **UNARY, "Select": "where", "SelectV2": "where"}  # keras.ops.<fn> of all inputs


def _call(ctx, node, x):
    """``keras.ops.<fn>(...)``, a constant input as its scalar literal (``None`` if not one)."""
    args = [e if e is not None else _scalar(ctx, t) for e, t in zip(x, data_inputs(node))]
    return None if None in args else f"keras.ops.{CALLS[node.op]}({', '.join(args)})"


for _op in CALLS:
    ops(_op, native=_op in NATIVE_BINARY)(_call)


@ops("SquaredDifference", native=False)
def _squared_difference(ctx, node, x):
    return None if None in x else f"keras.ops.square(keras.ops.subtract({x[0]}, {x[1]}))"


def is_native(op_type: str) -> bool:
    """Whether ``op_type``'s translation is a native line of ``build_model`` (not a fallback)."""
    return any(op_type in e.op_types and e.meta.get("native") for e in KERAS_OPS.entries())


@ops("Reshape", static=())
def _reshape(ctx, node, x):
    shape = _static(ctx, data_inputs(node)[1])
    out = ctx.shape(node.name)
    if shape is None:  # computed from the input's shape: TensorFlow's static shape says what
        if out is None or sum(d is None for d in out) > 1:
            return None
        shape = [-1 if d is None else d for d in out]
    ins = ctx.shape(data_inputs(node)[0])
    flat = ins is not None and len(ins) > 2 and None not in ins[1:] and len(shape) == 2
    if flat and shape[1] in (-1, int(np.prod(ins[1:]))) and shape[0] in (-1, ins[0]):
        return f'keras.layers.Flatten(name="{{name}}")({x[0]})'
    return f"keras.ops.reshape({x[0]}, {lit(tuple(shape))})"


@ops("ConcatV2")
def _concat(ctx, node, x):
    axis = _static(ctx, data_inputs(node)[-1])
    if axis is None or any(e is None for e in x[:-1]):
        return None
    parts = ", ".join(x[:-1])
    return f'keras.layers.Concatenate(axis={axis}, name="{{name}}")([{parts}])'


@ops("Pack")
def _pack(ctx, node, x):
    axis = ctx.attr(node, "axis", 0)
    return None if None in x else f"keras.ops.stack([{', '.join(x)}], axis={axis})"


@ops("Squeeze", static=())
def _squeeze(ctx, node, x):
    dims = ctx.attr(node, "squeeze_dims", []) or None
    return f"keras.ops.squeeze({x[0]}, axis={lit(tuple(dims)) if dims else None})"


@ops("ExpandDims", static=(1,))
def _expand_dims(ctx, node, x, axis):
    axis = axis[0] if isinstance(axis, list) else axis
    return f"keras.ops.expand_dims({x[0]}, {axis})"


@ops("Transpose", static=(1,))
def _transpose(ctx, node, x, perm):
    if perm and perm[0] == 0 and len(perm) > 1:
        return f'keras.layers.Permute({lit(tuple(perm[1:]))}, name="{{name}}")({x[0]})'
    return f"keras.ops.transpose({x[0]}, {lit(tuple(perm))})"


@ops("Pad", "PadV2", "MirrorPad", static=(1,))
def _pad(ctx, node, x, pads):
    mode = {"REFLECT": "reflect", "SYMMETRIC": "symmetric"}.get(ctx.attr(node, "mode"), "constant")
    value = ""
    if node.op == "PadV2":
        if (cv := _scalar(ctx, data_inputs(node)[2])) is None:
            return None
        value = f", constant_values={cv}"
    return f'keras.ops.pad({x[0]}, {lit([tuple(p) for p in pads])}, mode="{mode}"{value})'


@ops("Mean", "Sum", "Max", "Min", "Prod", "All", "Any", static=(1,))
def _reduce(ctx, node, x, axis):
    fn = node.op.lower()  # Mean, Sum, Max, Min, Prod, All, Any: keras.ops.mean, ...
    axis = tuple(axis) if isinstance(axis, list) else axis
    keep = bool(ctx.attr(node, "keep_dims", False))
    return f"keras.ops.{fn}({x[0]}, axis={lit(axis)}, keepdims={keep})"


@ops("Cast", static=())
def _cast(ctx, node, x):
    return f'keras.ops.cast({x[0]}, "{ctx.attr(node, "DstT")}")'


@ops("ArgMax", "ArgMin", static=(1,))
def _argmax(ctx, node, x, axis):
    out = ctx.attr(node, "output_type", "int64")
    return f'keras.ops.cast(keras.ops.{node.op.lower()}({x[0]}, axis={int(axis)}), "{out}")'


@ops("Softmax", static=())
def _softmax(ctx, node, x):
    return f"keras.ops.softmax({x[0]}, axis=-1)"


@ops("MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3")
def _matmul(ctx, node, x):
    if None in x:
        return None
    a, b = x
    if ctx.attr(node, "transpose_a", False) or ctx.attr(node, "adj_x", False):
        a = f"keras.ops.swapaxes({a}, -1, -2)"
    if ctx.attr(node, "transpose_b", False) or ctx.attr(node, "adj_y", False):
        b = f"keras.ops.swapaxes({b}, -1, -2)"
    return f"keras.ops.matmul({a}, {b})"


@ops("Tile", static=(1,))
def _tile(ctx, node, x, reps):
    return f"keras.ops.tile({x[0]}, {lit(tuple(reps))})"


@ops("ClipByValue", native=False, static=())
def _clip(ctx, node, x):
    lo, hi = (_scalar(ctx, t) for t in data_inputs(node)[1:])
    return None if lo is None or hi is None else f"keras.ops.clip({x[0]}, {lo}, {hi})"


@ops("StridedSlice", static=(1, 2, 3))
def _strided_slice(ctx, node, x, b, e, s):
    names = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")
    begin, end, ellipsis, new_axis, shrink = (int(ctx.attr(node, k, 0)) for k in names)
    items = []
    for i, (bi, ei, si) in enumerate(zip(b, e, s)):
        bit = 1 << i
        if ellipsis & bit:
            items.append("...")
        elif new_axis & bit:
            items.append("None")
        elif shrink & bit:
            items.append(str(bi))
        else:
            lo = "" if begin & bit else str(bi)
            hi = "" if end & bit else str(ei)
            items.append(f"{lo}:{hi}" + (f":{si}" if si != 1 else ""))
    return f"{x[0]}[{', '.join(items) or '...'}]"


@ops("Split", "SplitV")
def _split(ctx, node, x):
    ins = data_inputs(node)
    if node.op == "Split":
        axis, data, n = _static(ctx, ins[0]), x[1], int(ctx.attr(node, "num_split"))
        if axis is None or data is None:
            return None
        return f"keras.ops.split({data}, {n}, axis={axis})"
    sizes, axis = _static(ctx, ins[1]), _static(ctx, ins[2])
    if x[0] is None or sizes is None or axis is None or -1 in sizes:
        return None
    return f"keras.ops.split({x[0]}, {lit(list(np.cumsum(sizes)[:-1].tolist()))}, axis={axis})"


@ops("Unpack", static=())
def _unpack(ctx, node, x):
    n = int(ctx.attr(node, "num"))
    return f"keras.ops.unstack({x[0]}, {n}, axis={ctx.attr(node, 'axis', 0)})"


@ops("OneHot", native=False, static=(1, 2, 3))
def _one_hot(ctx, node, x, depth, on, off):
    if on != 1 or off != 0:
        return None
    return f"keras.ops.one_hot({x[0]}, {int(depth)}, axis={ctx.attr(node, 'axis', -1)})"


@ops("ReverseV2", static=(1,))
def _reverse(ctx, node, x, axes):
    axes = axes if isinstance(axes, list) else [axes]
    expr = x[0]
    for a in axes:
        expr = f"keras.ops.flip({expr}, axis={int(a)})"
    return expr


@ops("ReverseSequence", native=False)
def _reverse_sequence(ctx, node, x):
    """Reverse the first ``length`` steps of each row (``bidirectional_dynamic_rnn``'s backward
    input and output): gather with indices ``length-1-t`` below the length, ``t`` past it."""
    seq_axis, batch_axis = int(ctx.attr(node, "seq_dim", 1)), int(ctx.attr(node, "batch_dim", 0))
    shape = ctx.shape(node.name)
    if None in x or batch_axis != 0 or seq_axis != 1 or shape is None or shape[1] is None:
        return None
    t = f"keras.ops.arange({shape[1]})[None, :]"
    n = f"keras.ops.expand_dims(keras.ops.cast({x[1]}, 'int32'), 1)"
    idx = f"keras.ops.where(keras.ops.less({t}, {n}), {n} - 1 - {t}, {t} + 0 * {n})"
    for _ in range(len(shape) - 2):
        idx = f"keras.ops.expand_dims({idx}, -1)"
    return f"keras.ops.take_along_axis({x[0]}, {idx}, axis=1)"


def op_step(ctx: Any, node: NodeDef, native: bool = True) -> Step | None:
    """One op as its ``keras.ops`` translation (``None`` without one): a native ``keras-ops``
    Step, or a fallback Step (its layer: the op type)."""
    if (fn := KERAS_OPS.get(node.op)) is None:
        return None
    ins = data_inputs(node)  # x: "{k}" for the k-th distinct tensor input, None for a constant
    tensors = list(dict.fromkeys(ctx.resolve(t) for t in ins if not ctx.is_const(t)))
    x = [None if ctx.is_const(t) else f"{{{tensors.index(ctx.resolve(t))}}}" for t in ins]
    expr = fn(ctx, node, x) if tensors else None
    if expr is None:
        return None
    n = len(ctx.graph.get_operation_by_name(node.name).outputs)
    outs = [tensor_name(node.name)] if n == 1 else [f"{node.name}:{i}" for i in range(n)]
    call = "getitem" if expr.startswith("{") else expr.split("(")[0].replace("keras.layers.", "")
    kw = {"rule": "keras-ops" if native else "fallback", "layer": call if native else node.op}
    return Step(expr, tensors, outs, [node.name], scope_of(node.name), native=native, **kw)


@keras_rule(*NATIVE_BINARY, name="with-constant")
def with_constant(ctx: Any, node: NodeDef) -> Step | None:
    """``x <op> c`` with a constant (or TF1 variable) ``c`` that is not a plain scalar literal:
    a ``WithConstant`` layer holding ``c`` as its weight (trainable when it was a variable)."""
    a, b = data_inputs(node)
    va, vb = ctx.value(a), ctx.value(b)
    if (va is None) == (vb is None):
        return None
    first = va is not None
    c_t, x_t, c = (a, b, va) if first else (b, a, vb)
    variable = ctx.is_variable(c_t)
    if c.size == 1 and not variable:
        return None  # keras-ops writes the scalar inline
    fn = BINARY[node.op]
    code = (
        f'WithConstant("{fn}", {lit(tuple(c.shape))}, constant_first={first}, '
        f'value_dtype="{c.dtype.name}", trainable={variable}, name="{{name}}")({{0}})'
    )
    name = ctx.variable_name(c_t) if variable else scope_of(node.name)
    note = f"{'TF1 variable' if variable else 'constant'} {op_name(ctx.resolve(c_t))} as weight"
    kw = {"name": name, "weights": [c], "helpers": ["WithConstant"], "note": note}
    return node_step(ctx, node, x_t, code, "WithConstant", **kw)


@keras_rule(*[t for t in KERAS_OPS if is_native(t)], name="keras-ops")
def keras_ops(ctx: Any, node: NodeDef) -> Step | None:
    """A single op with a ``keras.ops`` call or a parameter-free layer (Reshape, Concatenate...)."""
    return op_step(ctx, node) if is_native(node.op) else None
