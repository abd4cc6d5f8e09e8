"""Write a :class:`~explorer.rewriting.translate.Program` as the readable ``model.py``.
The file imports only ``keras`` and ``os``, defines the helper layers it uses (``WithConstant``,
the marked ``FallbackN`` layers) and ``build_model(weights=WEIGHTS)``: one line per Step, named
after its TF1 scope, with a comment naming the TF1 ops it replaces. Text from the model (keys,
names, the folder's name) enters only as ``repr`` literals or escaped comments and docstring
lines; :func:`verify_source` proves it by tokenizing the result."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from typing import Any

import numpy as np

from explorer.errors import ConversionError, plain
from explorer.rewriting.graph import py_name
from explorer.rewriting.ir import Step, lit
from explorer.rewriting.translate import Program, fill

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
}


def _comment(step: Step) -> str:
    ops = step.replaces
    shown = ", ".join(ops[:4]) + (f" and {len(ops) - 4} more" if len(ops) > 4 else "")
    tag = "" if step.native else "FALLBACK "
    note = f" ({step.note})" if step.note else ""
    return f"    # {tag}{step.layer or step.rule} <- TF1 {plain(shown)}{plain(note)}"


def _doc(text: object) -> str:
    """Model text for a line of the module's docstring: no control character, quote or
    backslash left to end or bend the literal."""
    return plain(text).replace("\\", "\\\\").replace('"', '\\"')


_SAFE_TEXT = re.compile(r"[\w./:-]*")  # a name with nothing that could act as code


def verify_source(source: str, texts: list[str]) -> None:
    """Raise ``ConversionError`` unless ``source`` parses and every occurrence of each model
    ``text`` (beyond plain names) lies inside one string literal or comment."""
    try:
        ast.parse(source)
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (SyntaxError, tokenize.TokenError) as e:
        raise ConversionError(f"the generated model.py does not parse ({e}): report it") from None
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
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
        v = fresh(spec.var)
        var[spec.tensor] = v
        body.append(f"    # input {plain(spec.key)} <- TF1 {plain(spec.tensor)}")
        shape = lit(tuple(spec.batch_shape))
        body.append(
            f"    {v} = keras.Input(batch_shape={shape}, dtype={lit(spec.dtype)}, name={lit(v)})"
        )
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
            for o, n in zip(outs, names):
                if o is not None:
                    var[o] = n
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
    for _cls, lines in program.fallback_classes.items():
        classes.append("\n".join(lines) + "\n")
    n_native = sum(s.native for s in program.steps)
    n_fb = len(program.steps) - n_native
    doc = [
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
    ]
    src = "\n".join(
        [
            *doc,
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
    )
    texts = [title, *program.outputs, *program.outputs.values()]
    texts += [t for s in program.inputs for t in (s.key, s.tensor)]
    verify_source(src, texts + [op for s in program.steps for op in s.replaces])
    return src, weights, rows
