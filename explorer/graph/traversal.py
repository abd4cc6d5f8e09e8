"""Facts about a GraphDef that parity needs: random or stateful ops, racy reads, frames."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from explorer.graph.index import graph_index
from explorer.graph.names import op_name
from explorer.graph.op_families import (
    CONTROL_FLOW_BACK_EDGE_OPS,
    CONTROL_FLOW_ENTRY_OPS,
    CONTROL_FLOW_EXIT_OPS,
    RANDOM_OPS,
    STATE_CHANGING_PREFIXES,
    VARIABLE_OPS,
)
from explorer.graph.op_families import V1_CONTROL_FLOW_OPS as CONTROL_FLOW_OPS

if TYPE_CHECKING:
    from tensorflow.core.framework.graph_pb2 import GraphDef


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
    region = {n.name for n in index.node_list if n.op in CONTROL_FLOW_OPS}
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
