"""The rewrite's intermediate form: one :class:`Step` per line of the generated ``build_model``;
rules in :data:`KERAS_RULES` by the op type of the pattern's last op (the wanted tensor's)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explorer.graph.registry import OpRegistry
from explorer.rewriting.graph import scope_of, tensor_name


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
    """A Step reading ``x`` and writing ``node``'s output (by default: replacing ``node``, named
    after its scope)."""
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


# op type -> Keras activation name
ACTIVATIONS = {
    op: op.lower()
    for op in ("Relu", "Relu6", "Elu", "Selu", "Sigmoid", "Tanh", "Softplus", "Softsign")
}
