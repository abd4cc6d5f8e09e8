"""Import a model's graph into a fresh ``tf.Graph``, and the one init-op choice."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Protocol

from explorer._tf import tf, tf1
from explorer.errors import ModelFormatError, SessionError, first_line
from explorer.graph.names import op_name
from explorer.graph.op_families import PLACEHOLDER_OPS
from explorer.graph.runtime import absent_type, all_nodes
from explorer.loading.model import V1Model, meta_graph_with
from explorer.loading.replacements import apply_replacements

if TYPE_CHECKING:
    import tensorflow as tf_types
    from tensorflow.core.framework.graph_pb2 import GraphDef
    from tensorflow.core.framework.node_def_pb2 import NodeDef


class HasInitOp(Protocol):  # what init_op_names reads (the import worker passes a stand-in)
    init_op: str | None


def prepare_graph_def(model: V1Model, *, writable: bool = False) -> GraphDef:
    """The model's GraphDef ready to import here: pins to absent devices cleared, and scalar
    placeholder shapes of producers <= 21 read as unknown. A changed copy; the model's own proto
    (not to be changed) when nothing changes, unless ``writable`` (saves a copy of a big graph)."""
    gd = model.graph_def

    def old_scalar(node: NodeDef) -> bool:
        if model.producer > 21 or node.op not in PLACEHOLDER_OPS or "shape" not in node.attr:
            return False
        s = node.attr["shape"].shape
        return not s.unknown_rank and len(s.dim) == 0

    pinned = any(absent_type(n.device) for n in all_nodes(gd))
    if not (writable or pinned or any(map(old_scalar, gd.node))):
        return gd
    gd = copy.deepcopy(gd)
    for node in all_nodes(gd):
        if absent_type(node.device):
            node.device = ""
    for node in filter(old_scalar, gd.node):
        node.attr["shape"].shape.unknown_rank = True
    return gd


def import_into(model: V1Model, graph: tf_types.Graph) -> None:
    """Import the model's prepared graph into ``graph`` (SessionError, ModelFormatError)."""
    # import_graph_def adds default attrs to the GraphDef it is given; a MetaGraph imports a copy
    gd = prepare_graph_def(model, writable=model.meta_graph is None)
    try:
        with graph.as_default():
            if model.replacements:  # nodes of replaced op types: imported here, in waves
                gd = apply_replacements(model, gd, graph)
            if model.meta_graph is not None:
                mg = meta_graph_with(model.meta_graph, gd)
                tf1().train.import_meta_graph(mg, clear_devices=False)
            else:
                tf1().import_graph_def(gd, name="")
    except (ValueError, TypeError, tf().errors.OpError) as e:
        raise SessionError(
            f"{model.path}: the graph does not import into TensorFlow {tf().__version__} "
            f"({first_line(e)}): run explorer.scan for what to fix"
        ) from None
    except KeyError as e:  # a collection or input naming an op the graph lacks
        raise ModelFormatError(
            f"{model.path}: the graph does not import (KeyError: {first_line(e)}): the file is "
            "corrupt; re-export it"
        ) from None


def in_graph(graph: tf_types.Graph, name: str) -> bool:
    """Whether ``graph`` holds the op or tensor ``name`` (``op`` or ``op:idx``)."""
    try:
        graph.as_graph_element(name)
    except (KeyError, ValueError):
        return False
    return True


def init_op_names(model: HasInitOp, graph: tf_types.Graph) -> list[str]:
    """The ops initialising ``model``'s tables in ``graph`` (init op, or the tables')."""
    init = model.init_op
    if init and in_graph(graph, op_name(init)):
        return [init]
    ops = {
        item.name if hasattr(item, "name") else str(item).split(":")[0]
        for item in graph.get_collection("table_initializer")
    }
    if not ops and in_graph(graph, "init_all_tables"):
        ops.add("init_all_tables")
    return sorted(ops)
