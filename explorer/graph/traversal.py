"""Facts about a GraphDef that parity needs: what is upstream, what is random, what changes state.

Per-op knowledge is registered by op type, never in if-chains:

* :data:`RANDOM_OPS`: stateful random ops (different values on every run unless seeded and run
  from a fresh session); their ``seed``/``seed2`` attributes seed them. This family and
  :data:`CONTROL_FLOW_OPS` (v1 control flow) are named in :mod:`explorer.graph.op_families`.
* :data:`STATE_CHANGING`: op-type prefixes that write variables or tables.
* :data:`SWITCHES`: name patterns of keep_prob-like inputs and their neutral values.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from explorer.graph.names import op_name
from explorer.graph.op_families import CONTROL_FLOW_ENTRY_OPS, CONTROL_FLOW_EXIT_OPS, RANDOM_OPS
from explorer.graph.op_families import V1_CONTROL_FLOW_OPS as CONTROL_FLOW_OPS

STATE_CHANGING: set[str] = set()


def state_changing(*prefixes: str) -> None:
    """Register op-type prefixes whose ops write variables or tables."""
    STATE_CHANGING.update(prefixes)


state_changing(
    "Assign",
    "ResourceApply",
    "ResourceScatter",
    "ResourceSparseApply",
    "Apply",
    "SparseApply",
    "Scatter",
    "CountUpTo",
    "LookupTableInsert",
    "LookupTableRemove",
    "LookupTableImport",
)


def node_map(graph_def: Any) -> dict[str, Any]:
    return {n.name: n for n in graph_def.node}


def upstream(graph_def: Any, ops: Iterable[str], control: bool = True) -> set[str]:
    """Names of the ops ``ops`` depend on, themselves included (main graph only)."""
    nodes = node_map(graph_def)
    seen = {op_name(o) for o in ops}
    stack = list(seen)
    while stack:
        node = nodes.get(stack.pop())
        if node is None:
            continue
        for inp in node.input:
            if inp.startswith("^") and not control:
                continue
            src = op_name(inp)
            if src not in seen:
                seen.add(src)
                stack.append(src)
    return seen


def random_ops_upstream(graph_def: Any, ops: Iterable[str]) -> list[str]:
    """Stateful random ops that ``ops`` depend on, sorted."""
    nodes = node_map(graph_def)
    return sorted(o for o in upstream(graph_def, ops) if o in nodes and nodes[o].op in RANDOM_OPS)


def state_changing_upstream(graph_def: Any, ops: Iterable[str]) -> list[str]:
    """Ops writing variables/tables that ``ops`` depend on (control edges included), sorted."""
    nodes = node_map(graph_def)
    prefixes = tuple(STATE_CHANGING)
    return sorted(
        o for o in upstream(graph_def, ops) if o in nodes and nodes[o].op.startswith(prefixes)
    )


def topological_order(graph_def: Any, subset: set[str] | None = None) -> list[str]:
    """Op names in topological order (Kahn; ties broken by GraphDef order), control edges
    included. Only ops in ``subset`` when given."""
    nodes = [n for n in graph_def.node if subset is None or n.name in subset]
    index = {n.name: i for i, n in enumerate(nodes)}
    indegree = {n.name: 0 for n in nodes}
    consumers: dict[str, list[str]] = {}
    for n in nodes:
        for inp in set(op_name(i) for i in n.input):
            if inp in index and inp != n.name:
                indegree[n.name] += 1
                consumers.setdefault(inp, []).append(n.name)
    import heapq

    ready = [index[n] for n, d in indegree.items() if d == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        name = nodes[heapq.heappop(ready)].name
        order.append(name)
        for c in consumers.get(name, []):
            indegree[c] -= 1
            if indegree[c] == 0:
                heapq.heappush(ready, index[c])
    # Ops on a cycle (TF1 while loops: NextIteration) keep GraphDef order after the rest.
    done = set(order)
    order.extend(n.name for n in nodes if n.name not in done)
    return order


def control_flow_region(graph_def: Any) -> set[str]:
    """Ops inside TF1 control-flow frames (while-loop bodies, cond branches), which a session
    cannot fetch from outside: everything downstream of Enter/Switch up to Exit/Merge."""
    consumers: dict[str, list[Any]] = {}
    for n in graph_def.node:
        for inp in n.input:
            consumers.setdefault(op_name(inp), []).append(n)
    starts = [n for n in graph_def.node if n.op in CONTROL_FLOW_ENTRY_OPS]
    region = {n.name for n in graph_def.node if n.op in CONTROL_FLOW_OPS}
    stack = [n.name for n in starts]
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
