"""What this process has: device types, the op types its TensorFlow registers, env limits."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from explorer.graph import op_defs

if TYPE_CHECKING:
    from tensorflow.core.framework.graph_pb2 import GraphDef


def env_number(name: str, default: float) -> float:
    """The number in environment variable ``name``; ``default`` when unset or not a number."""
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


@functools.cache
def available_device_types() -> frozenset[str]:
    """Device types present on this machine, upper case (``CPU``, ``GPU``, …)."""
    return op_defs.device_types()


def device_type_of(device: str) -> str | None:
    """``GPU`` for ``/device:GPU:0`` or ``/gpu:0``; ``None`` when the string names no type."""
    for part in device.split("/"):
        m = re.fullmatch(r"(?:device:)?([A-Za-z_]+):\d+", part)
        if m and m.group(1).lower() not in _PLACEMENT_FIELDS:
            return m.group(1).upper()
    return None


# The parts of a device string that place a node on a cluster member rather than a device type.
_PLACEMENT_FIELDS = frozenset({"job", "replica", "task"})


def remote_job_of(device: str) -> str | None:
    """``ps`` for ``/job:ps/task:0``; ``None`` for no job or the local one (``localhost``)."""
    m = re.search(r"/job:([^/]+)", device)
    return m.group(1) if m and m.group(1) != "localhost" else None


def absent_device_pins(graph_def: GraphDef) -> list[str]:
    """Nodes pinned to a device type this machine lacks, or to a cluster job (``/job:ps``)."""
    present = available_device_types()
    out = []
    for node in all_nodes(graph_def):
        if not node.device:
            continue
        t = device_type_of(node.device)
        if (t is not None and t not in present) or remote_job_of(node.device):
            out.append(node.name)
    return out


def all_nodes(graph_def: GraphDef) -> Iterable[Any]:
    yield from graph_def.node
    for fn in graph_def.library.function:
        yield from fn.node_def


def unregistered_op_types(graph_def: GraphDef) -> list[str]:
    """Op types used by the graph that neither TF's registry nor its function library defines."""
    fn_names = {f.signature.name for f in graph_def.library.function}
    types = {node.op for node in all_nodes(graph_def)} - fn_names
    return sorted(t for t in types if not op_defs.is_registered(t))
