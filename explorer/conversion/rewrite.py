"""The ref -> resource variable rewrite (:func:`to_resource_variables`): TF2 refuses ``float_ref``
tensors and ``wrap_function`` lifts no reference variable. ``VariableV2`` becomes ``VarHandleOp``,
its users their resource counterparts (:data:`REWRITES`): an update ``<name>/resource_update``
then a read keeping the name (TF1 updates return the new value), any other reader its own read."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from explorer.errors import ConversionError
from explorer.graph.names import data_inputs, op_name
from explorer.graph.op_families import (
    REF_APPLY_OPS,
    REF_ASSIGN_OPS,
    REF_SCATTER_OPS,
    REF_VARIABLE_OPS,
)
from explorer.graph.registry import OpRegistry
from explorer.loading.model import VARIABLE_COLLECTIONS, meta_graph_with, variable_defs

if TYPE_CHECKING:
    from tensorflow.core.framework.graph_pb2 import GraphDef
    from tensorflow.core.framework.node_def_pb2 import NodeDef
    from tensorflow.core.protobuf.meta_graph_pb2 import MetaGraphDef

_REF_OFFSET = 100  # DT_FLOAT_REF = DT_FLOAT + 100, etc.

RewriteFn = Callable[["RewriteContext", "NodeDef"], list["NodeDef"]]

REWRITES: OpRegistry[RewriteFn] = OpRegistry("variable rewrite")
"""Op type -> function(ctx, node) returning the NodeDefs that replace ``node``."""
rewrites = REWRITES.register  # @rewrites(*op_types): the rewrite of those ops reading a ref


@dataclass
class RewriteContext:
    """What a rewrite function needs: the variables, the taken names, the nodes being emitted."""

    variables: dict[str, NodeDef]  # ref variable op name -> original NodeDef
    names: set[str]
    path: str = "the graph"
    rewritten: dict[str, str] = field(default_factory=dict)  # node name -> new op type
    # tensor "op:idx" -> variable, for references forwarded by v1 control flow (RefSwitch, …)
    handles: dict[str, str] = field(default_factory=dict)

    def var_of(self, inp: str) -> str | None:
        """The variable input ``inp`` refers to (``var:0``, or a forwarding ``cond/Switch:1``)."""
        if inp.startswith("^"):
            return None
        op, _, idx = inp.partition(":")
        own = op in self.variables and idx in ("", "0")
        return op if own else self.handles.get(f"{op}:{idx or 0}")

    def forward_handles(self, nodes: list[NodeDef]) -> None:
        """Record the outputs of ops forwarding a variable's reference (:data:`REF_FORWARDS`)."""
        forwards = [n for n in nodes if n.op in REF_FORWARDS]
        changed = True
        while changed:
            changed = False
            for n in (n for n in forwards if f"{n.name}:0" not in self.handles):
                data = data_inputs(n)
                sources = data if n.op == "RefMerge" else data[:1]
                if var := next(filter(None, map(self.var_of, sources)), None):
                    outs = range(REF_FORWARDS[n.op][1])
                    self.handles.update({f"{n.name}:{i}": var for i in outs})
                    changed = True

    def dtype_of(self, var: str) -> int:
        return self.variables[var].attr["dtype"].type

    def unique(self, base: str) -> str:
        name, i = base, 1
        while name in self.names:
            name = f"{base}_{i}"
            i += 1
        self.names.add(name)
        return name

    def read(
        self, var: str, consumer: NodeDef, name: str | None = None, handle: str | None = None
    ) -> NodeDef:
        """A ``ReadVariableOp`` of ``var`` (or of forwarded ``handle``), ``consumer``'s controls."""
        own = name if name is not None else self.unique(f"{consumer.name}/read_{var}")
        node = _new_node("ReadVariableOp", own, consumer)
        node.input.extend([handle or var, *(i for i in consumer.input if i.startswith("^"))])
        node.attr["dtype"].type = self.dtype_of(var)
        return node

    def split_inputs(self, node: NodeDef) -> tuple[list[str], list[NodeDef]]:
        """(``node``'s inputs with variables at value args replaced by reads, the reads to emit)."""
        ref_args = ref_input_flags(node)
        new_inputs, extra = [], []
        for i, inp in enumerate(node.input):
            if (var := self.var_of(inp)) is None or (i < len(ref_args) and ref_args[i]):
                new_inputs.append(inp)
            else:
                extra.append(self.read(var, node, handle=inp))
                new_inputs.append(extra[-1].name)
        return new_inputs, extra


def ref_input_flags(node: NodeDef) -> list[bool]:
    """For each data input of ``node``, whether its OpDef argument is a reference (``is_ref``)."""
    from tensorflow.python.framework import op_def_registry

    if (op_def := op_def_registry.get(node.op)) is None:
        return []
    flags: list[bool] = []
    for arg in op_def.input_arg:
        n = node.attr[arg.number_attr].i if arg.number_attr else 1
        n = len(node.attr[arg.type_list_attr].list.type) if arg.type_list_attr else n
        flags.extend([arg.is_ref] * n)
    return flags


def _new_node(op: str, name: str, like: NodeDef) -> NodeDef:
    from tensorflow.core.framework import node_def_pb2

    node = node_def_pb2.NodeDef(op=op, name=name, device=like.device)
    if "_class" in like.attr:
        node.attr["_class"].CopyFrom(like.attr["_class"])
    return node


def _copy_attrs(src: NodeDef, dst: NodeDef, rename: dict[str, str] | None = None) -> None:
    """Copy the attrs ``dst``'s OpDef declares from ``src`` (``rename`` maps src -> dst names)."""
    from tensorflow.python.framework import op_def_registry

    op_def = op_def_registry.get(dst.op)
    wanted = {a.name for a in op_def.attr} if op_def is not None else set()
    for key, value in src.attr.items():
        if (target := (rename or {}).get(key, key)) in wanted:
            dst.attr[target].CopyFrom(value)


@rewrites("VariableV2", "Variable")
def _variable(ctx: RewriteContext, node: NodeDef) -> list[NodeDef]:
    out = _new_node("VarHandleOp", node.name, node)
    out.attr["dtype"].type = node.attr["dtype"].type
    out.attr["shape"].CopyFrom(node.attr["shape"])
    out.attr["container"].s = node.attr["container"].s if "container" in node.attr else b""
    shared = node.attr["shared_name"].s if "shared_name" in node.attr else b""
    out.attr["shared_name"].s = shared or node.name.encode()
    out.input.extend(i for i in node.input if i.startswith("^"))
    return [out]


@rewrites("Identity")
def _identity(ctx: RewriteContext, node: NodeDef) -> list[NodeDef]:
    if (var := ctx.var_of(node.input[0])) is None:  # reads another ref-producing op: as it is
        return [node]
    return [ctx.read(var, node, name=node.name, handle=node.input[0])]


# v1 control-flow op on a reference -> (its resource counterpart, number of forwarded outputs)
REF_FORWARDS = {
    "RefSwitch": ("Switch", 2),
    "RefEnter": ("Enter", 1),
    "RefExit": ("Exit", 1),
    "RefMerge": ("Merge", 1),  # output 1 is the value_index, not a reference
    "RefNextIteration": ("NextIteration", 1),
    "RefIdentity": ("Identity", 1),
}
_DT_RESOURCE = 20
# Op -> the resource op taking the same inputs (and the attrs it declares).
_SAME_INPUTS = {
    **{op: resource_op for op, (resource_op, _) in REF_FORWARDS.items()},
    "IsVariableInitialized": "VarIsInitializedOp",
    "CountUpTo": "ResourceCountUpTo",
}


@rewrites(*_SAME_INPUTS)
def _same_inputs(ctx: RewriteContext, node: NodeDef) -> list[NodeDef]:
    """``RefSwitch(var)`` -> ``Switch(handle)`` etc.: the handle flows where the reference did."""
    out = _new_node(_SAME_INPUTS[node.op], node.name, node)
    out.input.extend(node.input)
    _copy_attrs(node, out)
    if node.op in REF_FORWARDS:
        out.attr["T"].type = _DT_RESOURCE
    return [out]


# Update op -> its resource counterpart: assigns, training ops and scatters (Resource + name).
UPDATE_OPS = {
    **{op: f"{op}VariableOp" for op in sorted(REF_ASSIGN_OPS)},
    **{op: f"Resource{op}" for op in sorted(REF_APPLY_OPS | REF_SCATTER_OPS)},
}


@rewrites(*UPDATE_OPS)
def _update(ctx: RewriteContext, node: NodeDef) -> list[NodeDef]:
    """The resource op as ``<name>/resource_update``, then a read named ``node.name`` after it."""
    resource_op = UPDATE_OPS[node.op]
    inputs, extra = ctx.split_inputs(node)
    if (var := ctx.var_of(node.input[0])) is None:
        raise ConversionError(
            f"{ctx.path}: {node.op} node {node.name!r} updates {node.input[0]!r}, which is not a "
            "variable: convert with freeze=True or export the graph with resource variables"
        )
    update = _new_node(resource_op, ctx.unique(f"{node.name}/resource_update"), node)
    update.input.extend(inputs)
    scatter = node.op.startswith("Scatter") and not node.op.startswith("ScatterNd")
    _copy_attrs(node, update, {"T": "dtype"} if scatter else None)
    if node.op in REF_ASSIGN_OPS:
        update.attr["dtype"].type = ctx.dtype_of(var)
    read = ctx.read(var, node, name=node.name, handle=node.input[0])
    # the read's control inputs are the update's: keep only the edge on the update
    read.input[1:] = [f"^{update.name}"]
    ctx.rewritten[node.name] = resource_op
    return [*extra, update, read]


def _generic(ctx: RewriteContext, node: NodeDef) -> list[NodeDef]:
    """Any other consumer: each variable fed to a value input gets its own read."""
    flags = ref_input_flags(node)
    for i, inp in enumerate(node.input):
        if ctx.var_of(inp) is not None and i < len(flags) and flags[i]:
            raise ConversionError(
                f"{ctx.path}: op {node.name!r} ({node.op}) needs the reference variable "
                f"{inp!r} and has no resource rewrite: convert with freeze=True, or register one "
                "with explorer.extend.rewrite"
            )
    inputs, extra = ctx.split_inputs(node)
    out = copy.deepcopy(node)
    out.input[:] = inputs
    return [*extra, out]


@dataclass
class RewriteResult:
    graph_def: GraphDef
    meta_graph: MetaGraphDef | None  # None for a bare GraphDef
    variables: list[str]  # rewritten variable names
    updates: dict[str, str]  # original update node -> resource op type


def to_resource_variables(
    graph_def: GraphDef, meta_graph: MetaGraphDef | None = None, path: str = "the graph"
) -> RewriteResult:
    """Copies of ``graph_def`` and ``meta_graph`` with reference variables rewritten (VariableDefs
    ``is_resource``, no ``_ref`` signature dtypes); ``path`` for messages."""
    from tensorflow.core.framework import graph_pb2

    variables = {n.name: n for n in graph_def.node if n.op in REF_VARIABLE_OPS}
    ctx = RewriteContext(variables=variables, names={n.name for n in graph_def.node}, path=path)
    ctx.forward_handles(list(graph_def.node))
    out = graph_pb2.GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    out.library.CopyFrom(graph_def.library)
    for node in graph_def.node:
        touches = node.op in REF_VARIABLE_OPS or any(ctx.var_of(i) for i in node.input)
        for new in REWRITES.get(node.op, _generic)(ctx, node) if touches else [node]:
            out.node.add().CopyFrom(new)
    mg = meta_graph_with(meta_graph, out)
    if mg is not None:  # VariableDefs of resource variables, no ``_ref`` signature dtypes
        for key in VARIABLE_COLLECTIONS:
            for i, vd in enumerate(variable_defs(mg, key)):
                if op_name(vd.variable_name) in variables:
                    vd.is_resource = True
                    mg.collection_def[key].bytes_list.value[i] = vd.SerializeToString()
        for sig in mg.signature_def.values():
            for infos in (sig.inputs, sig.outputs):
                for info in infos.values():
                    if info.dtype > _REF_OFFSET:
                        info.dtype -= _REF_OFFSET
    return RewriteResult(out, mg, sorted(variables), dict(ctx.rewritten))
