"""Single TF1 ops as ``keras.ops`` calls: ``fn(ctx, node, x) -> str | None`` in :data:`KERAS_OPS`
gets ``x[i]``, the expression of data input ``i`` (``None`` for a constant: ``ctx.value``).
``native=True`` entries become lines of ``build_model``; the others go into fallback layers."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from explorer.graph.names import data_inputs, op_name, tensor_name
from explorer.graph.registry import OpRegistry
from explorer.rewriting.graph import Step, keras_rule, lit, node_step, scope_of
from explorer.rewriting.rules_layers import const_operand

if TYPE_CHECKING:
    from tensorflow.core.framework.node_def_pb2 import NodeDef

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


def _keras_names(op_types: str) -> dict[str, str]:
    """Op type -> ``keras.ops`` function: ``fn`` for ``Op=fn``, else the op's snake-case name."""
    snake = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
    pairs = (t.partition("=") for t in op_types.split())
    return {op: fn or snake.sub("_", op).lower() for op, _, fn in pairs}


BINARY = _keras_names(
    "Add AddV2=add Sub=subtract Mul=multiply RealDiv=divide Maximum Minimum Pow=power "
    "FloorDiv=floor_divide FloorMod=mod Greater GreaterEqual Less LessEqual Equal NotEqual "
    "LogicalAnd LogicalOr"
)
NATIVE_BINARY = ("Add", "AddV2", "Sub", "Mul", "RealDiv", "Maximum", "Minimum")
UNARY = _keras_names(
    "Neg=negative Abs Exp Log Log1p Sqrt Rsqrt Square Sin Cos Floor Ceil Round Sign Reciprocal "
    "Erf LogicalNot Tanh Sigmoid Relu Softplus LogSoftmax ZerosLike OnesLike"
)

CALLS = {**BINARY, **UNARY, "Select": "where", "SelectV2": "where", "DivNoNan": "divide_no_nan"}


def _call(ctx, node, x):
    """``keras.ops.<fn>(...)``, a constant input as its scalar literal (``None`` if not one)."""
    args = [e if e is not None else _scalar(ctx, t) for e, t in zip(x, data_inputs(node))]
    return None if None in args else f"keras.ops.{CALLS[node.op]}({', '.join(args)})"


for _op in CALLS:
    ops(_op, native=_op in (*NATIVE_BINARY, "DivNoNan"))(_call)


@ops("SquaredDifference", native=False)
def _squared_difference(ctx, node, x):
    return None if None in x else f"keras.ops.square(keras.ops.subtract({x[0]}, {x[1]}))"


@keras_rule(
    "SparseSoftmaxCrossEntropyWithLogits", "SoftmaxCrossEntropyWithLogits", name="cross-entropy"
)
def _cross_entropy(ctx: Any, node: NodeDef) -> Step | None:
    """A training loss's per-example cross-entropy (output 0; the backprop output has none)."""
    logits, labels = (ctx.resolve(t) for t in data_inputs(node))
    if ctx.is_const(logits) or ctx.is_const(labels):
        return None
    fn = ("sparse_" if node.op.startswith("Sparse") else "") + "categorical_crossentropy"
    code = f"keras.ops.{fn}({{1}}, {{0}}, from_logits=True)"
    out = tensor_name(node.name)
    return Step(code, [logits, labels], [out], [node.name], scope_of(node.name), layer=fn)


@keras_rule("Fill", name="fill-like")
def _fill_like(ctx: Any, node: NodeDef) -> Step | None:
    """``Fill(Shape(t), c)`` (``ones_like`` in TF1 loss weights) -> ``keras.ops.full_like``."""
    dims, value = data_inputs(node)
    shape, c = ctx.producer(dims), _scalar(ctx, value)
    if shape.op != "Shape" or c is None or ctx.is_const(src := data_inputs(shape)[0]):
        return None
    code = f'keras.ops.full_like({{0}}, {c}, dtype="{ctx.dtype(node.name)}")'
    return node_step(ctx, node, src, code, "full_like")


def is_native(op_type: str) -> bool:
    """Whether ``op_type``'s translation is a native line of ``build_model`` (not a fallback)."""
    return any(e.meta.get("native") for e in KERAS_OPS.matching(op_type))


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
    return f'keras.layers.Concatenate(axis={axis}, name="{{name}}")([{", ".join(x[:-1])}])'


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
    return f"keras.ops.expand_dims({x[0]}, {axis[0] if isinstance(axis, list) else axis})"


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
    axis = tuple(axis) if isinstance(axis, list) else axis
    keep = bool(ctx.attr(node, "keep_dims", False))
    return f"keras.ops.{node.op.lower()}({x[0]}, axis={lit(axis)}, keepdims={keep})"


@keras_rule("Mean", "Sum", "Max", "Min", "Prod", name="reduce-all")
def _reduce_all(ctx: Any, node: NodeDef) -> Step | None:
    """``reduce_*(x)`` of an unknown rank (axes ``Range(0, Rank(x), 1)``) -> over every axis."""
    x, axis = data_inputs(node)
    rng = ctx.producer(axis)
    if rng.op != "Range" or ctx.is_const(x):
        return None
    start, limit, delta = data_inputs(rng)
    rank = ctx.producer(limit)
    if rank.op != "Rank" or ctx.resolve(data_inputs(rank)[0]) != ctx.resolve(x):
        return None
    if _scalar(ctx, start) != "0" or _scalar(ctx, delta) != "1":
        return None
    code = f"keras.ops.{node.op.lower()}({{0}})"
    return node_step(ctx, node, x, code, f"keras.ops.{node.op.lower()}")


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
    """One op as its ``keras.ops`` translation: a native ``keras-ops`` Step or a fallback one."""
    if (fn := KERAS_OPS.get(node.op)) is None:
        return None
    ins = data_inputs(node)  # x: "{k}" for the k-th distinct tensor input, None for a constant
    tensors = list(dict.fromkeys(ctx.resolve(t) for t in ins if not ctx.is_const(t)))
    x = [None if ctx.is_const(t) else f"{{{tensors.index(ctx.resolve(t))}}}" for t in ins]
    if not tensors or (expr := fn(ctx, node, x)) is None:
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
    x_t, c_t = const_operand(ctx, node, NATIVE_BINARY)
    if c_t is None:
        return None
    c, first, variable = ctx.value(c_t), c_t == data_inputs(node)[0], ctx.is_variable(c_t)
    if c.size == 1 and not variable:
        return None  # keras-ops writes the scalar inline
    code = (
        f'WithConstant("{BINARY[node.op]}", {lit(tuple(c.shape))}, constant_first={first}, '
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
