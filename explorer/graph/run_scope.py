"""What will run for chosen outputs: their dependencies, not past fed tensors, and calls."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from explorer.graph.index import function_calls, graph_index
from explorer.graph.names import op_name

if TYPE_CHECKING:
    from tensorflow.core.framework.graph_pb2 import GraphDef


class SessionModel(Protocol):
    """What :func:`model_run_scope` reads of a :class:`~explorer.loading.model.V1Model`."""

    graph_def: GraphDef
    restore_op: str | None
    filename_tensor: str | None
    init_op: str | None

    def collection(self, key: str) -> list[str]: ...


@dataclass(frozen=True)
class RunScope:
    """Ops that will run and functions called; ``name in scope`` takes ``function::node``."""

    ops: frozenset[str]
    functions: frozenset[str]
    what: str = "the chosen outputs"

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        fn, sep, _ = name.partition("::")
        return fn in self.functions if sep else name in self.ops


def ops_that_run(
    graph_def: GraphDef,
    fetches: Iterable[str],
    feeds: Iterable[str] = (),
    what: str = "the chosen outputs",
) -> RunScope:
    """The :class:`RunScope` of fetching ``fetches`` with ``feeds`` fed."""
    index = graph_index(graph_def)
    seen = {n for n in index.upstream(fetches, fed=feeds) if n in index.nodes}
    return RunScope(frozenset(seen), called_functions(graph_def, seen), what)


def called_functions(graph_def: GraphDef, op_names: Iterable[str]) -> frozenset[str]:
    """Library functions the given ops call, transitively, with the gradients they register."""
    index = graph_index(graph_def)
    library, nodes = index.functions, index.nodes
    if not library:
        return frozenset()
    gradients = {g.function_name: g.gradient_func for g in graph_def.library.gradient}
    found: set[str] = set()
    todo = [fn for name in op_names if name in nodes for fn in function_calls(nodes[name], library)]
    while todo:
        fn = todo.pop()
        if fn in found or fn not in library:
            continue
        found.add(fn)
        if fn in gradients:
            todo.append(gradients[fn])
        for node in library[fn].node_def:
            todo.extend(function_calls(node, library))
    return frozenset(found)


def union(scopes: Iterable[RunScope], what: str) -> RunScope:
    """What runs when each of ``scopes`` runs (several signatures, each with its own feeds)."""
    scopes = list(scopes)
    ops = frozenset().union(*(s.ops for s in scopes))
    return RunScope(ops, frozenset().union(*(s.functions for s in scopes)), what)


INIT_COLLECTIONS = ("saved_model_main_op", "legacy_init_op", "main_op", "init_op")


def init_ops(model: SessionModel) -> list[str]:
    """Every op a loader may run to initialise ``model`` (init op, fallbacks, tables)."""
    names = [model.init_op or ""]
    for key in (*INIT_COLLECTIONS, "table_initializer"):
        names.extend(model.collection(key))
    nodes = graph_index(model.graph_def).nodes
    return sorted({op_name(n) for n in [*names, "init_all_tables"] if op_name(n) in nodes})


def model_run_scope(
    model: SessionModel,
    fetches: Iterable[str],
    feeds: Iterable[str] = (),
    what: str = "the chosen outputs",
) -> RunScope:
    """:func:`ops_that_run` with the model's restore op and every :func:`init_ops`."""
    restore = [model.restore_op] if model.restore_op else []
    filename = [model.filename_tensor] if model.filename_tensor else []
    main = ops_that_run(model.graph_def, fetches, feeds, what=what)
    side = ops_that_run(model.graph_def, [*restore, *init_ops(model)], filename)
    return union([main, side], what)
