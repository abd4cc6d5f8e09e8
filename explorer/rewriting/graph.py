"""What the Keras rewrite knows and writes: :class:`GraphContext` (the TF1 graph's static shapes,
constants, live branches of fixed conds), :class:`Step` (one line of the generated
``build_model``), rules in :data:`KERAS_RULES` by the op type of the wanted tensor's op."""

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
from explorer.graph.op_families import IDENTITY_OPS, VARIABLE_OPS, VARIABLE_READ_OPS, VOLATILE_OPS
from explorer.graph.registry import OpRegistry

if TYPE_CHECKING:
    from tensorflow.core.framework.node_def_pb2 import NodeDef

DEAD = "<dead branch>"


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

    def __init__(self, inputs: list[str], outputs: list[str], session: Any) -> None:
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
        self.probe: dict[str, np.ndarray] = {}  # variable -> value read instead (weight_map)

    def node(self, name: str) -> Any:
        return self.nodes[op_name(name)]

    def attr(self, node: NodeDef, key: str, default: Any = None) -> Any:
        if key not in node.attr:
            return default
        a = node.attr[key]
        kind = a.WhichOneof("value")
        if kind == "list":
            return list(a.list.i) or list(a.list.f) or [s.decode() for s in a.list.s]
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
        """Whether ``tensor`` depends on an input or a random op (live branches of fixed conds)."""
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
        src = self.index.source(t, VARIABLE_READ_OPS) if self.probe else None
        if src is not None and src.name in self.probe:
            return self.probe[src.name]
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

    def resolve(self, tensor: str) -> str:
        """The tensor that really produces ``tensor`` at inference (Identity and fixed switches
        looked through); :data:`DEAD` for the untaken side of a fixed switch."""
        t = tensor_name(tensor)
        if t in self._resolved:
            return self._resolved[t]
        seen, cur = [], t
        while cur not in self.inputs and (node := self.nodes.get(op_name(cur))) is not None:
            if node.op in IDENTITY_OPS and node.input:
                nxt = tensor_name(node.input[0])
            elif node.op in ("Switch", "RefSwitch"):  # a fixed predicate picks the live side
                if (p := self.value(tensor_name(node.input[1]))) is None:
                    break
                nxt = tensor_name(node.input[0]) if out_index(cur) == int(bool(p)) else DEAD
            elif node.op in ("Merge", "RefMerge") and out_index(cur) == 0:
                live = [self.resolve(i) for i in data_inputs(node) if not self.is_dead(i)]
                if len(live) != 1 or (self.stop_at is not None and self.stop_at(node)):
                    break
                nxt = live[0]
            else:
                break
            seen.append(cur)
            cur = nxt
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
        return self.index.source(self.resolve(tensor), VARIABLE_READ_OPS).name

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
    if isinstance(value, (np.ndarray, np.generic)):
        value = value.tolist()
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
