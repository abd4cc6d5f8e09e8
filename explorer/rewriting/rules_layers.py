"""Pattern rules that become Keras layers: Dense, convolutions, batch norm, pooling, activations,
Embedding, Dropout, and a ``dynamic_rnn`` loop over an LSTM, GRU or BasicRNN cell (weights in
Keras's gate order, ``sequence_length`` as a mask; peepholes and projections have no rewrite)."""

from __future__ import annotations

import contextlib
import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np

from explorer.graph.names import data_inputs, op_name, tensor_name
from explorer.graph.op_families import ACTIVATION_OPS, CONV2D_OPS
from explorer.rewriting.graph import Step, keras_rule, layer_code, node_step, scope_of

if TYPE_CHECKING:
    from tensorflow.core.framework.node_def_pb2 import NodeDef

ACTIVATIONS = {op: op.lower() for op in sorted(ACTIVATION_OPS)}  # op type -> Keras activation


@keras_rule("MatMul", name="dense-no-bias")
def dense_no_bias(ctx: Any, node: NodeDef) -> Step | None:
    """A lone ``MatMul(x, W)`` -> ``Dense(units, use_bias=False)``."""
    if node.op != "MatMul" or ctx.attr(node, "transpose_a", False):
        return None
    x, w = data_inputs(node)
    kernel = ctx.value(w)
    if kernel is None or kernel.ndim != 2 or ctx.value(x) is not None:
        return None
    kernel = kernel.T if ctx.attr(node, "transpose_b", False) else kernel
    code = layer_code("Dense", int(kernel.shape[1]), use_bias=False)
    name = _weight_scope(ctx, w, node)
    return node_step(ctx, node, x, code, "Dense", name=name, weights=[kernel])


def _weight_scope(ctx: Any, w: str, node: NodeDef) -> str:
    """The TF1 scope: ``dense`` for a kernel ``dense/kernel`` (tf.layers, slim), else the op's."""
    source = ctx.variable_name(w)
    kernel = source.rsplit("/", 1)[-1] in ("kernel", "weights", "w", "filter", "depthwise_kernel")
    return scope_of(source if kernel else node.name)


@keras_rule("BiasAdd", "Add", "AddV2", name="dense")
def dense(ctx: Any, node: NodeDef) -> Step | None:
    """``MatMul(x, W) + b`` -> ``Dense(units)``, a conv ``+ b`` -> the conv with a bias (1-D b)."""
    if node.op != "BiasAdd":
        pre, b = const_operand(ctx, node, ("Add", "AddV2"))
    elif ctx.attr(node, "data_format", "NHWC") == "NHWC":
        pre, b = data_inputs(node)
    else:
        return None
    bias = None if b is None else ctx.value(b)
    if bias is None or bias.ndim != 1 or not ctx.single_use(ctx.resolve(pre)):
        return None
    inner = ctx.producer(pre)
    step = dense_no_bias(ctx, inner) or conv2d(ctx, inner)
    if step is None or step.weights is None:
        return None
    k = step.weights[0]
    channels = k.shape[2] * k.shape[3] if step.layer == "DepthwiseConv2D" else k.shape[-1]
    if bias.shape[0] != (k.shape[2] if step.layer == "Conv2DTranspose" else channels):
        return None
    step.code = step.code.replace("use_bias=False, ", "")
    step.weights = [*step.weights, bias.astype(step.weights[0].dtype)]
    step.outputs = [tensor_name(node.name)]
    step.replaces = [*step.replaces, node.name]
    return step


def _window(ctx: Any, node: NodeDef, key: str) -> tuple[int, int] | None:
    v = ctx.attr(node, key, [1, 1, 1, 1])
    return None if len(v) != 4 or v[0] != 1 or v[3] != 1 else (int(v[1]), int(v[2]))


@keras_rule(*CONV2D_OPS, name="conv2d")
def conv2d(ctx: Any, node: NodeDef) -> Step | None:
    """Conv2D / DepthwiseConv2dNative / Conv2DBackpropInput (+BiasAdd, see ``dense``) -> Keras."""
    if node.op not in CONV2D_OPS or ctx.attr(node, "data_format", "NHWC") != "NHWC":
        return None
    padding = ctx.attr(node, "padding", "VALID")
    strides, dil = _window(ctx, node, "strides"), _window(ctx, node, "dilations")
    if padding not in ("SAME", "VALID") or strides is None or dil is None:
        return None
    ins = data_inputs(node)
    w, x = ins[1:] if node.op == "Conv2DBackpropInput" else ins[::-1]  # (sizes,) filter, input
    kernel = ctx.value(w)
    if kernel is None or kernel.ndim != 4 or ctx.value(x) is not None:
        return None
    rate = None if dil == (1, 1) else dil  # layer_code leaves None out
    common = {"strides": strides, "padding": padding.lower(), "dilation_rate": rate}
    if node.op == "Conv2DBackpropInput":
        out_shape = ctx.value(ins[0])  # None: the batch comes from the input at run time
        out_shape = ctx.shape(node.name) if out_shape is None else out_shape
        out_pad = _transpose_padding(ctx.shape(x), out_shape, kernel.shape[:2], strides, padding)
        if out_pad is False or dil != (1, 1):
            return None
        cls, args = "Conv2DTranspose", (int(kernel.shape[2]), tuple(kernel.shape[:2]))
        common["output_padding"] = out_pad
    elif node.op == "Conv2D":
        cls, args = "Conv2D", (int(kernel.shape[3]), tuple(kernel.shape[:2]))
    else:
        cls, args = "DepthwiseConv2D", (tuple(kernel.shape[:2]),)
        common["depth_multiplier"] = int(kernel.shape[3])
    code = layer_code(cls, *args, use_bias=False, **common)
    name = _weight_scope(ctx, w, node)
    return node_step(ctx, node, x, code, cls, name=name, weights=[kernel], rule="conv2d")


def _transpose_padding(in_shape, out_shape, ksize, strides, padding):
    """Keras ``output_padding`` for a TF ``Conv2DBackpropInput``'s output size (``None``: Keras's
    default, ``False``: not expressible). Keras's sizes: "same" ``i*s``, with padding ``p``
    ``(i-1)*s + k - 2*(k//2) + p``; "valid" ``i*s + max(k-s, 0)``, ``(i-1)*s + k + p``."""
    if in_shape is None or out_shape is None or len(in_shape) != 4 or len(out_shape) != 4:
        return False
    pads, default = [], True
    for d in (1, 2):
        i, o, k, s = in_shape[d], out_shape[d], int(ksize[d - 1]), strides[d - 1]
        if i is None or o is None:
            return False
        o = int(o)
        if padding == "SAME":
            default = default and o == i * s
            p = o - (i - 1) * s - k + 2 * (k // 2)
        else:
            default = default and o == i * s + max(k - s, 0)
            p = o - (i - 1) * s - k
        pads.append(p)
    if default:
        return None
    return False if any(p < 0 or p >= s for p, s in zip(pads, strides)) else tuple(pads)


@keras_rule(*ACTIVATIONS, "LeakyRelu", "Softmax", name="activation")
def activation(ctx: Any, node: NodeDef) -> Step | None:
    """An activation: fused into the Dense/Conv producing its input, else its own layer."""
    (x,) = data_inputs(node)
    if ctx.value(x) is not None:
        return None
    act = ACTIVATIONS.get(node.op)
    rx = ctx.resolve(x)
    if act is not None and ctx.single_use(rx):
        inner = ctx.producer(rx)
        for rule in (dense, conv2d, dense_no_bias):
            step = rule(ctx, inner)
            if step is not None and step.outputs == [rx]:
                step.rule = step.rule or rule.__name__.replace("_", "-")
                step.code = step.code.replace(
                    'name="{name}"', f'activation="{act}", name="{{name}}"'
                )
                step.outputs = [tensor_name(node.name)]
                step.replaces = [*step.replaces, node.name]
                return step
    alpha = float(ctx.attr(node, "alpha", 0.2))
    code, cls = {
        "LeakyRelu": (layer_code("LeakyReLU", negative_slope=alpha), "LeakyReLU"),
        "Softmax": (layer_code("Softmax", axis=-1), "Softmax"),
    }.get(node.op) or (layer_code("Activation", act), "Activation")
    return node_step(ctx, node, rx, code, cls)


def _bn_step(ctx, node, x, gamma, beta, mean, var, eps, replaces, momentum=None) -> Step:
    """``BatchNormalization`` without ``scale``/``center`` when ``gamma``/``beta`` is ``None``;
    ``momentum``: TF1's is_training=True (batch statistics in every call)."""
    center = None if beta is not None else False  # None: Keras's default
    scale = None if gamma is not None else False
    code = layer_code(
        "BatchNormalization", epsilon=float(eps), momentum=momentum, center=center, scale=scale
    )
    name = scope_of(node.name).removesuffix("/cond").removesuffix("/batchnorm")
    weights = [a.astype(ctx.dtype(x)) for a in (gamma, beta, mean, var) if a is not None]
    kw = {"replaces": replaces, "name": name, "weights": weights}
    if momentum is None:
        kw["note"] = "inference mode: the checkpoint's moving mean and variance"
    else:  # TF1 uses the batch's statistics in every run, moves the others with UPDATE_OPS
        code = code.replace("keras.layers.BatchNormalization", "BatchStatsNormalization", 1)
        kw.update(note="TF1 is_training=True", helpers=["BatchStatsNormalization"])
    return node_step(ctx, node, x, code, "BatchNormalization", **kw)


def _bn_momentum(ctx: Any, node: NodeDef) -> float | None:
    """A training-mode fused batch norm's momentum, read from TF1's ``AssignMovingAvg``:
    ``moving -= (moving - batch_mean) * (1 - momentum)``."""
    for mul, pos in ctx.index.readers(f"{node.name}:1", frozenset({"Sub"}), hops=2):
        decay = ctx.value(data_inputs(mul)[1 - pos]) if mul.op == "Mul" else None
        if decay is not None and decay.size == 1:
            return 1.0 - float(decay)
    return None


@keras_rule("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3", name="batch-norm")
def fused_batch_norm(ctx: Any, node: NodeDef) -> Step | None:
    """``FusedBatchNorm*`` -> ``BatchNormalization`` (moving statistics; ``is_training=True``:
    its momentum from the moving-average update)."""
    training = ctx.attr(node, "is_training", True)
    momentum = _bn_momentum(ctx, node) if training else None
    if (training and momentum is None) or ctx.attr(node, "data_format", "NHWC") != "NHWC":
        return None
    x, *params = data_inputs(node)[:5]  # scale, offset, mean, variance
    vals = [ctx.value(t) for t in params]
    if any(v is None for v in vals) or ctx.value(x) is not None or vals[2].shape != vals[0].shape:
        return None
    eps = float(ctx.attr(node, "epsilon", 1e-3))
    return _bn_step(ctx, node, x, *vals, eps, [node.name], momentum)


def const_operand(ctx: Any, node: NodeDef, ops: tuple[str, ...]) -> tuple[str | None, str | None]:
    """(tensor operand, fixed operand) of a binary op of one of ``ops``, else ``(None, None)``."""
    if node.op in ops:
        a, b = data_inputs(node)
        if ctx.value(a) is None and ctx.value(b) is not None:
            return a, b
        if ctx.value(b) is None and ctx.value(a) is not None:
            return b, a
    return None, None


@keras_rule("Add", "AddV2", name="batch-norm-unfused")
def unfused_batch_norm(ctx: Any, node: NodeDef) -> Step | None:
    """``x * (gamma * rsqrt(var + eps)) + (beta - mean * gamma * rsqrt(var + eps))`` (what
    ``tf.nn.batch_normalization`` and ``fused=False`` layers write) -> ``BatchNormalization``."""
    mul_t, shift_t = const_operand(ctx, node, ("Add", "AddV2"))
    if mul_t is None or not ctx.single_use(ctx.resolve(mul_t)):
        return None
    x, m_t = const_operand(ctx, ctx.producer(mul_t), ("Mul",))
    if x is None:
        return None
    m = ctx.producer(m_t)  # gamma * rsqrt(var + eps), or rsqrt(var + eps)
    gamma, rsqrt = None, m
    if m.op == "Mul":
        a, b = (ctx.producer(t) for t in data_inputs(m))
        rsqrt, g = (a, data_inputs(m)[1]) if a.op == "Rsqrt" else (b, data_inputs(m)[0])
        gamma = ctx.value(g)
    if rsqrt.op != "Rsqrt":
        return None
    add = ctx.producer(data_inputs(rsqrt)[0])
    if add.op not in ("Add", "AddV2"):
        return None
    var, eps = (ctx.value(t) for t in data_inputs(add))
    if var is None or eps is None:
        return None
    if eps.size != 1:
        var, eps = eps, var
    sub = ctx.producer(shift_t)  # beta - mean * m, or -(mean * m) without beta
    beta, mean = None, None
    if sub.op == "Sub":
        b_t, mm_t = data_inputs(sub)
        beta = ctx.value(b_t)
        mm = ctx.producer(mm_t)
        if mm.op == "Mul":
            p, q = data_inputs(mm)
            mean = ctx.value(q if ctx.resolve(p) == ctx.resolve(m_t) else p)
    if eps.size != 1 or mean is None or var.ndim != 1:
        return None
    if any(a is not None and a.shape != var.shape for a in (gamma, beta)):
        return None
    ops = ctx.ops_between([node.name], [x])
    return _bn_step(ctx, node, x, gamma, beta, mean, var, float(eps.reshape(())), ops)


@keras_rule("MaxPool", "AvgPool", name="pooling")
def pooling(ctx: Any, node: NodeDef) -> Step | None:
    """MaxPool / AvgPool (NHWC, SAME or VALID) -> MaxPooling2D / AveragePooling2D."""
    k, s = _window(ctx, node, "ksize"), _window(ctx, node, "strides")
    padding = ctx.attr(node, "padding", "VALID")
    if k is None or s is None or ctx.attr(node, "data_format", "NHWC") != "NHWC":
        return None
    cls = "MaxPooling2D" if node.op == "MaxPool" else "AveragePooling2D"
    (x,) = data_inputs(node)
    return node_step(ctx, node, x, layer_code(cls, k, strides=s, padding=padding.lower()), cls)


@keras_rule("GatherV2", "Gather", "ResourceGather", name="embedding")
def embedding(ctx: Any, node: NodeDef) -> Step | None:
    """``gather(table, ids)`` with a constant 2-D table on axis 0 -> ``Embedding``."""
    table, ids, *axis = data_inputs(node)
    if node.op == "GatherV2" and (ctx.value(axis[0]) is None or int(ctx.value(axis[0])) != 0):
        return None
    w = ctx.value(table)
    if w is None or w.ndim != 2 or ctx.value(ids) is not None:
        return None
    code = layer_code("Embedding", int(w.shape[0]), int(w.shape[1]))
    name = ctx.variable_name(table) if ctx.is_variable(table) else scope_of(node.name)
    return node_step(ctx, node, ids, code, "Embedding", name=name, weights=[w])


def _dropout_rate(ctx: Any, ops: list[str]) -> float | None:
    """A dropout subgraph's rate: ``GreaterEqual(random, rate)`` or ``floor(keep + random)``."""
    for name in ops:
        n = ctx.nodes[name]
        if n.op == "GreaterEqual":
            v = ctx.value(data_inputs(n)[1])
            if v is not None and v.size == 1:
                return float(v)
        if n.op in ("Add", "AddV2") and any(
            ctx.nodes[op_name(i)].op == "RandomUniform" or "random_uniform" in i for i in n.input
        ):
            for i in data_inputs(n):
                v = ctx.value(i)
                if v is not None and v.size == 1:
                    return 1.0 - float(v)
    return None


@keras_rule("Merge", name="dropout")
def dropout(ctx: Any, node: NodeDef) -> Step | None:
    """A v1 ``cond`` on a fixed ``training`` flag whose training side is a dropout -> ``Dropout``
    (identity at inference, as the untaken branch was; active when fine-tuning)."""
    live, dead = ([i for i in data_inputs(node) if ctx.is_dead(i) == d] for d in (False, True))
    if len(live) != 1 or len(dead) != 1:
        return None
    x = ctx.resolve(live[0])
    ops = ctx.ops_between([dead[0]], [x])
    if not _has_random(ctx, ops) or (rate := _dropout_rate(ctx, ops)) is None:
        return None
    replaces = [node.name, *[o for o in ops if "dropout" in o][:3]]
    name = scope_of(node.name).removesuffix("/cond")
    note = "identity at inference, as the v1 graph with training=False"
    kw = {"replaces": replaces, "name": name, "note": note}
    return node_step(ctx, node, x, layer_code("Dropout", rate), "Dropout", **kw)


def _has_random(ctx: Any, ops: list[str]) -> bool:
    return any(ctx.nodes[o].op in ("RandomUniform", "RandomUniformInt") for o in ops)


@keras_rule("SelectV2", "Select", "Mul", name="dropout-keep-prob")
def dropout_keep_prob(ctx: Any, node: NodeDef) -> Step | None:
    """Inline ``tf.nn.dropout`` with a fixed rate -> ``Dropout``: TF 2's ``select(random >= rate,
    x / (1 - rate), 0)`` or TF 1's ``x / keep * floor(keep + random)``."""
    ins = data_inputs(node)
    if node.op in ("SelectV2", "Select"):
        cond, kept, zero = ins
        z = ctx.value(zero)
        scaled = ctx.producer(kept)
        if z is None or z.size != 1 or float(z) != 0.0 or scaled.op not in ("RealDiv", "Mul"):
            return None
        x = data_inputs(scaled)[0]
        test = ctx.producer(cond)
        if test.op != "GreaterEqual" or not _has_random(ctx, ctx.ops_between([cond], [x])):
            return None
        rate = ctx.value(data_inputs(test)[1])
    else:
        floor = [t for t in ins if ctx.producer(t).op == "Floor"]
        if len(floor) != 1:
            return None
        scaled = ctx.producer(ins[1 - ins.index(floor[0])])
        if scaled.op != "RealDiv":
            return None
        x, keep_t = data_inputs(scaled)
        keep = ctx.value(keep_t)
        if keep is None or not _has_random(ctx, ctx.ops_between([floor[0]], [x])):
            return None
        rate = 1.0 - keep
    if rate is None or np.size(rate) != 1 or ctx.value(x) is not None:
        return None
    rate = float(np.reshape(rate, ()))
    zero = "its fixed keep_prob gives rate 0 here: set the rate trained with"
    note = zero if rate == 0 else "active only when training"
    code = layer_code("Dropout", rate)
    return node_step(ctx, node, x, code, "Dropout", replaces=[node.name, scaled.name], note=note)


def _loop_exit_of(ctx: Any, node: NodeDef) -> Any | None:
    """The ``Exit`` node a transposed gather (through its flow input) or an Exit itself is."""
    if node.op == "Transpose":
        node = ctx.producer(data_inputs(node)[0])
        if node.op != "TensorArrayGatherV3":
            return None
    if node.op == "TensorArrayGatherV3":
        node = ctx.node(data_inputs(node)[2])
    return node if node.op == "Exit" else None


def _analyse_frame(ctx: Any, prefix: str) -> Step | None:
    """The Step of the loop in the frame ``prefix``, else ``None`` (or a ``ValueError``,
    ``KeyError``, ``IndexError``: not a loop a rule knows)."""
    body = {n: d for n, d in ctx.nodes.items() if n.startswith(prefix)}
    types = [d.op for d in body.values()]
    lengths = None  # sequence_length: outputs zeroed and states copied through past the length
    if ("Select" in types or "SelectV2" in types) and not (lengths := _sequence_length(ctx, body)):
        return None

    def new_value(t: str) -> str:  # with lengths: the new value of Select(done, old, new)
        node = ctx.node(t)
        return ctx.resolve(node.input[2]) if lengths and node.op in ("Select", "SelectV2") else t

    # loop variables: Merge(Enter(init), NextIteration(next)) -> Switch -> Exit
    exits = {op_name(ctx.nodes[n].input[0]): n for n in body if body[n].op == "Exit"}
    switch_of = {op_name(d.input[0]): d.name for d in body.values() if d.op == "Switch"}
    loop_vars = []  # (next value tensor, exit tensor)
    for m in (d for d in body.values() if d.op == "Merge"):
        nxt = ctx.node(m.input[1])
        if nxt.op != "NextIteration":
            continue
        ex = exits.get(switch_of.get(m.name))
        loop_vars.append((new_value(ctx.resolve(nxt.input[0])), tensor_name(ex) if ex else None))
    (read,) = [d for d in body.values() if d.op == "TensorArrayReadV3"]
    (write,) = [d for d in body.values() if d.op == "TensorArrayWriteV3"]
    scatter = ctx.index.source(read.input[2], frozenset({"Enter"}))
    if scatter.op != "TensorArrayScatterV3":
        return None
    x = ctx.resolve(scatter.input[2])
    time_major = not _swaps_batch_and_time(ctx, ctx.node(x))
    x = x if time_major else ctx.resolve(ctx.node(x).input[0])
    out_step = new_value(ctx.resolve(write.input[2]))
    kernels, biases = [], []

    def entered(t: str) -> np.ndarray | None:  # the fixed value entering the loop as ``t``
        return ctx.value(ctx.index.source(t, frozenset({"Enter", "Identity"})).name + ":0")

    for mm in (d for d in body.values() if d.op == "MatMul"):
        k = entered(mm.input[1])
        if k is None or ctx.attr(mm, "transpose_a") or ctx.attr(mm, "transpose_b"):
            return None
        kernels.append(k)
        adds = [d for d in body.values() if d.op == "BiasAdd" and op_name(d.input[0]) == mm.name]
        biases.append(entered(adds[0].input[1]) if adds else None)
    if not kernels or any(b is None for b in biases) or "Tanh" not in types:
        return None
    kept = {n for n, d in body.items() if d.op != "TensorArrayWriteV3"}
    state_vars = [
        (t, ex) for t, ex in loop_vars if op_name(t) in kept and ctx.dtype(t)[:5] == "float"
    ]
    (h_exit,) = [ex for t, ex in state_vars if t == out_step]
    others = [v for v in state_vars if v[0] != out_step]
    splits = [d for d in body.values() if d.op == "Split"]
    if len(kernels) == 1 and len(splits) == 1 and int(ctx.attr(splits[0], "num_split")) == 4:
        w, b = kernels[0], biases[0]
        u = w.shape[1] // 4
        if len(others) != 1 or (forget := _forget_bias(ctx, body, splits[0])) is None:
            return None
        order = np.r_[0:u, 2 * u : 3 * u, u : 2 * u, 3 * u : 4 * u]
        w, b = w[:, order], b[order]
        b[u : 2 * u] += forget
        kind, states = "LSTM", [h_exit, others[0][1]]
        note = f"gates i,j,f,o -> Keras i,f,c,o; forget_bias {forget:g} folded into the bias"
    elif len(kernels) == 2 and not others:
        gi = 0 if kernels[0].shape[1] == 2 * kernels[1].shape[1] else 1
        wg, bg, wc, bc = kernels[gi], biases[gi], kernels[1 - gi], biases[1 - gi]
        u = wc.shape[1]
        if wg.shape[1] != 2 * u:
            return None
        cols = np.r_[u : 2 * u, 0:u]
        w, b = np.concatenate([wg[:, cols], wc], axis=1), np.concatenate([bg[cols], bc])
        kind, states = "GRU", [h_exit]
        note = "gates r,u + candidate -> Keras z(=u),r,h with reset_after=False"
    elif len(kernels) == 1 and not splits and not others:
        w, b, u = kernels[0], biases[0], kernels[0].shape[1]
        kind, states = "SimpleRNN", [h_exit]
        note = "kernel rows split into input and recurrent kernels"
    else:
        return None
    in_dim = w.shape[0] - u  # the kernel's rows: the input's, then the recurrent state's
    weights = [w[:in_dim], w[in_dim:], b]
    xs = ctx.shape(x)
    if xs is None or xs[-1] != in_dim or (lengths and (time_major or xs[1] is None)):
        return None
    ends = set(exits.values())
    gather = [d for d in ctx.nodes.values() if d.op == "TensorArrayGatherV3"]
    gather_t = next((tensor_name(d.name) for d in gather if op_name(d.input[2]) in ends), "")
    seq = None  # the last batch-major transpose of the gathered outputs
    for d in ctx.nodes.values():
        reads_gather = d.op == "Transpose" and gather_t and ctx.resolve(d.input[0]) == gather_t
        if reads_gather and _swaps_batch_and_time(ctx, d):
            seq = tensor_name(d.name)
    scope = prefix[: -len("/while/")] if prefix.endswith("/while/") else prefix.rstrip("/")
    call = "keras.ops.transpose({0}, (1, 0, 2))" if time_major else "{0}"
    extra = {"reset_after": False} if kind == "GRU" else {}  # TF1's GRU resets before its matmul
    if lengths is not None:
        note += f"; sequence_length {op_name(lengths)} -> a mask over {xs[1]} steps"
        steps = f"keras.ops.arange({xs[1]})[None, :]"
        call += f", mask=keras.ops.less({steps}, keras.ops.expand_dims({{1}}, 1))"
        extra["zero_output_for_mask"] = True
    code = layer_code(kind, int(u), call=call, return_sequences=True, return_state=True, **extra)
    inputs = [x] if lengths is None else [x, lengths]
    replaces = sorted(body) + ([op_name(seq)] if seq else [])
    suffixes = ["", "_h", "_c"][: 1 + len(states)]
    kw = {"rule": "dynamic-rnn", "layer": kind, "note": note, "suffixes": suffixes}
    # outputs: the batch-major sequence, then the final (h, c) Exits
    return Step(code, inputs, [seq, *states], replaces, scope, weights, **kw)


def _swaps_batch_and_time(ctx: Any, node: NodeDef) -> bool:
    """``node`` is a Transpose whose fixed permutation starts ``[1, 0]``."""
    if node.op != "Transpose":
        return False
    perm = ctx.value(node.input[1])
    return perm is not None and list(perm[:2]) == [1, 0]


def _sequence_length(ctx: Any, body: dict) -> str | None:
    """The sequence-length tensor of a dynamic_rnn loop: ``time >= Enter(sequence_length)``."""
    enters = [ctx.node(d.input[1]) for d in body.values() if d.op == "GreaterEqual"]
    found = {ctx.resolve(e.input[0]) for e in enters if e.op == "Enter"}
    return found.pop() if len(found) == 1 else None


def _forget_bias(ctx: Any, body: dict, split: Any) -> float | None:
    """The constant added to ``split:2`` (the f gate) before its sigmoid, 0 when none."""
    f_t = f"{split.name}:2"
    for d in body.values():
        if d.op in ("Add", "AddV2") and tensor_name(d.input[0]) == f_t:
            v = ctx.value(d.input[1])
            return float(v) if v is not None and v.size == 1 else None
    sigmoid = any(d.op == "Sigmoid" and tensor_name(d.input[0]) == f_t for d in body.values())
    return 0.0 if sigmoid else None


@keras_rule("Transpose", "Exit", name="dynamic-rnn", priority=-1)
def dynamic_rnn(ctx: Any, node: NodeDef) -> Step | None:
    """The outputs (batch-major) and final states of a dynamic_rnn loop -> one Keras RNN layer."""
    if (exit_node := _loop_exit_of(ctx, node)) is None:
        return None
    key = ("rnn-loop", scope_of(exit_node.name) + "/")  # one analysis per loop
    if key not in ctx.cache:
        ctx.cache[key] = None  # also when the body is not the shape a rule knows
        with contextlib.suppress(KeyError, IndexError, ValueError):
            ctx.cache[key] = _analyse_frame(ctx, key[1])
    return None if ctx.cache[key] is None else dataclasses.replace(ctx.cache[key])
