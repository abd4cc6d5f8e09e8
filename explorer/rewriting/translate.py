"""From the chosen outputs back to the inputs: one :class:`~.graph.Step` per pattern, an op no
rule takes as its ``keras.ops`` translation in a marked fallback layer. :func:`generate` writes
``model.py``; model text enters it only as literals or comments (:func:`verify_source`)."""

from __future__ import annotations

import ast
import io
import itertools
import re
import sys
import tokenize
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from explorer.errors import ConversionError, plain
from explorer.graph.names import tensor_name
from explorer.graph.op_families import PLACEHOLDER_OPS, STATE_CHANGING_PREFIXES, VARIABLE_OPS
from explorer.rewriting import rules_layers, rules_ops  # noqa: F401 - register rules
from explorer.rewriting.graph import DEAD, KERAS_RULES, GraphContext, Step, lit, py_name, scope_of

if TYPE_CHECKING:
    from tensorflow.core.framework.node_def_pb2 import NodeDef

_SAFE_TEXT = re.compile(r"[\w./:-]*")  # a name with nothing that could act as code


@dataclass
class InputSpec:
    key: str
    tensor: str
    batch_shape: tuple[int | None, ...]
    dtype: str


@dataclass
class Program:
    """Everything the generated source is written from."""

    inputs: list[InputSpec]
    outputs: dict[str, str]  # output key -> graph tensor (resolved)
    steps: list[Step]
    fallback_classes: dict[str, list[str]] = field(default_factory=dict)  # class -> source lines


def _match(ctx: GraphContext, node: NodeDef, r: str) -> Step:
    """The Step of the first rule (by priority) writing ``r``, else ``node``'s fallback."""
    entries = sorted(KERAS_RULES.matching(node.op), key=lambda e: e.meta.get("priority", 0))
    for entry in entries:
        step = entry.value(ctx, node)
        if step is not None and r in step.outputs:
            step.rule = step.rule or entry.name
            return step
    if (step := rules_ops.op_step(ctx, node, native=False)) is None:
        raise ConversionError(f"op {node.name} ({node.op}) {_why_not(node.op)}")
    return step


def _why_not(op_type: str) -> str:
    """The end of the one-line reason an op has no rewrite."""
    if op_type.startswith(STATE_CHANGING_PREFIXES):
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
        specs.append(InputSpec(key, tensor_name(t), tuple(shape), ctx.dtype(t)))
    steps: list[Step] = []
    produced: set[str] = set()  # graph tensors a Step already writes
    visiting: set[str] = set()
    ctx.stop_at = lambda node: rules_layers.dropout(ctx, node) is not None

    def demand(tensor: str, wanted_by: str) -> None:
        r = ctx.resolve(tensor)
        if r == DEAD:
            raise ConversionError(
                f"{tensor} is on the untaken side of a fixed v1 cond (wanted by {wanted_by}): "
                "pick the tensor of the branch that runs"
            )
        if r in produced or r in ctx.inputs:
            return
        node = ctx.node(r)
        if node.op in PLACEHOLDER_OPS:
            raise ConversionError(
                f"{wanted_by} needs placeholder {r}, which is not among the inputs: add it to "
                "inputs=... (CLI: --inputs)"
            )
        if r in visiting:
            raise ConversionError(
                f"op {node.name} ({node.op}) is on a cycle (a v1 while loop no RNN rule "
                "recognised): this loop has no Keras rewrite"
            )
        visiting.add(r)
        step = _match(ctx, node, r)
        for t in step.inputs:
            demand(t, node.name)
        visiting.discard(r)
        steps.append(step)
        produced.update(o for o in step.outputs if o is not None)

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))
    try:
        for key, t in outputs.items():
            demand(t, f"output {key}")
    finally:
        sys.setrecursionlimit(limit)
    program = Program(specs, {k: ctx.resolve(t) for k, t in outputs.items()}, steps)
    group_fallbacks(program)
    return program


def group_fallbacks(program: Program) -> None:
    """Merge connected fallback Steps into one Step per connected leftover subgraph, calling a
    generated ``FallbackN`` layer whose ``call`` holds their ``keras.ops`` lines."""
    steps = program.steps
    fallbacks = [i for i, s in enumerate(steps) if not s.native]
    where = {o: i for i in fallbacks for o in steps[i].outputs if o is not None}
    groups: list[set[int]] = []  # the connected fallback steps (an input links two)
    for i in fallbacks:
        linked = [g for g in groups if any(where.get(t) in g for t in steps[i].inputs)]
        groups = [g for g in groups if g not in linked] + [{i}.union(*linked)]
    merged: dict[int, Step | None] = {}  # a group's last member -> its step; others -> None
    for members in sorted((sorted(g) for g in groups), key=min):
        outs = {o for i in members for o in steps[i].outputs if o}
        early = any(  # a step between the members reads one: the group cannot be one layer
            k not in members and any(t in outs for t in steps[k].inputs)
            for k in range(min(members), max(members))
        )
        for part in [[i] for i in members] if early else [members]:
            n = len(program.fallback_classes) + 1
            step, lines = _fallback_class(f"Fallback{n}", [steps[i] for i in part], program, steps)
            program.fallback_classes[f"Fallback{n}"] = lines
            merged.update({i: None for i in part} | {max(part): step})
    kept = (merged.get(i, s) for i, s in enumerate(steps))
    program.steps = [s for s in kept if s is not None]


def _fallback_class(cls: str, members: list[Step], program: Program, steps: list[Step]):
    inside = {o for s in members for o in s.outputs if o}
    ext_in = list(dict.fromkeys(t for s in members for t in s.inputs if t not in inside))
    wanted = {*program.outputs.values(), *(t for s in steps if s not in members for t in s.inputs)}
    ext_out = [o for s in members for o in s.outputs if o and o in wanted]
    var: dict[str, str] = {t: f"x{i}" for i, t in enumerate(ext_in)}
    unpack = f"{', '.join(var.values())}, = inputs" if len(var) > 1 else "x0 = inputs[0]"
    body = [f"        {unpack}"]
    for k, s in enumerate(members):
        code = fill(s.code, [var[t] for t in s.inputs], "")
        body.append(f"        t{k} = {code}  # {s.layer} {s.replaces[0]}")
        many = len(s.outputs) > 1
        var.update({o: f"t{k}[{i}]" if many else f"t{k}" for i, o in enumerate(s.outputs) if o})
    body.append(f"        return [{', '.join(var[o] for o in ext_out)}]")
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


HELPERS = {
    "WithConstant": '''\
class WithConstant(keras.layers.Layer):
    """``x <op> c`` for a TF1 variable or constant ``c`` kept as this layer's weight ``value``."""

    def __init__(self, op, shape, constant_first=False, value_dtype="float32", **kwargs):
        super().__init__(**kwargs)
        self.op, self.shape, self.constant_first = op, tuple(shape), constant_first
        self.value_dtype = value_dtype
        self.value = self.add_weight(
            name="value", shape=self.shape, initializer="zeros", dtype=value_dtype
        )

    def call(self, x):
        fn = getattr(keras.ops, self.op)
        c = keras.ops.cast(self.value, x.dtype)
        return fn(c, x) if self.constant_first else fn(x, c)

    def get_config(self):
        return {**super().get_config(), "op": self.op, "shape": self.shape,
                "constant_first": self.constant_first, "value_dtype": self.value_dtype}
''',
    "BatchStatsNormalization": '''\
class BatchStatsNormalization(keras.layers.BatchNormalization):
    """TF1's fused batch norm fixed to is_training=True: the batch's statistics in every call; in
    training the moving ones move as TF1's UPDATE_OPS move them (the variance Bessel-corrected)."""

    def call(self, inputs, training=None, mask=None):
        mean, variance = self._moments(inputs, mask)
        if training and self.trainable:
            m, ops = self.momentum, keras.ops
            n = ops.cast(ops.size(inputs) // ops.size(mean), variance.dtype)
            self.moving_mean.assign(self.moving_mean * m + mean * (1 - m))
            self.moving_variance.assign(self.moving_variance * m + variance * n / (n - 1) * (1 - m))
        return keras.ops.batch_normalization(
            inputs, mean, variance, self.axis, self.beta, self.gamma, self.epsilon
        )
''',
}


def _comment(step: Step) -> str:
    ops = step.replaces
    shown = ", ".join(ops[:4]) + (f" and {len(ops) - 4} more" if len(ops) > 4 else "")
    tag = "" if step.native else "FALLBACK "
    note = f" ({step.note})" if step.note else ""
    return f"    # {tag}{step.layer or step.rule} <- TF1 {plain(shown)}{plain(note)}"


def _doc(text: object) -> str:
    """Model text for a docstring line: no control character, quote or backslash to end it."""
    return plain(text).replace("\\", "\\\\").replace('"', '\\"')


def verify_source(source: str, texts: list[str]) -> None:
    """Raise ``ConversionError`` unless ``source`` parses and every occurrence of each model
    ``text`` (beyond plain names) lies inside one string literal or comment."""
    try:
        ast.parse(source)
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (SyntaxError, tokenize.TokenError) as e:
        raise ConversionError(f"the generated model.py does not parse ({e}): report it") from None
    starts = [0, *itertools.accumulate(len(ln) for ln in source.splitlines(keepends=True))]
    spans = [
        (starts[t.start[0] - 1] + t.start[1], starts[t.end[0] - 1] + t.end[1])
        for t in tokens
        if t.type in (tokenize.STRING, tokenize.COMMENT)
    ]
    for text in {t for t in texts if not _SAFE_TEXT.fullmatch(t)}:
        for m in re.finditer(re.escape(text), source):
            if not any(a <= m.start() and m.end() <= b for a, b in spans):
                raise ConversionError(
                    f"model text {plain(text)[:80]!r} would become code in model.py: report it"
                )


def generate(
    program: Program, title: str
) -> tuple[str, dict[str, list[np.ndarray]], list[dict[str, Any]]]:
    """(source of model.py, layer name -> weights, one report row per step)."""
    var: dict[str, str] = {}
    used: set[str] = set()

    def fresh(stem: str) -> str:
        base = py_name(stem)
        name, k = base, 1
        while name in used or name in ("keras", "np", "os", "model", "weights"):
            k += 1
            name = f"{base}_{k}"
        used.add(name)
        return name

    body: list[str] = []
    for spec in program.inputs:
        v = var[spec.tensor] = fresh(spec.key)
        body.append(f"    # input {plain(spec.key)} <- TF1 {plain(spec.tensor)}")
        shape, dtype = lit(tuple(spec.batch_shape)), lit(spec.dtype)
        body.append(f"    {v} = keras.Input(batch_shape={shape}, dtype={dtype}, name={lit(v)})")
    weights: dict[str, list[np.ndarray]] = {}
    rows: list[dict[str, Any]] = []
    helpers: list[str] = []
    for step in program.steps:
        name = fresh(step.name or step.replaces[0])
        code = fill(step.code, [var[t] for t in step.inputs], name)
        outs = step.outputs
        if len(outs) == 1 and not step.multi:
            lhs = var[outs[0]] = name
        else:
            suffixes = step.suffixes or ["", *[f"_{i}" for i in range(1, len(outs))]]
            names = [f"{name}{sfx}" for sfx in suffixes]
            used.update(names)
            lhs = ", ".join(names) + ("," if len(names) == 1 else "")
            var.update((o, n) for o, n in zip(outs, names) if o is not None)
        body += [_comment(step), f"    {lhs} = {code}"]
        if step.weights is not None:
            weights[name] = step.weights
        helpers.extend(h for h in step.helpers if h not in helpers)
        row = {"layer": name, "kind": step.layer, "rule": step.rule, "native": step.native}
        shapes = [list(w.shape) for w in step.weights or []]
        rows.append({**row, "replaces": list(step.replaces), "weights": shapes})
    ins = ", ".join(f"{lit(s.key)}: {var[s.tensor]}" for s in program.inputs)
    outs = ", ".join(f"{lit(k)}: {var[t]}" for k, t in program.outputs.items())
    body.append(
        f"    model = keras.Model(inputs={{{ins}}}, outputs={{{outs}}}, name={lit(py_name(title))})"
    )
    body += ["    if weights:", "        model.load_weights(weights)", "    return model"]
    classes = [HELPERS[h] for h in helpers]
    classes += ["\n".join(lines) + "\n" for lines in program.fallback_classes.values()]
    n_native = sum(s.native for s in program.steps)
    n_fb = len(program.steps) - n_native
    lines = [
        f'"""Keras 3 rewrite of the TF1 model {_doc(title)} (generated by tf1-explorer rewrite).',
        "",
        f"{n_native} native steps, {n_fb} marked fallback layers. Inputs (dict keys):",
        *[
            f"    {_doc(s.key)}: {s.dtype} {list(s.batch_shape)} <- TF1 {_doc(s.tensor)}"
            for s in program.inputs
        ],
        "Outputs:",
        *[f"    {_doc(k)} <- TF1 {_doc(t)}" for k, t in program.outputs.items()],
        "",
        "build_model() builds it and loads model.weights.h5 (beside this file); it runs on any",
        "Keras 3 backend (KERAS_BACKEND=tensorflow, jax, torch).",
        '"""',
        "",
        "import os",
        "",
        "import keras",
        "",
        "HERE = os.path.dirname(os.path.abspath(__file__))",
        'WEIGHTS = os.path.join(HERE, "model.weights.h5")',
        "",
        "",
        *[c + "\n" for c in classes],
        "def build_model(weights=WEIGHTS):",
        '    """The Keras model; ``weights=None`` leaves the layers freshly initialised."""',
        *body,
        "",
        "",
        'if __name__ == "__main__":',
        "    build_model().summary()",
        "",
    ]
    src = "\n".join(lines)
    texts = [title, *program.outputs, *program.outputs.values()]
    texts += [t for s in program.inputs for t in (s.key, s.tensor)]
    verify_source(src, texts + [op for s in program.steps for op in s.replaces])
    return src, weights, rows
