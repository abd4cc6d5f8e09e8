"""What will fail when the model is run or converted: the :class:`Problem` s ``inspect`` lists."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from explorer.inspection.scanner import scan

if TYPE_CHECKING:
    from explorer.loading.model import V1Model


@dataclass(frozen=True)
class Problem:
    """One thing that will fail: a one-line ``message`` with the fix, the names concerned."""

    kind: str
    severity: str
    message: str
    names: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "names": list(self.names)}


def no_checkpoint(model: V1Model) -> str:
    return (
        f"{model.path} has {len(model.variables)} variables but no checkpoint: for a SavedModel "
        "restore its variables/ folder; for a GraphDef, freeze it with its checkpoint or load the "
        ".meta file"
    )


def problems(model: V1Model) -> list[Problem]:
    """Every :class:`Problem` of a loaded ``model``, errors first."""
    out = []
    if model.variables and model.checkpoint_prefix is None:
        names = tuple(v.name for v in model.variables[:20])
        out.append(Problem("missing-variables", "error", no_checkpoint(model), names))
    kinds = {"unregistered-op": "unregistered-op", "device-pin": "absent-device"}
    for f in scan(model, list(kinds), scope=None):
        if f.severity != "info":
            out.append(Problem(kinds[f.rule], f.severity, f.message, f.nodes[:20]))
    if gone := sorted(p for p in model.assets.values() if not Path(p).exists()):
        more = " …" if len(gone) > 3 else ""
        message = (
            f"asset file(s) {', '.join(gone[:3])}{more} not found: tables initialised from them "
            "fail; restore the model's assets/ folder"
        )
        out.append(Problem("missing-asset", "error", message, tuple(gone[:20])))
    return sorted(out, key=lambda p: p.severity != "error")
