"""What will fail when the model is run or converted, read from the protobufs alone.

``tf1-explorer inspect`` lists these :class:`Problem` s (kinds ``missing-variables``,
``unregistered-op``, ``missing-asset``: errors; ``absent-device``: a warning), each with its fix
in the words the failing step would use. No TensorFlow import (:mod:`explorer.graph.op_defs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from explorer.graph import op_defs
from explorer.graph.runtime import (
    absent_device_pins,
    all_nodes,
    device_type_of,
    remote_job_of,
    unregistered_op_types,
)

if TYPE_CHECKING:
    from explorer.loading.model import V1Model


@dataclass(frozen=True)
class Problem:
    """One thing that will fail: ``kind``, ``severity`` (``error``/``warning``), a one-line
    ``message`` with the fix, and the node or file names concerned (at most 20)."""

    kind: str
    severity: str
    message: str
    names: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "message": self.message,
            "names": list(self.names),
        }


def problems(model: V1Model) -> list[Problem]:
    """Every :class:`Problem` of a loaded ``model``, errors first."""
    out = [*_variables(model), *_ops(model), *_assets(model), *_devices(model)]
    return sorted(out, key=lambda p: p.severity != "error")


def _variables(model: V1Model) -> list[Problem]:
    variables = model.variables
    if not variables or model.checkpoint_prefix is not None:
        return []
    return [
        Problem(
            "missing-variables",
            "error",
            f"{model.path} has {len(variables)} variables but no checkpoint: for a SavedModel "
            "restore its variables/ folder; for a GraphDef, freeze it with its checkpoint or load "
            "the .meta file",
            tuple(v.name for v in variables[:20]),
        )
    ]


def _ops(model: V1Model) -> list[Problem]:
    missing = [t for t in unregistered_op_types(model.graph_def) if t not in model.replacements]
    if not missing:
        return []
    return [
        Problem(
            "unregistered-op",
            "error",
            f"op types this TensorFlow ({op_defs.tf_version()}) does not register: "
            f"{', '.join(missing)}; load the op library that defines them, or pass "
            f"explorer.load(..., replacements={{{missing[0]!r}: fn}}) with a TF function for each",
            tuple(missing[:20]),
        )
    ]


def _assets(model: V1Model) -> list[Problem]:
    gone = sorted(p for p in model.assets.values() if not Path(p).exists())
    if not gone:
        return []
    return [
        Problem(
            "missing-asset",
            "error",
            f"asset file(s) {', '.join(gone[:3])}{' …' if len(gone) > 3 else ''} not found: "
            "tables initialised from them fail; restore the model's assets/ folder",
            tuple(gone[:20]),
        )
    ]


def _devices(model: V1Model) -> list[Problem]:
    pinned = absent_device_pins(model.graph_def)
    if not pinned:
        return []
    devices = {n.name: n.device for n in all_nodes(model.graph_def) if n.device}
    where = set()
    for name in pinned:
        device = devices.get(name, "")
        job = remote_job_of(device)
        where.add(f"cluster job {job}" if job else f"a {device_type_of(device) or device}")
    return [
        Problem(
            "absent-device",
            "warning",
            f"{len(pinned)} ops pinned to {' and '.join(sorted(where))} this machine lacks: "
            "explorer clears the pins on import; a plain v1 loader fails ('Restoring from "
            "checkpoint failed')",
            tuple(pinned[:20]),
        )
    ]
