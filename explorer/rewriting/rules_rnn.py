"""``tf.compat.v1.nn.dynamic_rnn`` loops over an LSTM, GRU or BasicRNN cell -> ``keras.layers.LSTM``
/ ``GRU`` / ``SimpleRNN``, weights in Keras's gate order (LSTM ``i, j, f, o`` -> ``i, f, c, o``,
``forget_bias`` folded in; GRU ``r, u`` -> ``z, r, h``, ``reset_after=False``). A
``sequence_length`` becomes a mask (static T); peepholes and projections have no rewrite."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import numpy as np

from explorer.rewriting.graph import data_inputs, op_name, scope_of, tensor_name
from explorer.rewriting.ir import Step, keras_rule, layer_code

if TYPE_CHECKING:
    from tensorflow.core.framework.node_def_pb2 import NodeDef


_ENTER = frozenset({"Enter"})
_ENTER_IDENTITY = frozenset({"Enter", "Identity"})


def _loop_exit_of(ctx: Any, node: NodeDef) -> Any | None:
    """The ``Exit`` node a gather (through its flow input) or an Exit itself leads to."""
    if node.op == "Exit":
        return node
    if node.op == "TensorArrayGatherV3":
        flow = ctx.node(data_inputs(node)[2])
        return flow if flow.op == "Exit" else None
    if node.op == "Transpose":
        inner = ctx.producer(data_inputs(node)[0])
        return _loop_exit_of(ctx, inner) if inner.op == "TensorArrayGatherV3" else None
    return None


def _analyse_frame(ctx: Any, prefix: str) -> dict[str, Any] | None:
    """The Step (as keyword arguments) of the loop in the frame ``prefix``, else ``None``."""
    body = {n: d for n, d in ctx.nodes.items() if n.startswith(prefix)}
    types = [d.op for d in body.values()]
    lengths = None
    if "Select" in types or "SelectV2" in types:
        # sequence_length: outputs zeroed and states copied through once time >= length
        lengths = _sequence_length(ctx, body)
        if lengths is None:
            return None

    def new_value(t: str) -> str:
        node = ctx.node(t)
        if lengths is not None and node.op in ("Select", "SelectV2"):
            return ctx.resolve(node.input[2])
        return t

    # loop variables: Merge(Enter(init), NextIteration(next)) -> Switch -> Exit
    exits = {op_name(ctx.nodes[n].input[0]): n for n in body if body[n].op == "Exit"}
    switch_of = {op_name(d.input[0]): d.name for d in body.values() if d.op == "Switch"}
    loop_vars = []  # (next value tensor, exit tensor)
    for m in (d for d in body.values() if d.op == "Merge"):
        nxt = ctx.node(m.input[1])
        if nxt.op != "NextIteration":
            continue
        sw = switch_of.get(m.name)
        ex = exits.get(sw) if sw else None
        loop_vars.append((new_value(ctx.resolve(nxt.input[0])), tensor_name(ex) if ex else None))
    reads = [d for d in body.values() if d.op == "TensorArrayReadV3"]
    writes = [d for d in body.values() if d.op == "TensorArrayWriteV3"]
    if len(reads) != 1 or len(writes) != 1:
        return None
    scatter = ctx.index.source(reads[0].input[2], _ENTER)
    if scatter.op != "TensorArrayScatterV3":
        return None
    tm_input = ctx.resolve(scatter.input[2])
    tnode = ctx.node(tm_input)
    time_major, x = True, tm_input
    if _swaps_batch_and_time(ctx, tnode):
        time_major, x = False, ctx.resolve(tnode.input[0])
    out_step = new_value(ctx.resolve(writes[0].input[2]))
    matmuls = [d for d in body.values() if d.op == "MatMul"]
    kernels, biases = [], []

    def entered(t: str) -> np.ndarray | None:  # the fixed value entering the loop as ``t``
        return ctx.value(ctx.index.source(t, _ENTER_IDENTITY).name + ":0")

    for mm in matmuls:
        k = entered(mm.input[1])
        if k is None or ctx.attr(mm, "transpose_a") or ctx.attr(mm, "transpose_b"):
            return None
        kernels.append(k)
        adds = [d for d in body.values() if d.op == "BiasAdd" and op_name(d.input[0]) == mm.name]
        biases.append(entered(adds[0].input[1]) if adds else None)
    if not kernels or any(b is None for b in biases) or "Tanh" not in types:
        return None
    state_vars = [
        (nv, ex)
        for nv, ex in loop_vars
        if ctx.dtype(nv).startswith("float")
        and body.get(op_name(nv)) is not None
        and ctx.node(nv).op not in ("TensorArrayWriteV3",)
    ]
    h_var = [v for v in state_vars if v[0] == out_step]
    others = [v for v in state_vars if v[0] != out_step]
    if len(h_var) != 1:
        return None
    h_exit = h_var[0][1]
    splits = [d for d in body.values() if d.op == "Split"]
    if len(kernels) == 1 and len(splits) == 1 and int(ctx.attr(splits[0], "num_split")) == 4:
        kind, w, b = "LSTM", kernels[0], biases[0]
        u = w.shape[1] // 4
        in_dim = w.shape[0] - u
        if len(others) != 1:
            return None
        forget = _forget_bias(ctx, body, splits[0])
        if forget is None:
            return None
        order = np.concatenate(
            [np.arange(0, u), np.arange(2 * u, 3 * u), np.arange(u, 2 * u), np.arange(3 * u, 4 * u)]
        )
        bias = b[order].copy()
        bias[u : 2 * u] += forget
        weights = [w[:in_dim][:, order], w[in_dim:][:, order], bias]
        states = [h_exit, others[0][1]]
        note = f"gates i,j,f,o -> Keras i,f,c,o; forget_bias {forget:g} folded into the bias"
    elif len(kernels) == 2 and not others:
        gi = 0 if kernels[0].shape[1] == 2 * kernels[1].shape[1] else 1
        wg, bg, wc, bc = kernels[gi], biases[gi], kernels[1 - gi], biases[1 - gi]
        u = wc.shape[1]
        if wg.shape[1] != 2 * u:
            return None
        in_dim = wg.shape[0] - u
        cols = np.concatenate([np.arange(u, 2 * u), np.arange(0, u)])
        weights = [
            np.concatenate([wg[:in_dim][:, cols], wc[:in_dim]], axis=1),
            np.concatenate([wg[in_dim:][:, cols], wc[in_dim:]], axis=1),
            np.concatenate([bg[cols], bc]),
        ]
        kind, states = "GRU", [h_exit]
        note = "gates r,u + candidate -> Keras z(=u),r,h with reset_after=False"
    elif len(kernels) == 1 and not splits and not others:
        w, b = kernels[0], biases[0]
        u = w.shape[1]
        in_dim = w.shape[0] - u
        kind, weights, states = "SimpleRNN", [w[:in_dim], w[in_dim:], b], [h_exit]
        note = "kernel rows split into input and recurrent kernels"
    else:
        return None
    xs = ctx.shape(x)
    if xs is None or xs[-1] != in_dim or (lengths is not None and (time_major or xs[1] is None)):
        return None
    gather = [
        d
        for d in ctx.nodes.values()
        if d.op == "TensorArrayGatherV3"
        and op_name(d.input[2]) in {op_name(e) for e in exits.values()}
    ]
    gather_t = tensor_name(gather[0].name) if gather else ""
    seq = None  # the last batch-major transpose of the gathered outputs
    for d in ctx.nodes.values():
        reads_gather = d.op == "Transpose" and gather_t and ctx.resolve(d.input[0]) == gather_t
        if reads_gather and _swaps_batch_and_time(ctx, d):
            seq = tensor_name(d.name)
    scope = prefix[: -len("/while/")] if prefix.endswith("/while/") else prefix.rstrip("/")
    call = "keras.ops.transpose({0}, (1, 0, 2))" if time_major else "{0}"
    extra = {}
    if lengths is not None:
        note += f"; sequence_length {op_name(lengths)} -> a mask over {xs[1]} steps"
        steps = f"keras.ops.arange({xs[1]})[None, :]"
        call += f", mask=keras.ops.less({steps}, keras.ops.expand_dims({{1}}, 1))"
        extra["zero_output_for_mask"] = True
    code = layer_code(kind, int(u), call=call, return_sequences=True, return_state=True, **extra)
    if kind == "GRU":
        code = code.replace("return_state=True", "return_state=True, reset_after=False")
    return {
        "code": code,
        "inputs": [x] if lengths is None else [x, lengths],
        "outputs": [seq, *states],  # seq: batch-major outputs; states: final (h, c) Exits
        "replaces": sorted(body) + ([op_name(seq)] if seq else []),
        "name": scope,
        "weights": weights,
        "rule": "dynamic-rnn",
        "layer": kind,
        "note": note,
        "suffixes": ["", "_h", "_c"][: 1 + len(states)],
    }


def _swaps_batch_and_time(ctx: Any, node: NodeDef) -> bool:
    """``node`` is a Transpose whose fixed permutation starts ``[1, 0]``."""
    if node.op != "Transpose":
        return False
    perm = ctx.value(node.input[1])
    return perm is not None and list(perm[:2]) == [1, 0]


def _sequence_length(ctx: Any, body: dict) -> str | None:
    """The sequence-length tensor of a dynamic_rnn loop: ``time >= Enter(sequence_length)``."""
    found = set()
    for d in body.values():
        if d.op == "GreaterEqual":
            enter = ctx.node(d.input[1])
            if enter.op == "Enter":
                found.add(ctx.resolve(enter.input[0]))
    return found.pop() if len(found) == 1 else None


def _forget_bias(ctx: Any, body: dict, split: Any) -> float | None:
    """The constant added to ``split:2`` (the f gate) before its sigmoid, 0 when none."""
    f_t = f"{split.name}:2"
    for d in body.values():
        if d.op in ("Add", "AddV2") and tensor_name(d.input[0]) == f_t:
            v = ctx.value(d.input[1])
            return float(v) if v is not None and v.size == 1 else None
    for d in body.values():
        if d.op == "Sigmoid" and tensor_name(d.input[0]) == f_t:
            return 0.0
    return None


@keras_rule("Transpose", "Exit", name="dynamic-rnn", priority=-1)
def dynamic_rnn(ctx: Any, node: NodeDef) -> Step | None:
    """The outputs (batch-major) and final states of a dynamic_rnn loop -> one Keras RNN layer."""
    exit_node = _loop_exit_of(ctx, node)
    if exit_node is None:
        return None
    key = ("rnn-loop", scope_of(exit_node.name) + "/")  # one analysis per loop
    if key not in ctx.cache:
        ctx.cache[key] = None  # also when the body is not the shape a rule knows
        with contextlib.suppress(KeyError, IndexError, ValueError):
            ctx.cache[key] = _analyse_frame(ctx, key[1])
    return None if ctx.cache[key] is None else Step(**ctx.cache[key])
