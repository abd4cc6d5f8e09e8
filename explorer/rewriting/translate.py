"""From the chosen outputs back to the inputs: one :class:`~explorer.rewriting.ir.Step` per pattern.
For each wanted tensor the rules for its producing op are asked in order (the first Step producing
it wins), then its inputs are wanted. An op no rule takes becomes its ``keras.ops`` translation,
grouped with connected leftovers into one marked fallback layer; without one, a ConversionError."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from explorer.errors import ConversionError
from explorer.graph.op_families import PLACEHOLDER_OPS, VARIABLE_OPS
from explorer.rewriting import rules_layers, rules_ops, rules_rnn  # noqa: F401 - register rules
from explorer.rewriting.graph import DEAD, GraphContext, py_name, scope_of, tensor_name
from explorer.rewriting.ir import KERAS_RULES, Step

if TYPE_CHECKING:
    from tensorflow.core.framework.node_def_pb2 import NodeDef


@dataclass
class InputSpec:
    key: str
    tensor: str
    var: str
    batch_shape: tuple[int | None, ...]
    dtype: str


@dataclass
class Program:
    """Everything the generated source is written from."""

    inputs: list[InputSpec]
    outputs: dict[str, str]  # output key -> graph tensor (resolved)
    steps: list[Step]
    fallback_classes: dict[str, list[str]] = field(default_factory=dict)  # class -> source lines


class _Translator:
    def __init__(self, ctx: GraphContext) -> None:
        self.ctx = ctx
        self.steps: list[Step] = []
        self.produced: set[str] = set()  # graph tensors a Step already writes
        self.visiting: set[str] = set()
        ctx.stop_at = lambda node: rules_layers.dropout(ctx, node) is not None

    def demand(self, tensor: str, wanted_by: str) -> None:
        ctx = self.ctx
        r = ctx.resolve(tensor)
        if r == DEAD:
            raise ConversionError(
                f"{tensor} is on the untaken side of a fixed v1 cond (wanted by {wanted_by}): "
                "pick the tensor of the branch that runs"
            )
        if r in self.produced or r in ctx.inputs:
            return
        node = ctx.node(r)
        if node.op in PLACEHOLDER_OPS:
            raise ConversionError(
                f"{wanted_by} needs placeholder {r}, which is not among the inputs: add it to "
                "inputs=... (CLI: --inputs)"
            )
        if r in self.visiting:
            raise ConversionError(
                f"op {node.name} ({node.op}) is on a cycle (a v1 while loop no RNN rule "
                "recognised): this loop has no Keras rewrite"
            )
        self.visiting.add(r)
        step = self._match(node, r)
        for t in step.inputs:
            self.demand(t, node.name)
        self.visiting.discard(r)
        self.steps.append(step)
        self.produced.update(o for o in step.outputs if o is not None)

    def _match(self, node: NodeDef, r: str) -> Step:
        entries = sorted(KERAS_RULES.matching(node.op), key=lambda e: e.meta.get("priority", 0))
        for entry in entries:
            step = entry.value(self.ctx, node)
            if step is not None and r in step.outputs:
                step.rule = step.rule or entry.name
                return step
        step = rules_ops.op_step(self.ctx, node, native=False)
        if step is None:
            raise ConversionError(f"op {node.name} ({node.op}) {_why_not(node.op)}")
        return step


_STATEFUL = ("Assign", "AssignAdd", "AssignSub", "AssignVariableOp", "ScatterAdd", "ScatterUpdate")


def _why_not(op_type: str) -> str:
    """The end of the one-line reason an op has no rewrite."""
    if op_type in _STATEFUL:
        return (
            "updates a variable at each call: a stateful graph has no Keras rewrite "
            "(pick outputs of the inference path)"
        )
    if op_type in VARIABLE_OPS:
        return "is a variable read with no input before it: a stateful output has no Keras rewrite"
    if op_type in rules_ops.KERAS_OPS:
        return (
            "reads run-time values where its keras.ops translation needs constants (e.g. a "
            "shape computed from the batch size): it has no Keras rewrite yet"
        )
    if op_type.startswith(("TensorArray", "Enter", "Exit", "NextIteration", "LoopCond")):
        return "belongs to a v1 while loop no RNN rule recognised: this loop has no Keras rewrite"
    return (
        "has no Keras pattern and no keras.ops translation: register one in "
        "explorer.rewriting (KERAS_RULES or KERAS_OPS)"
    )


def translate(
    ctx: GraphContext,
    inputs: dict[str, str],
    outputs: dict[str, str],
    input_shapes: dict[str, tuple[int | None, ...]] | None = None,
) -> Program:
    """The :class:`Program` for ``outputs`` (key -> tensor) computed from ``inputs``;
    ``input_shapes`` (key -> batch shape) stands in for inputs of unknown rank."""
    specs = []
    for key, t in inputs.items():
        shape = ctx.shape(t)
        if shape is None and input_shapes and key in input_shapes:
            shape = list(input_shapes[key])
        if shape == []:
            raise ConversionError(
                f"input {t} is a scalar (one value, no batch dimension): a Keras model takes "
                "batches; rewrite from a batched tensor after it (inputs=...)"
            )
        if shape is None:
            raise ConversionError(
                f"input {t} has an unknown rank: a Keras Input needs one; pick an input with a "
                "static rank (or reshape it in the graph)"
            )
        specs.append(InputSpec(key, tensor_name(t), py_name(key), tuple(shape), ctx.dtype(t)))
    tr = _Translator(ctx)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))
    try:
        for key, t in outputs.items():
            tr.demand(t, f"output {key}")
    finally:
        sys.setrecursionlimit(limit)
    resolved = {k: ctx.resolve(t) for k, t in outputs.items()}
    program = Program(specs, resolved, tr.steps)
    group_fallbacks(program)
    return program


def group_fallbacks(program: Program) -> None:
    """Merge connected fallback Steps into one Step per connected leftover subgraph, calling a
    generated ``FallbackN`` layer whose ``call`` holds their ``keras.ops`` lines."""
    steps = program.steps
    parent = list(range(len(steps)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    where = {o: i for i, s in enumerate(steps) for o in s.outputs if o is not None}
    for i, s in enumerate(steps):
        if s.native:
            continue
        for t in s.inputs:
            j = where.get(t)
            if j is not None and not steps[j].native:
                parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i, s in enumerate(steps):
        if not s.native:
            groups.setdefault(find(i), []).append(i)
    merged: dict[int, Step] = {}  # index of the group's last member -> merged step
    drop: set[int] = set()
    for members in groups.values():
        outs = {o for i in members for o in steps[i].outputs if o}
        early = any(  # a step between the members reads one: the group cannot be one layer
            k not in members and any(t in outs for t in steps[k].inputs)
            for k in range(min(members), max(members))
        )
        parts = [[i] for i in members] if early else [members]
        for part in parts:
            n = len(program.fallback_classes) + 1
            step, lines = _fallback_class(f"Fallback{n}", [steps[i] for i in part], program, steps)
            program.fallback_classes[f"Fallback{n}"] = lines
            merged[max(part)] = step
            drop.update(part)
    program.steps = [merged.get(i, s) for i, s in enumerate(steps) if i not in drop or i in merged]


def _fallback_class(cls: str, members: list[Step], program: Program, steps: list[Step]):
    inside = {o for s in members for o in s.outputs if o}
    ext_in = list(dict.fromkeys(t for s in members for t in s.inputs if t not in inside))
    wanted = {*program.outputs.values(), *(t for s in steps if s not in members for t in s.inputs)}
    ext_out = [o for s in members for o in s.outputs if o and o in wanted]
    var: dict[str, str] = {t: f"x{i}" for i, t in enumerate(ext_in)}
    body = [
        f"        {', '.join(var[t] for t in ext_in)}, = inputs"
        if len(ext_in) > 1
        else f"        {var[ext_in[0]]} = inputs[0]"
    ]
    for k, s in enumerate(members):
        code = fill(s.code, [var[t] for t in s.inputs], "")
        tmp = f"t{k}"
        body.append(f"        {tmp} = {code}  # {s.layer} {s.replaces[0]}")
        if len(s.outputs) == 1:
            var[s.outputs[0]] = tmp
        else:
            for i, o in enumerate(s.outputs):
                if o:
                    var[o] = f"{tmp}[{i}]"
    ret = ", ".join(var[o] for o in ext_out)
    body.append(f"        return [{ret}]")
    ops = [r for s in members for r in s.replaces]
    shown = ", ".join(f"{s.layer} {s.replaces[0]}" for s in members[:8])
    more = f" and {len(members) - 8} more" if len(members) > 8 else ""
    lines = [
        f"class {cls}(keras.layers.Layer):",
        f'    """FALLBACK: TF1 ops with no Keras layer, written in keras.ops: {shown}{more}."""',
        "",
        "    def call(self, inputs):",
        *body,
    ]
    code = f'{cls}(name="{{name}}")([{", ".join(f"{{{i}}}" for i in range(len(ext_in)))}])'
    name = scope_of(members[0].replaces[0]) + "_fallback"
    note = "marked fallback: " + ", ".join(sorted({s.layer for s in members}))
    kw = {"rule": "fallback", "native": False, "layer": cls, "note": note, "multi": True}
    return Step(code, ext_in, ext_out, ops, name, **kw), lines


def fill(code: str, args: list[str], name: str) -> str:
    """``code`` with ``{i}`` -> ``args[i]`` and ``{name}`` -> ``name`` (other braces untouched)."""
    return re.sub(r"\{(\d+|name)\}", lambda m: name if m[1] == "name" else args[int(m[1])], code)
