"""Where a path input of an op comes from, read off the graph alone (:class:`Tracer`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from explorer.graph.index import function_calls, graph_index
from explorer.graph.names import data_inputs, op_name
from explorer.graph.op_families import (
    ANY_INPUT_OPS,
    CALL_OPS,
    IF_OPS,
    INPUT_OPS,
    PATH_PASS_OPS,
    WHILE_OPS,
)
from explorer.graph.run_scope import init_ops
from explorer.inspection.findings import NodeRef, ScanContext

if TYPE_CHECKING:
    from tensorflow.core.framework.node_def_pb2 import NodeDef


@dataclass(frozen=True)
class Source:
    """One value a path input can take: ``const``, ``asset`` (its file), ``saver`` (its filename
    tensor plus ``text``), ``unknown`` (``text``: why) or ``uncalled`` (never runs)."""

    kind: str
    text: str = ""


_MAX_STEPS = 200
_MAX_VALUES = 16


def _capped(values: list[Source]) -> list[Source]:
    """At most :data:`_MAX_VALUES` values, one ``unknown`` standing for any more."""
    if len(values) <= _MAX_VALUES:
        return values
    return [*values[: _MAX_VALUES - 1], Source("unknown", "among too many possible values")]


class Tracer:
    """Traces string tensors of the graph and its functions; one per scan context."""

    def __init__(self, ctx: ScanContext) -> None:
        self.ctx = ctx
        self.index = graph_index(ctx.graph_def)
        self.top = self.index.nodes
        self.functions = self.index.functions
        self.assets = {k.partition(":")[0]: v for k, v in ctx.model.assets.items()}
        filename = ctx.model.filename_tensor or ""
        self.filename_op = filename.partition(":")[0]
        self.gradients = {g.gradient_func for g in ctx.graph_def.library.gradient}
        self._callers: dict[str, list[tuple[NodeDef, str | None, int]]] | None = None
        self._init_only: set[str] | None = None
        self._fed = False  # tracing for an op only init runs: asset tensors hold their files

    def init_only(self, name: str) -> bool:
        """Whether op ``name`` runs only with the init ops (assets fed), never for an output."""
        if self._init_only is None:
            model = self.ctx.model
            outputs = [t.name for s in model.signatures.values() for t in s.outputs.values()]
            fed = [model.filename_tensor] if model.filename_tensor else []
            init = self.index.upstream(init_ops(model), fed=fed)
            self._init_only = init - self.index.upstream([op_name(t) for t in outputs])
        return name in self._init_only

    def callers(self, fname: str) -> list[tuple[NodeDef, str | None, int]]:
        """(calling node, its function or None, offset of the first argument) for ``fname``."""
        if self._callers is None:
            out: dict[str, list[tuple[NodeDef, str | None, int]]] = {}
            scopes: list[tuple[str | None, NodeDef]] = [(None, n) for n in self.index.node_list]
            for f in self.ctx.graph_def.library.function:
                scopes.extend((f.signature.name, n) for n in f.node_def)
            for scope, node in scopes:
                for k, name in enumerate(function_calls(node, self.functions)):
                    offset = 1 if node.op in IF_OPS else 0
                    if k == 0 and name == node.op:
                        offset = 0  # a direct call: the node's inputs are the arguments
                    elif node.op not in CALL_OPS | IF_OPS | WHILE_OPS:
                        offset = -1  # called by a dataset or other op: args unknown
                    out.setdefault(name, []).append((node, scope, offset))
            self._callers = out
        return self._callers.get(fname, [])

    def trace(self, ref: NodeRef, input_index: int) -> list[Source]:
        inputs = data_inputs(ref.node)
        if input_index >= len(inputs):
            return [Source("unknown", "from an input the op lacks")]
        fname = ref.function.signature.name if ref.function is not None else None
        return self.values(inputs[input_index], fname, ref.name)

    def values(self, tensor: str, fname: str | None, door: str) -> list[Source]:
        """The values ``tensor`` (in function ``fname`` or the graph) takes for the op ``door``."""
        self._fed = fname is None and self.init_only(door)
        return _capped(self._values(tensor, fname, set()))

    def _values(self, tensor: str, fname: str | None, seen: set[tuple[str | None, str]]) -> list:
        name = tensor.lstrip("^").partition(":")[0]
        key = (fname, name)
        if key in seen or len(seen) > _MAX_STEPS:
            return [Source("unknown", "from a loop or a deep expression")]
        seen = seen | {key}
        nodes = self.top if fname is None else self.index.function_nodes(fname)
        if fname is not None and name not in nodes:
            return self._argument(fname, name, seen)
        if (node := nodes.get(name)) is None:
            return [Source("unknown", f"from {name!r}, not in the graph")]
        if fname is None and name == self.filename_op:
            return [Source("saver")]
        ins = data_inputs(node)
        value = node.attr["value"].tensor.string_val if "value" in node.attr else []
        strings = [s.decode("utf-8", "replace") for s in value]
        if fname is None and name in self.assets:  # fed its file on init; its own value else
            asset = [Source("asset", self.assets[name])]
            return asset if self._fed else [*asset, *(Source("const", s) for s in strings)]
        if node.op == "Const":
            return [Source("const", s) for s in strings] or [
                Source("unknown", "from a non-string constant")
            ]
        if node.op in PATH_PASS_OPS and ins:
            return self._values(ins[0], fname, seen)
        if node.op in ANY_INPUT_OPS:
            parts = ins[1:] if node.op in ("Select", "SelectV2") else ins
            out = []
            for i in parts:
                out.extend(self._values(i, fname, seen))
            return _capped(out)
        if node.op == "StringJoin":
            return self._join(node, ins, fname, seen)
        if node.op in INPUT_OPS:
            return [Source("unknown", f"fed through {name!r} at run time")]
        return [Source("unknown", f"computed by {node.op} {name!r} at run time")]

    def _join(self, node: NodeDef, ins: list[str], fname: str | None, seen: set) -> list[Source]:
        sep = (
            node.attr["separator"].s.decode("utf-8", "replace") if "separator" in node.attr else ""
        )
        if not (parts := [self._values(i, fname, seen) for i in ins]):
            return [Source("const", "")]
        first, rest = parts[0], parts[1:]
        if any(s.kind != "const" for p in rest for s in p):
            return [Source("unknown", "joined at run time")]
        suffixes = [""]
        for p in rest:  # every combination (a Saver selects between two suffixes)
            suffixes = [a + sep + s.text for a in suffixes for s in p]
            if len(suffixes) > _MAX_VALUES:
                return [Source("unknown", "joined from too many possible values")]
        out = []
        for s in first:
            if s.kind in ("const", "saver"):
                out.extend(Source(s.kind, s.text + suffix) for suffix in suffixes)
            elif s.kind == "asset" and suffixes != [""]:  # then a path like any other
                out.extend(Source("const", s.text + suffix) for suffix in suffixes)
            else:
                out.append(s)
        return _capped(out)

    def _elements(self, node: NodeDef, scope: str | None, seen: set) -> list[Source]:
        """What a dataset op passes its function: its input dataset's constant elements."""
        nodes = self.top if scope is None else self.index.function_nodes(scope)
        ins = data_inputs(node)
        src = nodes.get(ins[0].partition(":")[0]) if ins and node.op.endswith("Dataset") else None
        if src is not None and src.op in ("TensorSliceDataset", "TensorDataset"):
            out: list[Source] = []
            for i in data_inputs(src):
                out.extend(self._values(i, scope, seen))
            return out
        return [Source("unknown", f"from an element of {node.op} {node.name!r}")]

    def _argument(self, fname: str, arg: str, seen: set) -> list[Source]:
        fn = self.functions[fname]
        names = [a.name for a in fn.signature.input_arg]
        if arg not in names:
            return [Source("unknown", f"from {arg!r}, not in function {fname}")]
        calls = self.callers(fname)
        if not calls and fname in self.gradients:  # called by the runtime, arguments unknown
            return [Source("unknown", f"from argument {arg!r} of gradient {fname}")]
        if not calls:
            return [Source("uncalled")]
        out: list[Source] = []
        for node, scope, offset in calls:
            if offset < 0:
                out.extend(self._elements(node, scope, seen))
                continue
            ins = data_inputs(node)
            k = names.index(arg) + offset
            if k >= len(ins):
                out.append(Source("unknown", f"from argument {arg!r} of {fname}"))
                continue
            fed = self._fed
            if scope is None:  # the top-level call decides whether the loader feeds assets
                self._fed = self.init_only(node.name)
            out.extend(self._values(ins[k], scope, seen))
            self._fed = fed
        return _capped(out)


def tracer_of(ctx: ScanContext) -> Tracer:
    if (t := getattr(ctx, "_file_door_tracer", None)) is None:
        t = Tracer(ctx)
        ctx._file_door_tracer = t  # type: ignore[attr-defined]
    return t
