"""Facts read straight from ``GraphDef`` protobufs, fast (100k+ NodeDefs, for the catalog): output
dtypes from TensorFlow's op registry, short attr summaries, name globs."""

from __future__ import annotations

import contextlib
import functools
import gc
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from explorer.graph.index import GraphIndex
from explorer.graph.names import dtype_name, shape_text, tensor_name
from explorer.graph.runtime import op_def as registered_op_def
from explorer.graph.specs import shape_of

if TYPE_CHECKING:
    from tensorflow.core.framework.node_def_pb2 import NodeDef

Shape = tuple[int | None, ...] | None


# Per op type: ((type enum, type_attr, number_attr, type_list_attr, is_ref) per output arg,
# attr defaults by name). NodeDefs often leave out attrs at their default (``Shape.out_type``).
_OutSpec = tuple[tuple[tuple[int, str, str, str, bool], ...], dict[str, Any]]


def out_spec_of(op_def: Any) -> _OutSpec:
    args = tuple(
        (a.type, a.type_attr, a.number_attr, a.type_list_attr, a.is_ref) for a in op_def.output_arg
    )
    defaults = {a.name: a.default_value for a in op_def.attr if a.HasField("default_value")}
    return args, defaults


@functools.cache
def _registry_spec(op_type: str) -> _OutSpec | None:
    op_def = registered_op_def(op_type)
    return None if op_def is None else out_spec_of(op_def)


def _output_dtypes(spec: _OutSpec, attr: Any) -> list[int]:
    args, defaults = spec
    out: list[int] = []
    for typ, type_attr, number_attr, list_attr, is_ref in args:
        if list_attr:
            a = attr.get(list_attr) or defaults.get(list_attr)
            types = list(a.list.type) if a is not None else []
        else:
            t = typ
            if not t:
                a = attr.get(type_attr) or defaults.get(type_attr)
                t = a.type if a is not None else 0
            n = 1
            if number_attr:
                a = attr.get(number_attr) or defaults.get(number_attr)
                n = a.i if a is not None else 0
            types = [t] * n
        if is_ref:
            types = [t + 100 if 0 < t < 100 else t for t in types]
        out.extend(types)
    return out


def _reader_for(spec: _OutSpec) -> Any:
    """A fast ``fn(node) -> output dtype enums`` for one op type."""
    args, defaults = spec
    if all(typ and not number_attr and not list_attr for typ, _, number_attr, list_attr, _ in args):
        fixed = tuple(_output_dtypes(spec, {}))
        return lambda node: fixed
    if len(args) == 1 and args[0][1] and not args[0][2] and not args[0][3]:
        type_attr, is_ref = args[0][1], args[0][4]
        default = defaults.get(type_attr)

        def read_one(node: NodeDef) -> tuple[int, ...]:
            a = node.attr.get(type_attr) or default
            t = a.type if a is not None else 0
            return (t + 100,) if is_ref and 0 < t < 100 else (t,)

        return read_one
    return lambda node: tuple(_output_dtypes(spec, node.attr))


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: building 100k small objects in a process that holds a
    large heap (an imported TF graph) otherwise spends most of its time in collections."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def output_dtypes(index: GraphIndex, fn_specs: dict[str, _OutSpec]) -> list[tuple[int, ...]]:
    """Each top-level op's output dtype enums, in graph order; ``-1`` per output of an op type
    TensorFlow does not register (counted from ``_output_shapes`` or what the graph reads)."""
    dtypes: list[tuple[int, ...]] = []
    readers: dict[str, Any] = {}
    unregistered: dict[str, int] = {}
    for i, n in enumerate(index.node_list):
        if (op := n.op) not in readers:
            spec = _registry_spec(op) or fn_specs.get(op)
            readers[op] = None if spec is None else _reader_for(spec)
        if (reader := readers[op]) is None:
            unregistered[n.name] = i
            dtypes.append(())
        else:
            dtypes.append(reader(n))
    count = {}  # unregistered op -> its outputs (at least one: a sink is a model output)
    for name, i in unregistered.items():
        recorded = index.node_list[i].attr.get("_output_shapes")
        count[name] = len(recorded.list.shape) if recorded is not None else 1
    for key in index.data_by_input if count else ():
        op, _, idx = tensor_name(key).rpartition(":")
        if op in count and idx.isdigit():
            count[op] = max(count[op], int(idx) + 1)
    for name, i in unregistered.items():
        dtypes[i] = (-1,) * count[name]
    return dtypes


def glob_to_regex(glob: str) -> str:
    """A whole-name glob as a MULTILINE regex that never crosses a newline."""
    out = ["^"]
    i = 0
    while i < len(glob):
        c = glob[i]
        if c == "*":
            out.append("[^\n]*")
        elif c == "?":
            out.append("[^\n]")
        elif c == "[":
            j = glob.find("]", i + 2)
            if j < 0:
                out.append(re.escape(c))
            else:
                body = glob[i + 1 : j]
                neg = body.startswith("!")
                body = body[1:] if neg else body
                body = body.replace("\\", "\\\\").replace("^", "\\^")
                out.append(f"[^{body}\n]" if neg else f"[{body}]")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    out.append("$")
    return "".join(out)


def attr_summary(value: Any) -> str:
    """A short readable form of an ``AttrValue`` (no tensor contents beyond scalars)."""
    kind = value.WhichOneof("value")
    if kind == "s":
        s = value.s.decode("utf-8", "replace")
        if "\ufffd" in s or not s.isprintable():  # not UTF-8 text
            return f"<{len(value.s)} bytes>"
        return s if len(s) <= 60 else s[:57] + "..."
    if kind in ("i", "f", "b", "type", "shape", "tensor", "func"):
        return _LIST_ITEM.get(kind, str)(getattr(value, kind))
    if kind == "placeholder":
        return f"${value.placeholder}"
    if kind == "list":
        for sub in ("s", "i", "f", "b", "type", "shape", "tensor", "func"):
            if items := list(getattr(value.list, sub)):
                shown = [_LIST_ITEM.get(sub, str)(x) for x in items[:8]]
                more = f", ... ({len(items)} items)" if len(items) > 8 else ""
                return "[" + ", ".join(shown) + more + "]"
        return "[]"
    return ""


def _tensor_summary(t: Any) -> str:
    shape = shape_of(t.tensor_shape)
    value = scalar_value(t) if shape == () else None
    return f"{dtype_name(t.dtype)}{shape_text(shape)}" + (
        f" = {value}" if value is not None else ""
    )


def scalar_value(t: Any) -> str | None:
    """The value of a scalar TensorProto as text, or ``None`` when it is not readable cheaply."""
    for field_name in ("float_val", "double_val", "int_val", "int64_val", "bool_val", "half_val"):
        vals = getattr(t, field_name)
        if len(vals):
            return str(vals[0])
    if len(t.string_val):
        s = t.string_val[0].decode("utf-8", "replace")
        return repr(s if len(s) <= 40 else s[:37] + "...")
    if t.tensor_content and dtype_name(t.dtype) in _NUMPY_TYPES:
        import numpy as np

        dtype = np.dtype(dtype_name(t.dtype)).newbyteorder("<")
        if len(t.tensor_content) != dtype.itemsize:  # one scalar, else broken or not a scalar
            return None
        return str(np.frombuffer(t.tensor_content, dtype=dtype)[0].item())
    return None


_LIST_ITEM: dict[str, Callable[[Any], str]] = {
    "s": lambda x: x.decode("utf-8", "replace"),
    "type": dtype_name,
    "shape": lambda x: shape_text(shape_of(x)),
    "tensor": _tensor_summary,
    "func": lambda x: x.name,
}  # attr kind -> how one value (of a list too) reads

# Types whose ``tensor_content`` numpy reads (little-endian, as TensorFlow writes it).
_NUMPY_NAMES = "float32 float64 int32 uint8 int16 int8 complex64 int64 bool uint16 complex128"
_NUMPY_TYPES = frozenset([*_NUMPY_NAMES.split(), "float16", "uint32", "uint64"])
