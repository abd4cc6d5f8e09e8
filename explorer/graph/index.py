"""The one index of a GraphDef (:func:`graph_index`) and the walks over it: what runs for chosen
outputs (:class:`RunScope`), random or stateful ops upstream, racy reads, control-flow frames."""

from __future__ import annotations

import heapq
import math
import struct
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from explorer.graph.names import data_inputs, op_name, tensor_name
from explorer.graph.op_families import (
    CONTROL_FLOW_BACK_EDGE_OPS,
    CONTROL_FLOW_ENTRY_OPS,
    CONTROL_FLOW_EXIT_OPS,
    PASS_THROUGH_OPS,
    RANDOM_OPS,
    STATE_CHANGING_PREFIXES,
    V1_CONTROL_FLOW_OPS,
    VARIABLE_OPS,
)

if TYPE_CHECKING:
    import numpy as np
    from tensorflow.core.framework.function_pb2 import FunctionDef
    from tensorflow.core.framework.graph_pb2 import GraphDef
    from tensorflow.core.framework.node_def_pb2 import NodeDef

Consumer = tuple["NodeDef", int]  # (consuming node, position of the input in node.input)


class GraphIndex:
    """Nodes, producers, consumers and functions of a GraphDef's top level, built on use."""

    def __init__(self, graph_def: GraphDef) -> None:
        self.graph_def = graph_def
        self.node_list: list[NodeDef] = list(graph_def.node)
        self.names = [n.name for n in self.node_list]
        self.types = [n.op for n in self.node_list]
        self.data_by_input: dict[str, list[int]] = {}
        self.control_by_op: dict[str, list[int]] = {}
        for i, n in enumerate(self.node_list):
            for s in n.input:
                if s[0] == "^":
                    self.control_by_op.setdefault(s[1:], []).append(i)
                else:
                    self.data_by_input.setdefault(s, []).append(i)
        self.position: dict[str, int] = {name: i for i, name in enumerate(self.names)}

    @cached_property
    def nodes(self) -> dict[str, NodeDef]:
        return dict(zip(self.names, self.node_list))

    def producer(self, ref: str) -> NodeDef | None:
        """The node producing a tensor or named by an input string (``^a``, ``a:1``), or None."""
        i = self.position.get(op_name(ref))
        return None if i is None else self.node_list[i]

    def source(self, ref: str, through: frozenset[str] = PASS_THROUGH_OPS) -> NodeDef | None:
        """The node ``ref`` comes from, back through input 0 of ``through`` ops, or ``None``."""
        node, seen = self.producer(ref), set()
        while node is not None and node.op in through and node.input and node.name not in seen:
            seen.add(node.name)
            node = self.producer(node.input[0])
        return node

    def const(self, ref: str, through: frozenset[str] = PASS_THROUGH_OPS) -> np.ndarray | None:
        """The value of the ``Const`` behind ``ref`` (see :meth:`source`), else ``None``."""
        node = self.source(ref, through)
        if node is None or node.op != "Const" or "value" not in node.attr:
            return None
        from tensorflow.python.framework import tensor_util

        return tensor_util.MakeNdarray(node.attr["value"].tensor)

    def ints(self, ref: str, through: frozenset[str] = PASS_THROUGH_OPS) -> list[int] | None:
        """:func:`const_ints` of the node behind ``ref`` (see :meth:`source`), without numpy."""
        return const_ints(self.source(ref, through))

    @cached_property
    def consumers(self) -> dict[str, list[Consumer]]:
        """Tensor name (``a:0``) -> (consumer node, input position), data edges, graph order."""
        out: dict[str, list[Consumer]] = {}
        for n in self.node_list:
            for pos, s in enumerate(data_inputs(n)):
                out.setdefault(s, []).append((n, pos))
        return out

    def readers(
        self, tensor: str, through: frozenset[str], hops: int = 8, input0_only: bool = False
    ) -> Iterator[Consumer]:
        """Data consumers of ``tensor``, then those of the ``through`` ops among them (``hops``)."""
        frontier = [tensor_name(tensor)]
        seen = set(frontier)
        consumers = self.consumers
        for _ in range(hops):
            nxt = []
            for t in frontier:
                for node, pos in consumers.get(t, ()):
                    yield node, pos
                    out = f"{node.name}:0"
                    if node.op in through and (pos == 0 or not input0_only) and out not in seen:
                        seen.add(out)
                        nxt.append(out)
            frontier = nxt

    def function_consumers(self, function: str) -> dict[str, list[Consumer]]:
        """Inside a library function: node name -> (consumer, input position), data edges."""
        cache = self.__dict__.setdefault("_function_consumers", {})
        if function not in cache:
            cache[function] = {}
            for n in self.functions[function].node_def:
                for pos, s in enumerate(data_inputs(n)):
                    cache[function].setdefault(op_name(s), []).append((n, pos))
        return cache[function]

    @cached_property
    def data_consumers(self) -> dict[str, list[NodeDef]]:
        """Op name -> nodes reading any of its outputs (data edges), one entry per edge."""
        out: dict[str, list[NodeDef]] = {}
        for key, ids in self.data_by_input.items():
            out.setdefault(op_name(key), []).extend(self.node_list[i] for i in ids)
        return out

    @cached_property
    def op_consumers(self) -> dict[str, list[NodeDef]]:
        """Op name -> nodes reading its outputs or waiting on it, one entry per edge."""
        out = {op: list(readers) for op, readers in self.data_consumers.items()}
        for op, ids in self.control_by_op.items():
            out.setdefault(op, []).extend(self.node_list[i] for i in ids)
        return out

    def downstream(
        self, ops: Iterable[str], control: bool = True, excluded: Collection[str] = ()
    ) -> set[str]:
        """Names of the ops depending on ``ops`` (included), never through an ``excluded`` op."""
        after = self.op_consumers if control else self.data_consumers
        seen: set[str] = set()
        todo = [op_name(o) for o in ops]
        while todo:
            name = todo.pop()
            if name in seen or name in excluded or name not in self.position:
                continue
            seen.add(name)
            todo.extend(n.name for n in after.get(name, ()))
        return seen

    @cached_property
    def functions(self) -> dict[str, FunctionDef]:
        return {f.signature.name: f for f in self.graph_def.library.function}

    def function_nodes(self, function: str) -> dict[str, NodeDef]:
        """Node name -> NodeDef inside a library function (cached per function)."""
        cache = self.__dict__.setdefault("_function_nodes", {})
        if function not in cache:
            cache[function] = {n.name: n for n in self.functions[function].node_def}
        return cache[function]

    def upstream(
        self,
        ops: Iterable[str],
        control: bool = True,
        fed: Iterable[str] = (),
        excluded: Collection[str] = (),
    ) -> set[str]:
        """Names of the ops ``ops`` depend on (included), not past ``fed`` nor into ``excluded``."""
        cut = {tensor_name(f) for f in fed}
        nodes = self.nodes
        seen: set[str] = set()
        stack = [op_name(o) for o in ops if ":" not in o or tensor_name(o) not in cut]
        while stack:
            name = stack.pop()
            if name in seen or name in excluded:
                continue
            seen.add(name)
            node = nodes.get(name)
            for inp in node.input if node is not None else ():
                if inp[0] == "^":
                    if control:
                        stack.append(inp[1:])
                elif tensor_name(inp) not in cut:
                    stack.append(op_name(inp))
        return seen

    def topological_order(self, subset: set[str] | None = None) -> list[str]:
        """Op names in topological order (ties in GraphDef order; cycles last)."""
        nodes = [n for n in self.node_list if subset is None or n.name in subset]
        index = {n.name: i for i, n in enumerate(nodes)}
        indegree = dict.fromkeys(index, 0)
        after: dict[str, list[str]] = {}
        for n in nodes:
            for inp in {op_name(i) for i in n.input}:
                if inp in index and inp != n.name:
                    indegree[n.name] += 1
                    after.setdefault(inp, []).append(n.name)
        ready = [index[n] for n, d in indegree.items() if d == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            name = nodes[heapq.heappop(ready)].name
            order.append(name)
            for c in after.get(name, []):
                indegree[c] -= 1
                if indegree[c] == 0:
                    heapq.heappush(ready, index[c])
        done = set(order)
        order.extend(n.name for n in nodes if n.name not in done)
        return order


def const_ints(node: NodeDef) -> list[int] | None:
    """The values of an int32/int64 ``Const`` node (``None``: not one)."""
    if node is None or node.op != "Const" or "value" not in node.attr:
        return None
    if (t := node.attr["value"].tensor).dtype not in (3, 9):  # int32, int64
        return None
    count = math.prod(max(int(d.size), 0) for d in t.tensor_shape.dim)
    kind = "<i" if t.dtype == 3 else "<q"  # struct, not numpy: the scan stays numpy-free
    if t.tensor_content:  # packed little-endian, as TensorFlow writes them
        if len(t.tensor_content) % struct.calcsize(kind):
            return None
        values = [v for (v,) in struct.iter_unpack(kind, t.tensor_content)]
    else:
        values = [int(v) for v in (t.int_val if t.dtype == 3 else t.int64_val)]
    if values and len(values) < count:  # a splat: the last value fills the rest
        values += [values[-1]] * (count - len(values))
    return values if len(values) == count else None


def function_calls(
    node: NodeDef, functions: Mapping[str, FunctionDef], strings: bool = True
) -> list[str]:
    """The library functions ``node`` may call (by op type, attribute, or a naming string)."""
    out = [node.op]
    todo = list(node.attr.values())
    while todo:
        value = todo.pop()
        if value.HasField("func"):
            out.append(value.func.name)
            todo.extend(value.func.attr.values())
        out.extend(f.name for f in value.list.func)
        todo.extend(a for f in value.list.func for a in f.attr.values())
        if strings:
            out.extend(b.decode("utf-8", "replace") for b in [value.s, *value.list.s])
    return [f for f in dict.fromkeys(out) if f in functions]


_CACHE: dict[int, tuple[GraphDef, int, GraphIndex]] = {}
_CACHE_SIZE = 4


def graph_index(graph_def: GraphDef) -> GraphIndex:
    """The :class:`GraphIndex` of ``graph_def``, cached by identity and node count."""
    hit = _CACHE.get(id(graph_def))
    if hit is not None and hit[0] is graph_def and hit[1] == len(graph_def.node):
        return hit[2]
    index = GraphIndex(graph_def)
    _CACHE.pop(id(graph_def), None)
    while len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[id(graph_def)] = (graph_def, len(graph_def.node), index)
    return index


def _upstream_of_type(
    graph_def: GraphDef, ops: Iterable[str], test: Callable[[str], bool]
) -> list[str]:
    index = graph_index(graph_def)
    return sorted(o for o in index.upstream(ops) if o in index.nodes and test(index.nodes[o].op))


def random_ops_upstream(graph_def: GraphDef, ops: Iterable[str]) -> list[str]:
    """Stateful random ops that ``ops`` depend on, sorted."""
    return _upstream_of_type(graph_def, ops, RANDOM_OPS.__contains__)


def state_changing_upstream(graph_def: GraphDef, ops: Iterable[str]) -> list[str]:
    """Ops writing variables/tables that ``ops`` depend on (control edges included), sorted."""
    return _upstream_of_type(graph_def, ops, lambda op: op.startswith(STATE_CHANGING_PREFIXES))


def racy_reads(graph_def: GraphDef, outputs: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Outputs (key -> ops) reading a variable an unordered op of the same call writes."""
    index = graph_index(graph_def)
    ups = {key: index.upstream(ops) for key, ops in outputs.items()}
    writers = state_changing_upstream(graph_def, [o for ops in outputs.values() for o in ops])
    racy: dict[str, str] = {}
    for writer in writers:
        node = index.nodes[writer]
        var = index.source(node.input[0]) if node.input else None
        if var is None or var.op not in VARIABLE_OPS:
            continue
        after = index.upstream([writer])  # what the write waits for
        for key, up in ups.items():
            if key in racy or var.name not in up or writer in up:
                continue
            if not any(o in after for o in outputs[key]):  # the output is not computed first
                racy[key] = f"reads {var.name}, which {writer} updates in the same call"
    return racy


def control_flow_region(graph_def: GraphDef) -> set[str]:
    """Ops inside TF1 control-flow frames: downstream of Enter/Switch (data and control edges)
    up to Exit and a cond's Merge. A while loop's Merge (fed by NextIteration) is inside its
    frame: a Const waiting on it (``while/Greater/y``) runs once per iteration."""
    index = graph_index(graph_def)
    consumers = index.op_consumers
    region = {n.name for n in index.node_list if n.op in V1_CONTROL_FLOW_OPS}
    back_edges = {n.name for n in index.node_list if n.op in CONTROL_FLOW_BACK_EDGE_OPS}
    stack = [
        n.name
        for n in index.node_list
        if n.op in CONTROL_FLOW_ENTRY_OPS
        or (n.op in CONTROL_FLOW_EXIT_OPS and any(op_name(i) in back_edges for i in n.input))
    ]
    while stack:
        for c in consumers.get(stack.pop(), []):
            if c.name in region and c.op not in CONTROL_FLOW_ENTRY_OPS:
                continue
            if c.op in CONTROL_FLOW_EXIT_OPS:
                region.add(c.name)
                continue
            if c.name not in region:
                region.add(c.name)
                stack.append(c.name)
    return region


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
